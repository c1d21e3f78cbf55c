package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// Every out[t] of the eight-token Q5_0 kernel must equal the row dot on
// token t bit for bit, and the reference: legacyCase's rows (random, f16
// edge scales in a third) against each activation scale, with a zero
// activation block.
func TestExtraOctQ5_0MatchesRowDot(t *testing.T) {
	sweepOct(t, gguf.TypeQ5_0, refExtra[gguf.TypeQ5_0], rand.New(rand.NewPCG(58, 59)), 1600, legacyCase(gguf.TypeQ5_0))
}

// The same for the eight-token Q4_1 and Q5_1 kernels, which also take
// each token's s_y (Q8.S1).
func TestExtraOctMinsMatchesRowDot(t *testing.T) {
	for i, typ := range []gguf.Type{gguf.TypeQ4_1, gguf.TypeQ5_1} {
		sweepOct(t, typ, refExtra[typ], rand.New(rand.NewPCG(64, uint64(i))), 1600, legacyCase(typ))
	}
}

// TestExtraOctQ5_0Extremes plants the ends of the ranges the kernel relies
// on: every q 0 (x = -16) or 31 (x = 15), activations ±127, mixed per
// token and block.
func TestExtraOctQ5_0Extremes(t *testing.T) {
	gen := func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		w := legacyRow(r, gguf.TypeQ5_0, nb)
		fillBlocks(w, 22, 2, 22, byte(0xff*(rep%2)))
		a := legacyAct(tb, r, blocks, 1)
		setActs(a, func(i int) int8 {
			if (i/32+rep/2)%3 == 0 {
				return 127
			}
			return -127
		})
		return w, a
	}
	sweepOct(t, gguf.TypeQ5_0, refExtra[gguf.TypeQ5_0], rand.New(rand.NewPCG(60, 61)), 200, gen)
}

// BenchmarkExtraOctQ5_0 streams 256 rows of 64 blocks (360 KB, in L2)
// against eight tokens: the eight-token kernel once per row ("x8"), or the
// four-token kernel twice ("2x4"). The metric is weight GB/s, each row
// counted once per pass.
func BenchmarkExtraOctQ5_0(b *testing.B) {
	const rows, nb = 256, 64
	r := rand.New(rand.NewPCG(62, 63))
	a := legacyAct(b, r, 8*nb, 1)
	w := legacyRow(r, gguf.TypeQ5_0, rows*nb)
	benchOct(b, gguf.TypeQ5_0, w, a, rows, nb)
}

// BenchmarkExtraOctQ4_1 and BenchmarkExtraOctQ5_1 are BenchmarkExtraOctQ5_0
// for the types with mins.
func BenchmarkExtraOctQ4_1(b *testing.B) { benchOctLegacy(b, gguf.TypeQ4_1) }
func BenchmarkExtraOctQ5_1(b *testing.B) { benchOctLegacy(b, gguf.TypeQ5_1) }

func benchOctLegacy(b *testing.B, typ gguf.Type) {
	const rows, nb = 256, 64
	r := rand.New(rand.NewPCG(62, 64))
	a := legacyAct(b, r, 8*nb, 1)
	w := legacyRow(r, typ, rows*nb)
	benchOct(b, typ, w, a, rows, nb)
}
