package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// q3kRandRow is nb random Q3_K blocks: every quant, hmask and scale bit
// random, the f16 d a realistic magnitude of either sign.
func q3kRandRow(r *rand.Rand, nb int) []byte {
	w := make([]byte, nb*q3kBytes)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		h := f32ToF16((r.Float32() - 0.5) * 0.02)
		w[b*q3kBytes+q3kDOff], w[b*q3kBytes+q3kDOff+1] = byte(h), byte(h>>8)
	}
	return w
}

// q3kCase is a sweep case (sweepGen): a random row and activations, and
// every 25th case (from the second) all quant, hmask and scale bits set or
// clear against activations of ±127.
func q3kCase(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
	w := q3kRandRow(r, nb)
	a := actsFor(tb, r, gguf.TypeQ3_K, blocks, 1)
	if rep%25 == 1 {
		fillBlocks(w, q3kBytes, 0, q3kDOff, byte(0xff*(rep/25%2)))
		setActs(a, func(i int) int8 { return int8(127 - 254*(i%2)) })
	}
	return w, a
}

func TestExtraQ3_KReferenceMatchesDefinition(t *testing.T) {
	sweepDefinition(t, gguf.TypeQ3_K, rand.New(rand.NewPCG(31, 32)), 20, q3kCase, nil)
}

// TestExtraQ3_KScaleUnpack checks each of the 16 scales on its own: a block
// whose quants are all +3 (high bits set) against unit activations puts
// 16*3*(scale-32) in the sum of its group only.
func TestExtraQ3_KScaleUnpack(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for rep := 0; rep < 50; rep++ {
		w := q3kRandRow(r, 1)
		var sc [16]int32
		q3kUnpackScales(w[q3kScalesOff:q3kScalesOff+12], &sc)
		wf := make([]float32, QK_K)
		gguf.DequantizeRowQ3_K(w, wf)
		d := gguf.F16ToF32(le16(w[q3kDOff:]))
		for g := 0; g < 16; g++ {
			for i := 16 * g; i < 16*g+16; i++ {
				var q int32
				j, k, l := i/128, i%128/32, i%32
				q = int32(w[q3kQsOff+32*j+l] >> (2 * k) & 3)
				if w[q3kHmaskOff+l]>>(4*j+k)&1 == 0 {
					q -= 4
				}
				if want := d * float32(sc[g]) * float32(q); wf[i] != want {
					t.Fatalf("value %d: dequantized %v, from our scales %v (scale %d)", i, wf[i], want, sc[g])
				}
			}
		}
	}
}

// TestExtraQ3_KFastMatchesReference holds the assembly to the reference bit
// for bit (both keep ggml's AVX2 lanes and its FMA/reduction order) on
// q3kCase's rows and activations.
func TestExtraQ3_KFastMatchesReference(t *testing.T) {
	sweepRow(t, gguf.TypeQ3_K, refDotQ3_K, rand.New(rand.NewPCG(35, 36)), 400, q3kCase)
}

// TestExtraQ3_KFMA checks fma32 (exp.go), which the Q3_K and Q5_K
// references use as vfmadd231ps, against exact rounding (math/big), on
// random operands and on sums just off a float32 midpoint, where rounding
// through float64 first would go wrong.
func TestExtraQ3_KFMA(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	one := float32(1 + 1.0/(1<<23))
	for i := 0; i < 100000; i++ {
		a := float32(r.NormFloat64())
		b := float32(r.Int32N(1<<20) - 1<<19)
		c := float32(r.NormFloat64() * 1e5)
		if i%2 == 1 {
			// a*b = ±(half an ulp of c)·(1-2^-46): the exact sum sits just
			// inside a midpoint that float64 cannot tell apart from it.
			c = math.Float32frombits(r.Uint32()&0x3fffffff | 0x10000000)
			half := (math.Nextafter32(c, float32(math.Inf(1))) - c) / 2
			a, b = one, half*(1-1.0/(1<<23))
			if r.IntN(2) == 0 {
				b = -b
			}
		}
		got, want := fma32(a, b, c), fma32Exact(a, b, c)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
}

func fma32Exact(a, b, c float32) float32 {
	bf := func(f float32) *big.Float { return new(big.Float).SetPrec(400).SetFloat64(float64(f)) }
	x := bf(a)
	x.Mul(x, bf(b))
	x.Add(x, bf(c))
	f, _ := x.Float32()
	return f
}

// BenchmarkExtraDotQ3_K streams 256 rows of 16 blocks (450 KB, in L2)
// through the fast kernel and the reference; the metric is weight GB/s.
func BenchmarkExtraDotQ3_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(39, 40))
	w := q3kRandRow(r, rows*nb)
	benchRowDots(b, gguf.TypeQ3_K, w, actsFor(b, r, gguf.TypeQ3_K, nb, 1), rows, nb)
}
