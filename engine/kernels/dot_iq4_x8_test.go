package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraOctIQ4_XSMatchesRowDot holds every out[t] of the eight-token
// kernel to the row dot and the reference on token t bit for bit, over
// sweepShape's nb and blk0, tokBlocks = nb and > nb, with iq4Case's
// extreme rows (every scale -32 or 31) and activations (all -128).
func TestExtraOctIQ4_XSMatchesRowDot(t *testing.T) {
	typ := gguf.TypeIQ4_XS
	sweepOct(t, typ, refExtra[typ], rand.New(rand.NewPCG(66, 81)), 800, iq4Case(typ))
}

// TestExtraOctIQ4_NLMatchesRowDot is the same for IQ4_NL, whose kernel
// pairs blocks (odd counts go to the four-token kernel).
func TestExtraOctIQ4_NLMatchesRowDot(t *testing.T) {
	typ := gguf.TypeIQ4_NL
	sweepOct(t, typ, refExtra[typ], rand.New(rand.NewPCG(66, 84)), 800, iq4Case(typ))
}

// TestExtraOctIQ4_XSPerToken gives each token its own extremes (-128 or
// 127 everywhere, by token), so a token that read another's quants or
// scale would differ.
func TestExtraOctIQ4_XSPerToken(t *testing.T) {
	typ := gguf.TypeIQ4_XS
	gen := func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		w, a := iq4Case(typ)(tb, r, rep, nb, blocks)
		if rep%2 == 0 {
			setActs(a, func(i int) int8 {
				if (i/QK_K+rep)%3 == 0 {
					return 127
				}
				return -128
			})
		}
		for i := range a.D {
			a.D[i] = float32(1 + i%7)
		}
		return w, a
	}
	sweepOct(t, typ, refExtra[typ], rand.New(rand.NewPCG(66, 82)), 300, gen)
}

// BenchmarkExtraOctIQ4_XS streams 256 rows of 16 blocks (557 KB) against
// eight tokens: the eight-token kernel once per row ("x8"), or the
// four-token kernel twice ("2x4"). The metric is weight GB/s, each row
// counted once per pass.
func BenchmarkExtraOctIQ4_XS(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(66, 83))
	a := actsFor(b, r, gguf.TypeIQ4_XS, 8*nb, 1)
	w := iq4Row(r, gguf.TypeIQ4_XS, rows*nb, 0)
	benchOct(b, gguf.TypeIQ4_XS, w, a, rows, nb)
}

// BenchmarkExtraOctIQ4_NL is the same for IQ4_NL: 256 rows of 64 blocks.
func BenchmarkExtraOctIQ4_NL(b *testing.B) {
	const rows, nb = 256, 64
	r := rand.New(rand.NewPCG(66, 85))
	a := actsFor(b, r, gguf.TypeIQ4_NL, 8*nb, 1)
	w := iq4Row(r, gguf.TypeIQ4_NL, rows*nb, 0)
	benchOct(b, gguf.TypeIQ4_NL, w, a, rows, nb)
}
