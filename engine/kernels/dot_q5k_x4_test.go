package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraQuadQ5_KMatchesRowDot holds every out[t] of the four-token kernel
// to the row dot and the reference on token t bit for bit (a token's
// result may not depend on its batch), for nb 1..17 (and 64), blk0 0..3,
// tokBlocks = nb (MatMul's layout) and tokBlocks > nb, with q5kCase's
// extreme blocks.
func TestExtraQuadQ5_KMatchesRowDot(t *testing.T) {
	sweepQuad(t, gguf.TypeQ5_K, refDotQ5_K, rand.New(rand.NewPCG(57, 58)), 600, q5kCase)
}

// BenchmarkExtraQuadQ5_K streams 256 rows of 16 blocks (720 KB) against
// four tokens: the quad kernel once per row, or the row dot four times.
// The metric is weight GB/s (each row counted once per pass).
func BenchmarkExtraQuadQ5_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(59, 60))
	w := q5kRandRow(r, rows*nb)
	benchQuad(b, gguf.TypeQ5_K, w, actsFor(b, r, gguf.TypeQ5_K, 4*nb, 1), rows, nb, quadNames)
}
