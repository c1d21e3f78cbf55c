package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// q5kRandRow is nb random Q5_K blocks: every quant, fifth bit, scale and
// min bit random, the f16 d and dmin realistic magnitudes of either sign.
func q5kRandRow(r *rand.Rand, nb int) []byte {
	w := make([]byte, nb*q5kBytes)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		for _, off := range []int{q5kDOff, q5kDminOff} {
			h := f32ToF16((r.Float32() - 0.5) * 0.02)
			w[b*q5kBytes+off], w[b*q5kBytes+off+1] = byte(h), byte(h>>8)
		}
	}
	return w
}

// q5kCase is a sweep case (sweepGen): a random row and activations, and
// every 25th case (from the second) all scale, min, fifth-bit and quant
// bits set or clear against activations of 127 and -128.
func q5kCase(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
	w := q5kRandRow(r, nb)
	a := actsFor(tb, r, gguf.TypeQ5_K, blocks, 1)
	if rep%25 == 1 {
		fillBlocks(w, q5kBytes, q5kScalesOff, q5kBytes, byte(0xff*(rep/25%2)))
		setActs(a, func(i int) int8 { return int8(127 - 255*(i%2)) })
	}
	return w, a
}

func TestExtraQ5_KReferenceMatchesDefinition(t *testing.T) {
	sweepDefinition(t, gguf.TypeQ5_K, rand.New(rand.NewPCG(51, 52)), 20, q5kCase, nil)
}

// TestExtraQ5_KFastMatchesReference holds the assembly to the reference bit
// for bit (both keep ggml's AVX2 lanes and its FMA/reduction order) on
// q5kCase's rows and activations.
func TestExtraQ5_KFastMatchesReference(t *testing.T) {
	sweepRow(t, gguf.TypeQ5_K, refDotQ5_K, rand.New(rand.NewPCG(53, 54)), 400, q5kCase)
}

// BenchmarkExtraDotQ5_K streams 256 rows of 16 blocks (720 KB) through the
// fast kernel and the reference; the metric is weight GB/s.
func BenchmarkExtraDotQ5_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(55, 56))
	w := q5kRandRow(r, rows*nb)
	benchRowDots(b, gguf.TypeQ5_K, w, actsFor(b, r, gguf.TypeQ5_K, nb, 1), rows, nb)
}
