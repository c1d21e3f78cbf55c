package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// q2kExtremeAct is n Q8_K blocks of every int8 (-128 included) with
// bsums to match, the row-dot test's extreme activations.
func q2kExtremeAct(r *rand.Rand, n int) *Q8 {
	var a Q8
	a.resize(n*QK_K, QK_K)
	for i := range a.Qs {
		a.Qs[i] = int8(r.Uint32())
	}
	for i := range a.D {
		a.D[i] = (r.Float32()*2 - 1) * 0.05
	}
	recomputeBSums(&a)
	return &a
}

// TestExtraQuadQ2_KMatchesRowDot holds every out[t] of the four-token kernel
// to the row dot on token t bit for bit (a token's result may not depend on
// its batch), for nb 1..17 (and 64), blk0 0..3, tokBlocks = nb (MatMul's
// layout) and tokBlocks > nb, with the row-dot tests' extreme blocks and
// activations, and zero scales.
func TestExtraQuadQ2_KMatchesRowDot(t *testing.T) {
	quad, row := fastExtraQuad[gguf.TypeQ2_K], fastExtra[gguf.TypeQ2_K]
	if quad == nil || row == nil {
		t.Log("no fast Q2_K kernels on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(2, 41))
	for rep := 0; rep < 800; rep++ {
		nb := 1 + rep%17
		if rep%50 == 0 {
			nb = 64
		}
		blk0 := rep % 4
		tokBlocks := nb
		if rep%3 == 1 {
			tokBlocks = nb + 1 + r.IntN(5)
		}
		n := blk0 + 3*tokBlocks + nb
		w := q2kRow(r, nb)
		var a *Q8
		if rep%4 == 3 {
			a = q2kExtremeAct(r, n)
		} else {
			a = q2kAct(t, r, n)
		}
		switch rep % 25 {
		case 1, 2: // all quants and scales at their maximum, or all zero
			fill := byte(0xff * (rep % 25 % 2))
			for b := 0; b < nb; b++ {
				for i := 0; i < q2KD; i++ {
					w[b*q2KBlockBytes+i] = fill
				}
			}
		case 3: // quants at their maximum against -128 everywhere
			for b := 0; b < nb; b++ {
				for i := q2KQs; i < q2KD; i++ {
					w[b*q2KBlockBytes+i] = 0xff
				}
			}
			for i := range a.Qs {
				a.Qs[i] = -128
			}
			recomputeBSums(a)
		}
		var got [4]float32
		quad(w, a, blk0, nb, tokBlocks, &got)
		for tok := 0; tok < 4; tok++ {
			b := blk0 + tok*tokBlocks
			want := row(w, a, b, nb)
			if math.Float32bits(got[tok]) != math.Float32bits(want) {
				t.Fatalf("rep %d nb=%d blk0=%d tokBlocks=%d token %d: quad %v, row dot %v",
					rep, nb, blk0, tokBlocks, tok, got[tok], want)
			}
		}
	}
}

// BenchmarkExtraQuadQ2_K streams 256 rows of 16 blocks (344 KB, in L2)
// against four tokens: the quad kernel once per row, or the row dot four
// times. The metric is weight GB/s (each row counted once per pass).
func BenchmarkExtraQuadQ2_K(b *testing.B) {
	quad, row := fastExtraQuad[gguf.TypeQ2_K], fastExtra[gguf.TypeQ2_K]
	if quad == nil || row == nil {
		b.Skip("no fast Q2_K kernels on this CPU")
	}
	const rows, nb = 256, 16
	rb := nb * q2KBlockBytes
	r := rand.New(rand.NewPCG(2, 43))
	w := q2kRow(r, rows*nb)
	a := q2kAct(b, r, 4*nb)
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
