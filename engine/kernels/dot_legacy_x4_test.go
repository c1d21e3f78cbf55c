package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// Every out[t] of the four-token kernel must equal the row dot on token t
// bit for bit, and the reference (which the row dot equals): a token's
// result may not depend on the tokens that share its batch. legacyCase
// runs each activation scale, with and without f16 edge scales in the row.
func TestExtraQuadLegacyMatchesRowDot(t *testing.T) {
	r := rand.New(rand.NewPCG(56, 57))
	for _, typ := range legacyTypes {
		sweepQuad(t, typ, refExtra[typ], r, 800, legacyCase(typ))
	}
}

// The benchmarks run 256 rows of 64 blocks against four tokens, as
// BenchmarkExtraDot* against one: "quad" is the four-token kernel, "row4"
// four calls of the row dot. GB/s counts weight bytes once per four
// tokens, so the ratio of the two lines is the speed-up.
func BenchmarkExtraQuadQ5_0(b *testing.B) { benchLegacy(b, gguf.TypeQ5_0, 4) }
func BenchmarkExtraQuadQ4_1(b *testing.B) { benchLegacy(b, gguf.TypeQ4_1, 4) }
func BenchmarkExtraQuadQ5_1(b *testing.B) { benchLegacy(b, gguf.TypeQ5_1, 4) }
