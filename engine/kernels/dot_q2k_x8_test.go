package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraOctQ2_KMatchesRowDot holds every out[t] of the eight-token
// kernel to the row dot on token t and to ggml's AVX2 lane model bit for
// bit, over sweepShape's nb and blk0, tokBlocks = nb and > nb, with
// q2kCase's extreme blocks (all bits set: sc·q = 45) and activations
// (-128 everywhere, every int8).
func TestExtraOctQ2_KMatchesRowDot(t *testing.T) {
	sweepOct(t, gguf.TypeQ2_K, q2kAVX2Model, rand.New(rand.NewPCG(2, 81)), 800, q2kCase)
}

// TestExtraOctQ2_KPerToken gives each token its own extremes (-128 or 127
// everywhere, by token), so a token that read another's quants, scale or
// bsums would differ.
func TestExtraOctQ2_KPerToken(t *testing.T) {
	gen := func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		w, a := q2kCase(tb, r, rep, nb, blocks)
		if rep%2 == 0 {
			setActs(a, func(i int) int8 {
				if (i/QK_K+rep)%3 == 0 {
					return 127
				}
				return -128
			})
		}
		return w, a
	}
	sweepOct(t, gguf.TypeQ2_K, q2kAVX2Model, rand.New(rand.NewPCG(2, 82)), 200, gen)
}

// BenchmarkExtraOctQ2_K streams 256 rows of 16 blocks (344 KB, in L2)
// against eight tokens: the eight-token kernel once per row ("x8"), or the
// four-token kernel twice ("2x4"). The metric is weight GB/s, each row
// counted once per pass.
func BenchmarkExtraOctQ2_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(2, 83))
	w := q2kRow(r, rows*nb)
	a := actsFor(b, r, gguf.TypeQ2_K, 8*nb, 1)
	benchOct(b, gguf.TypeQ2_K, w, a, rows, nb)
}
