package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraQuadQ2_KMatchesRowDot holds every out[t] of the four-token kernel
// to the row dot on token t and to ggml's AVX2 lane model bit for bit (a
// token's result may not depend on its batch), for nb 1..17 (and 64),
// blk0 0..3, tokBlocks = nb (MatMul's layout) and tokBlocks > nb, with
// q2kCase's extreme blocks and activations, and zero scales.
func TestExtraQuadQ2_KMatchesRowDot(t *testing.T) {
	sweepQuad(t, gguf.TypeQ2_K, q2kAVX2Model, rand.New(rand.NewPCG(2, 41)), 800, q2kCase)
}

// BenchmarkExtraQuadQ2_K streams 256 rows of 16 blocks (344 KB, in L2)
// against four tokens: the quad kernel once per row, or the row dot four
// times. The metric is weight GB/s (each row counted once per pass).
func BenchmarkExtraQuadQ2_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(2, 43))
	w := q2kRow(r, rows*nb)
	benchQuad(b, gguf.TypeQ2_K, w, actsFor(b, r, gguf.TypeQ2_K, 4*nb, 1), rows, nb, quadNames)
}
