package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// legacyEdgeScales overwrites some blocks' d (and m) with f16 zero,
// negative zero and subnormals, which the row-dot tests reach only
// through the activations.
func legacyEdgeScales(r *rand.Rand, typ gguf.Type, w []byte) {
	bs := typ.BlockBytes()
	edges := []uint16{0x0000, 0x8000, 0x0001, 0x83ff, 0x0200}
	for b := 0; b < len(w)/bs; b++ {
		if r.IntN(5) == 0 {
			binary.LittleEndian.PutUint16(w[b*bs:], edges[r.IntN(len(edges))])
		}
		if legacyHasMin(typ) && r.IntN(5) == 0 {
			binary.LittleEndian.PutUint16(w[b*bs+2:], edges[r.IntN(len(edges))])
		}
	}
}

// Every out[t] of the four-token kernel must equal the row dot on token t
// bit for bit (and so the reference, which the row dot equals): a token's
// result may not depend on the tokens that share its batch.
func TestExtraQuadLegacyMatchesRowDot(t *testing.T) {
	r := rand.New(rand.NewPCG(56, 57))
	for _, typ := range legacyTypes {
		quad, row, ref := fastExtraQuad[typ], fastExtra[typ], refExtra[typ]
		if quad == nil || row == nil {
			t.Logf("%v: no four-token kernel on this CPU", typ)
			continue
		}
		bad := 0
		for _, scale := range []float32{1, 1e-3, 1e-5, 300} {
			for iter := 0; iter < 200; iter++ {
				nb := 1 + r.IntN(17)
				blk0 := r.IntN(4)
				tokBlocks := nb
				if iter%2 == 1 {
					tokBlocks += 1 + r.IntN(5)
				}
				a := legacyAct(t, r, blk0+3*tokBlocks+nb, scale)
				w := legacyRow(r, typ, nb)
				if iter%3 == 0 {
					legacyEdgeScales(r, typ, w)
				}
				var out [4]float32
				quad(w, a, blk0, nb, tokBlocks, &out)
				for tok, got := range out {
					b0 := blk0 + tok*tokBlocks
					want, wantRef := row(w, a, b0, nb), ref(w, a, b0, nb)
					if math.Float32bits(got) != math.Float32bits(want) || math.Float32bits(got) != math.Float32bits(wantRef) {
						if bad++; bad <= 5 {
							t.Errorf("%v scale=%g nb=%d blk0=%d tokBlocks=%d token %d: quad %g, row %g, ref %g",
								typ, scale, nb, blk0, tokBlocks, tok, got, want, wantRef)
						}
					}
				}
			}
		}
	}
}

// The benchmarks run 256 rows of 64 blocks against four tokens, as
// BenchmarkExtraDot* against one: "quad" is the four-token kernel, "row4"
// four calls of the row dot. GB/s counts weight bytes once per four
// tokens, so the ratio of the two lines is the speed-up.
func BenchmarkExtraQuadQ5_0(b *testing.B) { benchLegacyQuad(b, gguf.TypeQ5_0) }
func BenchmarkExtraQuadQ4_1(b *testing.B) { benchLegacyQuad(b, gguf.TypeQ4_1) }
func BenchmarkExtraQuadQ5_1(b *testing.B) { benchLegacyQuad(b, gguf.TypeQ5_1) }

func benchLegacyQuad(b *testing.B, typ gguf.Type) {
	quad, dot := fastExtraQuad[typ], fastExtra[typ]
	if quad == nil || dot == nil {
		b.Skip("no four-token kernel on this CPU")
	}
	r := rand.New(rand.NewPCG(58, 59))
	const rows, nb = 256, 64
	a := legacyAct(b, r, 4*nb, 1)
	rb := nb * typ.BlockBytes()
	w := legacyRow(r, typ, rows*nb)
	b.Run("quad", func(b *testing.B) {
		var out [4]float32
		var sink float32
		for b.Loop() {
			for row := 0; row < rows; row++ {
				quad(w[row*rb:(row+1)*rb], a, 0, nb, nb, &out)
				sink += out[0]
			}
		}
		reportGBs(b, len(w))
		_ = sink
	})
	b.Run("row4", func(b *testing.B) {
		var sink float32
		for b.Loop() {
			for row := 0; row < rows; row++ {
				for tok := 0; tok < 4; tok++ {
					sink += dot(w[row*rb:(row+1)*rb], a, tok*nb, nb)
				}
			}
		}
		reportGBs(b, len(w))
		_ = sink
	})
}
