package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraQuadIQ4MatchesRowDot holds every out[t] of the four-token
// kernels to the row dot (and the reference) on token t bit for bit (a
// token's result may not depend on its batch), for nb 1..17 (and 64),
// blk0 0..3, tokBlocks = nb (MatMul's layout) and tokBlocks > nb, with the
// row-dot tests' extreme rows and activations.
func TestExtraQuadIQ4MatchesRowDot(t *testing.T) {
	r := rand.New(rand.NewPCG(66, 67))
	for _, typ := range iq4Types {
		quad, row, ref := fastExtraQuad[typ], fastExtra[typ], refExtra[typ]
		if quad == nil || row == nil {
			t.Logf("%v: no fast kernels on this CPU", typ)
			continue
		}
		for rep := 0; rep < 600; rep++ {
			nb := 1 + rep%17
			if rep%50 == 0 {
				nb = 64
			}
			blk0 := rep % 4
			tokBlocks := nb
			if rep%3 == 1 {
				tokBlocks = nb + 1 + r.IntN(5)
			}
			mode := rep / 7 % 3
			blocks := blk0 + 3*tokBlocks + nb
			a := iq4Acts(t, r, typ, blocks, []float32{1, 1e-3, 300}[rep%3])
			if mode == 1 && rep%2 == 0 {
				a = iq4Extreme(typ, blocks)
			}
			w := iq4Row(r, typ, nb, mode)
			var got [4]float32
			quad(w, a, blk0, nb, tokBlocks, &got)
			for tok := 0; tok < 4; tok++ {
				b := blk0 + tok*tokBlocks
				want := row(w, a, b, nb)
				if math.Float32bits(got[tok]) != math.Float32bits(want) {
					t.Fatalf("%v rep %d nb=%d blk0=%d tokBlocks=%d mode=%d token %d: quad %v, row dot %v",
						typ, rep, nb, blk0, tokBlocks, mode, tok, got[tok], want)
				}
				if rv := ref(w, a, b, nb); math.Float32bits(got[tok]) != math.Float32bits(rv) {
					t.Fatalf("%v rep %d token %d: quad %v, reference %v", typ, rep, tok, got[tok], rv)
				}
			}
		}
	}
}

// BenchmarkExtraQuadIQ4_XS and _NL stream the row-dot benchmarks' rows
// (256 rows of 16 or 64 blocks) against four tokens: the quad kernel once
// per row, or the row dot four times. The metric is weight GB/s (each row
// counted once per pass).
func BenchmarkExtraQuadIQ4_XS(b *testing.B) { benchQuadIQ4(b, gguf.TypeIQ4_XS, 16) }
func BenchmarkExtraQuadIQ4_NL(b *testing.B) { benchQuadIQ4(b, gguf.TypeIQ4_NL, 64) }

func benchQuadIQ4(b *testing.B, typ gguf.Type, nb int) {
	quad, row := fastExtraQuad[typ], fastExtra[typ]
	if quad == nil || row == nil {
		b.Skipf("no fast %v kernels on this CPU", typ)
	}
	const rows = 256
	r := rand.New(rand.NewPCG(68, 69))
	rb := nb * typ.BlockBytes()
	w := iq4Row(r, typ, rows*nb, 0)
	a := iq4Acts(b, r, typ, 4*nb, 1)
	b.Run("x4", func(b *testing.B) {
		var out [4]float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				quad(w[i*rb:(i+1)*rb], a, 0, nb, nb, &out)
			}
		}
		reportGBs(b, len(w))
	})
	b.Run("4x1", func(b *testing.B) {
		var sink float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				for tok := 0; tok < 4; tok++ {
					sink += row(w[i*rb:(i+1)*rb], a, tok*nb, nb)
				}
			}
		}
		reportGBs(b, len(w))
		_ = sink
	})
}
