package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/gguf/gguftest"
)

var gridTypes = []gguf.Type{gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M}

// gridRow is nb random blocks of t (gguftest.RandomTensor: every index,
// sign and scale bit random, d a realistic f16). Every fifth row has all
// scale bits set and the grid entries of largest magnitude, against which
// iq4Extreme's all -128 activations give the largest lanes.
func gridRow(tb testing.TB, r *rand.Rand, t gguf.Type, nb, rep int) []byte {
	w, err := gguftest.RandomTensor(t, nb*QK_K, r.Uint64(), 0.02)
	if err != nil {
		tb.Fatal(err)
	}
	if rep%5 == 4 {
		bs := t.BlockBytes()
		switch t {
		case gguf.TypeIQ2_XXS:
			for b := 0; b < nb; b++ {
				for ib := range 8 {
					// aux32[1]: scale 15 and every sign bit set.
					copy(w[b*bs+6+8*ib:], []byte{0xff, 0xff, 0xff, 0xff})
				}
			}
		case gguf.TypeIQ2_XS:
			fillBlocks(w, bs, 66, 74, 0xff)
		case gguf.TypeIQ2_S:
			fillBlocks(w, bs, 74, 82, 0xff)
		case gguf.TypeIQ3_XXS:
			fillBlocks(w, bs, 66, 98, 0xff)
		case gguf.TypeIQ3_S:
			fillBlocks(w, bs, 106, 110, 0xff)
		case gguf.TypeIQ1_S:
			// Scales 7, deltas -1/8: the largest |8g-1| = 9.
			for b := 0; b < nb; b++ {
				for ib := range 8 {
					w[b*bs+35+2*ib] |= 0xf0
				}
			}
		case gguf.TypeIQ1_M:
			// Every 3-bit scale 7 and delta bit set, d's nibbles kept.
			for b := 0; b < nb; b++ {
				blk := w[b*bs : (b+1)*bs]
				for i := 32; i < 48; i++ {
					blk[i] |= 0x88
				}
				for k := range 4 {
					blk[48+2*k] = 0xff
					blk[49+2*k] |= 0x0f
				}
			}
		}
	}
	return w
}

func gridCase(typ gguf.Type) sweepGen {
	return func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		a := actsFor(tb, r, typ, blocks, iq4Scales[rep%3])
		if rep%5 == 4 && rep%2 == 0 {
			a = iq4Extreme(gguf.TypeIQ4_XS, blocks) // all -128, scale 1
		}
		return gridRow(tb, r, typ, nb, rep), a
	}
}

func TestExtraGridReferenceMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(70, 71))
	for _, typ := range gridTypes {
		sweepDefinition(t, typ, r, 10, gridCase(typ), nil)
	}
}

// The assembly must equal the reference bit for bit, on 1..20 blocks
// against one of up to three tokens, -128 activation quants included.
func TestExtraGridFastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(72, 73))
	for _, typ := range gridTypes {
		neg128 := sweepTokens(t, typ, r, 600, 20, gridCase(typ))
		if fastExtra[typ] != nil && neg128 == 0 && !t.Failed() {
			t.Errorf("%v: no -128 activation quant tested", typ)
		}
	}
}

// 256 rows of 16 blocks (4096 weights a row) against one token; the
// metric is weight GB/s.
func BenchmarkExtraDotGrid(b *testing.B) {
	for _, typ := range gridTypes {
		b.Run(typ.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(74, 75))
			const rows, nb = 256, 16
			a := actsFor(b, r, typ, nb, 1)
			w := gridRow(b, r, typ, rows*nb, 0)
			benchRowDots(b, typ, w, a, rows, nb)
		})
	}
}

// The same rows against four tokens: the four-token kernel against four
// row dots.
func BenchmarkExtraQuadGrid(b *testing.B) {
	for _, typ := range gridTypes {
		b.Run(typ.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(74, 75))
			const rows, nb = 256, 16
			a := actsFor(b, r, typ, 4*nb, 1)
			w := gridRow(b, r, typ, rows*nb, 0)
			benchQuad(b, typ, w, a, rows, nb, quadNames)
		})
	}
}

// The four-token kernels must give each token its row dot bit for bit,
// whatever the other tokens (sweepQuad), with gridCase's extreme rows and
// activations.
func TestExtraGridQuadMatchesRow(t *testing.T) {
	r := rand.New(rand.NewPCG(76, 77))
	for _, typ := range gridTypes {
		sweepQuad(t, typ, refExtra[typ], r, 150, gridCase(typ))
	}
}

// The eight-token kernels likewise.
func TestExtraGridOctMatchesRow(t *testing.T) {
	r := rand.New(rand.NewPCG(78, 79))
	for _, typ := range gridTypes {
		sweepOct(t, typ, refExtra[typ], r, 100, gridCase(typ))
	}
}

// The same rows against eight tokens: the eight-token kernel against two
// four-token calls.
func BenchmarkExtraOctGrid(b *testing.B) {
	for _, typ := range gridTypes {
		b.Run(typ.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(74, 75))
			const rows, nb = 256, 16
			a := actsFor(b, r, typ, 8*nb, 1)
			w := gridRow(b, r, typ, rows*nb, 0)
			benchOct(b, typ, w, a, rows, nb)
		})
	}
}
