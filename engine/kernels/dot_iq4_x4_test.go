package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraQuadIQ4MatchesRowDot holds every out[t] of the four-token
// kernels to the row dot and the reference on token t bit for bit (a
// token's result may not depend on its batch), for nb 1..17 (and 64),
// blk0 0..3, tokBlocks = nb (MatMul's layout) and tokBlocks > nb, with
// iq4Case's extreme rows and activations.
func TestExtraQuadIQ4MatchesRowDot(t *testing.T) {
	r := rand.New(rand.NewPCG(66, 67))
	for _, typ := range iq4Types {
		sweepQuad(t, typ, refExtra[typ], r, 600, iq4Case(typ))
	}
}

// BenchmarkExtraQuadIQ4_XS and _NL stream the row-dot benchmarks' rows
// (256 rows of 16 or 64 blocks) against four tokens: the quad kernel once
// per row, or the row dot four times. The metric is weight GB/s (each row
// counted once per pass).
func BenchmarkExtraQuadIQ4_XS(b *testing.B) { benchIQ4(b, gguf.TypeIQ4_XS, 16, 4) }
func BenchmarkExtraQuadIQ4_NL(b *testing.B) { benchIQ4(b, gguf.TypeIQ4_NL, 64, 4) }
