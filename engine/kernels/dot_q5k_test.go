package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// q5kRandRow is nb random Q5_K blocks: every quant, fifth bit, scale and
// min bit random, the f16 d and dmin realistic magnitudes of either sign.
func q5kRandRow(r *rand.Rand, nb int) []byte {
	w := make([]byte, nb*q5kBytes)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		for _, off := range []int{q5kDOff, q5kDminOff} {
			h := f32ToF16((r.Float32() - 0.5) * 0.02)
			w[b*q5kBytes+off], w[b*q5kBytes+off+1] = byte(h), byte(h>>8)
		}
	}
	return w
}

func q5kActs(t testing.TB, r *rand.Rand, blocks int) *Q8 {
	var a Q8
	if err := QuantizeQ8_K(&a, randVec(r, blocks*QK_K)); err != nil {
		t.Fatal(err)
	}
	return &a
}

// q5kDefinition is the float64 dot of the dequantized row and activations,
// and Σ|products| to size the tolerance.
func q5kDefinition(w []byte, a *Q8, blk0, nb int) (dot, abs float64) {
	wf := make([]float32, nb*QK_K)
	gguf.DequantizeRowQ5_K(w[:nb*q5kBytes], wf)
	off := blk0 * QK_K
	for i, v := range wf {
		p := float64(v) * float64(a.Qs[off+i]) * float64(a.D[(off+i)/a.Block])
		dot += p
		abs += math.Abs(p)
	}
	return dot, abs
}

func TestExtraQ5_KReferenceMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, c := range []struct{ nb, blk0 int }{{1, 0}, {2, 0}, {5, 0}, {1, 3}, {2, 1}, {5, 2}} {
		for rep := 0; rep < 20; rep++ {
			w := q5kRandRow(r, c.nb)
			a := q5kActs(t, r, c.blk0+c.nb)
			got := refDotQ5_K(w, a, c.blk0, c.nb)
			want, abs := q5kDefinition(w, a, c.blk0, c.nb)
			if d := math.Abs(float64(got) - want); d > 1e-5*abs+1e-6 {
				t.Fatalf("nb=%d blk0=%d: reference %v, definition %v (diff %g, Σ|p| %g)", c.nb, c.blk0, got, want, d, abs)
			}
		}
	}
}

// q5kSetBSums recomputes a's 16-value sums after its quants were edited.
func q5kSetBSums(a *Q8) {
	for g := range a.BSums {
		var s int16
		for _, q := range a.Qs[16*g : 16*g+16] {
			s += int16(q)
		}
		a.BSums[g] = s
	}
}

// TestExtraQ5_KFastMatchesReference holds the assembly to the reference bit
// for bit: both keep ggml's AVX2 lanes and its FMA/reduction order.
func TestExtraQ5_KFastMatchesReference(t *testing.T) {
	fast := fastExtra[gguf.TypeQ5_K]
	if fast == nil {
		t.Log("no fast Q5_K kernel on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(53, 54))
	for rep := 0; rep < 400; rep++ {
		nb := 1 + rep%17
		if rep%50 == 0 {
			nb = 64
		}
		blk0 := rep % 4
		w := q5kRandRow(r, nb)
		a := q5kActs(t, r, blk0+nb)
		if rep%25 == 1 { // extremes: all bits set or clear, activations ±127/-128
			fill := byte(0xff * (rep / 25 % 2))
			for i := range w {
				if i%q5kBytes >= q5kScalesOff {
					w[i] = fill
				}
			}
			for i := range a.Qs {
				a.Qs[i] = int8(127 - 255*(i%2))
			}
			q5kSetBSums(a)
		}
		want := refDotQ5_K(w, a, blk0, nb)
		got := fast(w, a, blk0, nb)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("rep %d nb=%d blk0=%d: fast %v, reference %v", rep, nb, blk0, got, want)
		}
	}
}

// BenchmarkExtraDotQ5_K streams 256 rows of 16 blocks (720 KB) through the
// fast kernel and the reference; the metric is weight GB/s.
func BenchmarkExtraDotQ5_K(b *testing.B) {
	const rows, nb = 256, 16
	r := rand.New(rand.NewPCG(55, 56))
	w := q5kRandRow(r, rows*nb)
	a := q5kActs(b, r, nb)
	for _, k := range []struct {
		name string
		dot  rowDot
	}{{"fast", fastExtra[gguf.TypeQ5_K]}, {"ref", refDotQ5_K}} {
		if k.dot == nil {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			var sink float32
			for b.Loop() {
				for i := 0; i < rows; i++ {
					sink += k.dot(w[i*nb*q5kBytes:], a, 0, nb)
				}
			}
			b.ReportMetric(float64(rows*nb*q5kBytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			_ = sink
		})
	}
}
