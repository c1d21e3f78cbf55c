package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraQuadQ3_KMatchesRowDot holds every out[t] of the four-token kernel
// to the row dot on token t bit for bit (a token's result may not depend on
// its batch), for nb 1..17 (and 64), blk0 0..3, tokBlocks = nb (MatMul's
// layout) and tokBlocks > nb, with the row-dot tests' extreme blocks.
func TestExtraQuadQ3_KMatchesRowDot(t *testing.T) {
	quad, row := fastExtraQuad[gguf.TypeQ3_K], fastExtra[gguf.TypeQ3_K]
	if quad == nil || row == nil {
		t.Log("no fast Q3_K kernels on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(41, 42))
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
		w := q3kRandRow(r, nb)
		a := q3kActs(t, r, blk0+3*tokBlocks+nb)
		if rep%25 == 1 { // extremes: all bits set or clear, large activations
			fill := byte(0xff * (rep / 25 % 2))
			for i := range w {
				if i%q3kBytes < q3kDOff {
					w[i] = fill
				}
			}
			for i := range a.Qs {
				a.Qs[i] = int8(127 - 254*(i%2))
			}
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
			if ref := refDotQ3_K(w, a, b, nb); math.Float32bits(got[tok]) != math.Float32bits(ref) {
				t.Fatalf("rep %d token %d: quad %v, reference %v", rep, tok, got[tok], ref)
			}
		}
	}
}

// BenchmarkExtraQuadQ3_K streams 256 rows of 16 blocks (450 KB, in L2)
// against four tokens: the quad kernel once per row, or the row dot four
// times. The metric is weight GB/s (each row counted once per pass).
func BenchmarkExtraQuadQ3_K(b *testing.B) {
	quad, row := fastExtraQuad[gguf.TypeQ3_K], fastExtra[gguf.TypeQ3_K]
	if quad == nil || row == nil {
		b.Skip("no fast Q3_K kernels on this CPU")
	}
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(43, 44))
	w := q3kRandRow(r, rows*nb)
	a := q3kActs(b, r, 4*nb)
	report := func(b *testing.B) {
		b.ReportMetric(float64(rows*nb*q3kBytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	}
	b.Run("x4", func(b *testing.B) {
		var out [4]float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				quad(w[i*nb*q3kBytes:], a, 0, nb, nb, &out)
			}
		}
		report(b)
	})
	b.Run("4x1", func(b *testing.B) {
		var sink float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				for tok := 0; tok < 4; tok++ {
					sink += row(w[i*nb*q3kBytes:], a, tok*nb, nb)
				}
			}
		}
		report(b)
		_ = sink
	})
}
