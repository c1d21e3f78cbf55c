package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestQ4_0VNNIMatchesAVX2 checks the one-token VNNI Q4_0 kernel bit for
// bit against the AVX2 one for block counts 1..13 (odd and even, so both
// the pair loop and the one-block tail), which the goldens rely on.
func TestQ4_0VNNIMatchesAVX2(t *testing.T) {
	if !hasVNNI {
		t.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(7, 7))
	for nb := 1; nb <= 13; nb++ {
		cols := nb * 32
		w := randMatrix(t, r, gguf.TypeQ4_0, 1, cols)
		var a Q8
		if err := QuantizeQ8_0(&a, randVec(r, cols)); err != nil {
			t.Fatal(err)
		}
		got := dotQ4_0VNNI(&w.Data[0], &a.Qs[0], &a.D[0], &a.Corr[0], nb)
		want := dotQ4_0AVX2(&w.Data[0], &a.Qs[0], &a.D[0], nb)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("nb=%d: VNNI %v, AVX2 %v", nb, got, want)
		}
	}
}
