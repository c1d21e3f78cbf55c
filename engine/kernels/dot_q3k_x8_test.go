package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraOctQ3_KMatchesRowDot: q3kCase's rows (random, and every 25th all
// bits set or clear against ±127, so -q*scale reaches -128 and 124) with
// Q8_K activations, which include -128.
func TestExtraOctQ3_KMatchesRowDot(t *testing.T) {
	sweepOct(t, gguf.TypeQ3_K, refDotQ3_K, rand.New(rand.NewPCG(45, 46)), 800, q3kCase)
}

// TestExtraOctQ3_KExtremes plants the products at the ends of the ranges
// the kernel relies on: every scale 0 (-32) or 63 (+31), every q -4 or 3,
// activations -128 or 127, mixed per token.
func TestExtraOctQ3_KExtremes(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	gen := func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		w := q3kRandRow(r, nb)
		fillBlocks(w, q3kBytes, q3kScalesOff, q3kDOff, byte(0xff*(rep%2)))
		fillBlocks(w, q3kBytes, 0, q3kScalesOff, byte(0xff*(rep/2%2)))
		a := actsFor(tb, r, gguf.TypeQ3_K, blocks, 1)
		setActs(a, func(i int) int8 {
			if (i/QK_K+rep)%3 == 0 {
				return 127
			}
			return -128
		})
		return w, a
	}
	sweepOct(t, gguf.TypeQ3_K, refDotQ3_K, r, 120, gen)
}

// BenchmarkExtraOctQ3_K streams 256 rows of 16 blocks (450 KB, in L2)
// against eight tokens: the eight-token kernel once per row ("x8"), or the
// four-token kernel twice ("2x4"). The metric is weight GB/s, each row
// counted once per pass.
func BenchmarkExtraOctQ3_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(49, 50))
	w := q3kRandRow(r, rows*nb)
	a := actsFor(b, r, gguf.TypeQ3_K, 8*nb, 1)
	benchOct(b, gguf.TypeQ3_K, w, a, rows, nb)
}
