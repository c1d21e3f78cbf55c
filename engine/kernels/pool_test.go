package kernels

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orcd/orcd/gguf"
)

// TestPoolParkAndWake runs jobs separated by pauses longer than the spin,
// so helpers park and are woken, with more workers than cores, so the
// caller also outwaits its spin and parks; every result must still be right.
func TestPoolParkAndWake(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	w := randMatrix(t, r, gguf.TypeQ8_0, 64, 256)
	x := randVec(r, w.Cols)
	want := make([]float32, w.Rows)
	ref := NewPool(1)
	defer ref.Close()
	if err := ref.MatMul(want, w, x, 1); err != nil {
		t.Fatal(err)
	}
	p := NewPool(5)
	defer p.Close()
	out := make([]float32, w.Rows)
	for i := 0; i < 60; i++ {
		if i%10 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		clear(out)
		if err := p.MatMul(out, w, x, 1); err != nil {
			t.Fatal(err)
		}
		for j := range out {
			if out[j] != want[j] {
				t.Fatalf("round %d row %d: %v, want %v", i, j, out[j], want[j])
			}
		}
	}
}

func TestPoolCloseTwice(t *testing.T) {
	p := NewPool(3)
	p.Close()
	p.Close()
}
