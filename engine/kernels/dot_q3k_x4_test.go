package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraQuadQ3_KMatchesRowDot holds every out[t] of the four-token kernel
// to the row dot and the reference on token t bit for bit (a token's
// result may not depend on its batch), for nb 1..17 (and 64), blk0 0..3,
// tokBlocks = nb (MatMul's layout) and tokBlocks > nb, with q3kCase's
// extreme blocks.
func TestExtraQuadQ3_KMatchesRowDot(t *testing.T) {
	sweepQuad(t, gguf.TypeQ3_K, refDotQ3_K, rand.New(rand.NewPCG(41, 42)), 600, q3kCase)
}

// BenchmarkExtraQuadQ3_K streams 256 rows of 16 blocks (450 KB, in L2) against
// four tokens: the quad kernel once per row, or the row dot four times.
// The metric is weight GB/s (each row counted once per pass).
func BenchmarkExtraQuadQ3_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(43, 44))
	w := q3kRandRow(r, rows*nb)
	benchQuad(b, gguf.TypeQ3_K, w, actsFor(b, r, gguf.TypeQ3_K, 4*nb, 1), rows, nb, quadNames)
}
