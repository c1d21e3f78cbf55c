package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

var legacyTypes = []gguf.Type{gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1}

// legacyHasMin: Q4_1 and Q5_1 carry an f16 min after d.
func legacyHasMin(t gguf.Type) bool { return t != gguf.TypeQ5_0 }

// legacyRow is nb random blocks of t: random quant and fifth-bit bytes,
// d small positive or negative, m around the -16d..0 that quantizers
// produce (sometimes positive).
func legacyRow(r *rand.Rand, t gguf.Type, nb int) []byte {
	bs := t.BlockBytes()
	w := make([]byte, nb*bs)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		blk := w[b*bs:]
		d := r.Float32()*0.02 + 1e-4
		if r.IntN(4) == 0 {
			d = -d
		}
		binary.LittleEndian.PutUint16(blk, f32ToF16(d))
		if legacyHasMin(t) {
			m := -16 * d * (r.Float32()*1.2 - 0.1)
			binary.LittleEndian.PutUint16(blk[2:], f32ToF16(m))
		}
	}
	return w
}

// legacyScales are the activation scales the sweeps run: 1e-5 puts d
// (and s) into f16's subnormal range, 300 makes s large.
var legacyScales = []float32{1, 1e-3, 1e-5, 300}

// legacyAct quantizes blocks*32 normal values of the given scale to Q8_0,
// block 1 all zero (d = 0) where there are more than two blocks.
func legacyAct(tb testing.TB, r *rand.Rand, blocks int, scale float32) *Q8 {
	a := actsFor(tb, r, gguf.TypeQ5_0, blocks, scale)
	if blocks > 2 {
		clear(a.Qs[32:64])
		a.D[1] = 0
		recomputeBSums(a)
	}
	return a
}

// legacyEdgeScales overwrites some blocks' d (and m) with f16 zero,
// negative zero and subnormals, which the row-dot tests reach only
// through the activations.
func legacyEdgeScales(r *rand.Rand, typ gguf.Type, w []byte) {
	bs := typ.BlockBytes()
	edges := []uint16{0x0000, 0x8000, 0x0001, 0x83ff, 0x0200}
	for b := 0; b < len(w)/bs; b++ {
		if r.IntN(5) == 0 {
			binary.LittleEndian.PutUint16(w[b*bs:], edges[r.IntN(len(edges))])
		}
		if legacyHasMin(typ) && r.IntN(5) == 0 {
			binary.LittleEndian.PutUint16(w[b*bs+2:], edges[r.IntN(len(edges))])
		}
	}
}

// legacyCase makes sweep cases of typ (sweepGen): activations at each of
// legacyScales in turn (moving on every fourth case, so every blk0 meets
// every scale), and in a third of the cases f16 edge scales in the row.
func legacyCase(typ gguf.Type) sweepGen {
	return func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		a := legacyAct(tb, r, blocks, legacyScales[rep/4%4])
		w := legacyRow(r, typ, nb)
		if rep/3%3 == 0 {
			legacyEdgeScales(r, typ, w)
		}
		return w, a
	}
}

// legacySRound bounds ggml's rounding of s_y to f16: half an f16 ulp of
// each block's m·d·Σy (2^-11 relative), for the types with a min.
func legacySRound(typ gguf.Type) func(w []byte, a *Q8, blk0, nb int) float64 {
	if !legacyHasMin(typ) {
		return nil
	}
	return func(w []byte, a *Q8, blk0, nb int) float64 {
		var sRound float64
		for b := 0; b < nb; b++ {
			var ys int64
			for _, q := range a.Qs[(blk0+b)*32 : (blk0+b+1)*32] {
				ys += int64(q)
			}
			m := float64(f16ToF32(le16(w[b*typ.BlockBytes()+2:])))
			sRound += math.Abs(m*float64(a.D[blk0+b])*float64(ys)) * 0x1p-11
		}
		return sRound
	}
}

// TestExtraLegacyReferenceMatchesDefinition holds the references to the
// dequantized dot within its rounding and that of s_y, on legacyCase's
// rows and activations.
func TestExtraLegacyReferenceMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(50, 51))
	for _, typ := range legacyTypes {
		sweepDefinition(t, typ, r, 8, legacyCase(typ), legacySRound(typ))
	}
}

// The assembly must equal the reference bit for bit: same integer sums,
// same float operations in the same order, same f16 rounding of s_y. The
// rows run 1..40 blocks against one of up to three tokens, with every
// activation scale, and in a third of the cases f16 edge scales.
func TestExtraLegacyFastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(52, 53))
	for _, typ := range legacyTypes {
		sweepTokens(t, typ, r, 1800, 40, legacyCase(typ))
	}
}

// The benchmarks run 256 rows of 64 blocks (2048 values) against one
// token: the weights (330-400 KB) stay in L2, so they measure the kernels,
// not memory. GB/s counts weight bytes.
func BenchmarkExtraDotQ5_0(b *testing.B) { benchLegacy(b, gguf.TypeQ5_0, 1) }
func BenchmarkExtraDotQ4_1(b *testing.B) { benchLegacy(b, gguf.TypeQ4_1, 1) }
func BenchmarkExtraDotQ5_1(b *testing.B) { benchLegacy(b, gguf.TypeQ5_1, 1) }

// benchLegacy streams the benchmarks' rows of typ against one token
// (benchRowDots) or four (benchQuad: "quad" and "row4").
func benchLegacy(b *testing.B, typ gguf.Type, tokens int) {
	r := rand.New(rand.NewPCG(54, 55))
	const rows, nb = 256, 64
	a := legacyAct(b, r, tokens*nb, 1)
	w := legacyRow(r, typ, rows*nb)
	if tokens == 1 {
		benchRowDots(b, typ, w, a, rows, nb)
	} else {
		benchQuad(b, typ, w, a, rows, nb, [2]string{"quad", "row4"})
	}
}
