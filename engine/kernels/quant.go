package kernels

import (
	"fmt"
	"math"

	"github.com/orcd/orcd/gguf"
)

// Block sizes of the activation formats.
const (
	QK8_0 = 32  // values per Q8_0 block
	QK_K  = 256 // values per Q8_K super-block
)

// Q8 is a vector of activations quantized to 8 bits, in one of two block
// sizes: 32 (ggml's block_q8_0) or 256 (block_q8_K). Unlike ggml's
// interleaved blocks, quants and scales live in separate arrays, so the
// assembly kernels read the scale as a float32 without conversion.
// The values are those ggml computes: for Q8_0 the scale D is the f16
// rounding of amax/127, exactly as block_q8_0 would store it.
type Q8 struct {
	Qs    []int8    // n quants
	D     []float32 // one scale per block
	BSums []int16   // Q8_K only: sum of each group of 16 quants
	// Corr is, for Q8_0 blocks when a VNNI kernel asks for it, -8 times
	// the sum of each group of four quants (8 per block): the offset of
	// Q4_0's unsigned nibbles, per vpdpbusd lane (Q8_0's flipped weights
	// use it times 16).
	Corr []int32
	// Off is, alongside Corr, -8 times the sum of each Q8_0 block's
	// quants: the nibbles' offset for the packed Q4_0 kernels, whose lanes
	// are rows rather than groups of four values.
	Off []int32
	// S1 is, for Q8_0 blocks when the legacy VNNI kernels ask for it
	// (needsSums), ggml's q8_1 sum s_y = f16(d·Σ quants) of each block
	// (q8_1Sum), made once per token instead of in every row; Off then
	// holds -8·Σ quants, as for Q4_0.
	S1    []float32
	Block int // QK8_0 or QK_K
}

// Len is the number of quantized values.
func (q *Q8) Len() int { return len(q.Qs) }

// resize makes q hold n values in blocks of bs, reusing its arrays.
func (q *Q8) resize(n, bs int) {
	q.Block = bs
	q.Qs = grow(q.Qs, n)
	q.D = grow(q.D, n/bs)
	if bs == QK_K {
		q.BSums = grow(q.BSums, n/16)
	} else {
		q.BSums = q.BSums[:0]
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// QuantizeQ8_0 quantizes x into blocks of 32 the way ggml's x86 build does
// (quantize_row_q8_0 on AVX/AVX2, which llama.cpp runs on our CPUs): the
// stored scale is the f16 of amax/127, the quants round(x·127/amax) with
// ties to even. (quantize_row_q8_0_ref differs only in using 1/d and
// rounding ties away from zero.)
func QuantizeQ8_0(dst *Q8, x []float32) error {
	if len(x)%QK8_0 != 0 {
		return fmt.Errorf("kernels: Q8_0 needs a multiple of %d values, got %d", QK8_0, len(x))
	}
	dst.resize(len(x), QK8_0)
	quantizeQ8_0Into(dst, x, 0)
	dst.Corr = grow(dst.Corr, len(x)/4)
	dst.Off = grow(dst.Off, len(x)/QK8_0)
	makeCorr(dst, 0, len(x)/QK8_0)
	dst.S1 = grow(dst.S1, len(x)/QK8_0)
	makeSums(dst, 0, len(x)/QK8_0)
	return nil
}

// quantizeQ8_0Into writes the blocks of x into dst from block b0 on, with
// the assembly form where there is one (bit for bit the same).
func quantizeQ8_0Into(dst *Q8, x []float32, b0 int) {
	if len(x) >= QK8_0 && quantizeQ8_0Blocks != nil {
		quantizeQ8_0Blocks(dst, x, b0)
		return
	}
	quantizeQ8_0Go(dst, x, b0)
}

// quantizeQ8_0Blocks is the assembly quantizer, nil without AVX2.
var quantizeQ8_0Blocks func(dst *Q8, x []float32, b0 int)

// quantizeQ8_0Go is the reference quantizer.
func quantizeQ8_0Go(dst *Q8, x []float32, b0 int) {
	for i := 0; i < len(x)/QK8_0; i++ {
		b := b0 + i
		xb := x[i*QK8_0 : (i+1)*QK8_0]
		qb := dst.Qs[b*QK8_0 : (b+1)*QK8_0]
		var amax float32
		for _, v := range xb {
			amax = max(amax, abs32(v))
		}
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		dst.D[b] = roundF16(amax / 127)
		for i, v := range xb {
			qb[i] = satInt8(math.RoundToEven(float64(v * id)))
		}
	}
}

// QuantizeQ8_K quantizes x into super-blocks of 256 with ggml's
// quantize_row_q8_K_ref: the scale maps the value of largest magnitude to
// -127, quants round half to even, and each group of 16 keeps its sum.
func QuantizeQ8_K(dst *Q8, x []float32) error {
	if len(x)%QK_K != 0 {
		return fmt.Errorf("kernels: Q8_K needs a multiple of %d values, got %d", QK_K, len(x))
	}
	dst.resize(len(x), QK_K)
	quantizeQ8KInto(dst, x, 0)
	return nil
}

// quantizeQ8KInto writes the super-blocks of x into dst from block b0 on.
func quantizeQ8KInto(dst *Q8, x []float32, b0 int) {
	for i := 0; i < len(x)/QK_K; i++ {
		b := b0 + i
		xb := x[i*QK_K : (i+1)*QK_K]
		qb := dst.Qs[b*QK_K : (b+1)*QK_K]
		var amax, vmax float32
		for _, v := range xb {
			if a := abs32(v); a > amax {
				amax, vmax = a, v
			}
		}
		if amax == 0 {
			dst.D[b] = 0
			clear(qb)
			clear(dst.BSums[b*16 : (b+1)*16])
			continue
		}
		iscale := -127 / vmax
		for i, v := range xb {
			qb[i] = int8(min(127, int(math.RoundToEven(float64(iscale*v)))))
		}
		for g := 0; g < 16; g++ {
			var s int16
			for _, q := range qb[g*16 : (g+1)*16] {
				s += int16(q)
			}
			dst.BSums[b*16+g] = s
		}
		dst.D[b] = 1 / iscale
	}
}

// satInt8 converts as vcvtps2dq then packssdw/packsswb do on ggml's x86
// path: out of int32 range or NaN (only when amax is subnormal, so 127/amax
// overflows) gives the integer indefinite, which saturates to -128.
func satInt8(f float64) int8 {
	if !(f >= math.MinInt32 && f <= math.MaxInt32) {
		return math.MinInt8
	}
	return int8(min(max(f, math.MinInt8), math.MaxInt8))
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// actBlock is the activation block size a weight type's kernel expects.
func actBlock(t gguf.Type) int {
	switch t {
	case gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K, gguf.TypeIQ4_XS,
		gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M:
		return QK_K
	}
	return QK8_0
}

// makeSums fills a.Off and a.S1 for Q8_0 blocks [lo, hi): the per-block
// activation terms of the legacy VNNI row dots (Q5_0's offset, Q4_1 and
// Q5_1's s_y), exactly as the references compute them per row.
func makeSums(a *Q8, lo, hi int) {
	for b := lo; b < hi; b++ {
		s := q8BlockSum(a, b)
		a.Off[b] = -8 * s
		a.S1[b] = q8_1SumOf(s, a.D[b])
	}
}

// makeCorr fills a.Corr and a.Off for Q8_0 blocks [lo, hi).
func makeCorr(a *Q8, lo, hi int) {
	for b := lo; b < hi; b++ {
		q := a.Qs[b*QK8_0 : (b+1)*QK8_0]
		c := a.Corr[b*8 : (b+1)*8]
		var off int32
		for k := range c {
			c[k] = -8 * (int32(q[4*k]) + int32(q[4*k+1]) + int32(q[4*k+2]) + int32(q[4*k+3]))
			off += c[k]
		}
		a.Off[b] = off
	}
}
