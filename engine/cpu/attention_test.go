package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randFloats(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// TestAttendMatchesReference: the SIMD attention gives attendRef's bits.
func TestAttendMatchesReference(t *testing.T) {
	// The float path, bit for bit, whatever ORCD_MATMUL says; the fast
	// kernels' own tests (engine/kernels) bound their rounding.
	saved := activationsQuantized
	activationsQuantized = false
	defer func() { activationsQuantized = saved }()
	r := rand.New(rand.NewPCG(5, 6))
	for _, hd := range []int{8, 64, 128, 6} {
		for _, n := range []int{1, 7, 300} {
			stride := 4 * hd
			q, k, v := randFloats(r, hd), randFloats(r, n*stride), randFloats(r, n*stride)
			got, want := make([]float32, hd), make([]float32, hd)
			attend(got, q, k, v, stride, n, make([]float32, n))
			attendRef(want, q, k, v, stride, n, make([]float32, n))
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("hd=%d n=%d: o[%d] = %v, reference %v", hd, n, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkAttend is one decode step's attention for one query head of the
// 1B shape (head dim 64, KV rows of 8 heads) at several context lengths,
// with softmax: the SIMD form and the plain reference in the same run.
func BenchmarkAttend(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const hd, stride = 64, 512
	for _, n := range []int{64, 512, 2048} {
		q, k, v := randFloats(r, hd), randFloats(r, n*stride), randFloats(r, n*stride)
		o, att := make([]float32, hd), make([]float32, n)
		for _, f := range []struct {
			name string
			fn   func(o, q, k, v []float32, stride, n int, att []float32)
		}{{"fast", attend}, {"ref", attendRef}} {
			b.Run(fmt.Sprintf("ctx=%d/%s", n, f.name), func(b *testing.B) {
				for b.Loop() {
					f.fn(o, q, k, v, stride, n, att)
				}
			})
		}
	}
}

// BenchmarkRMSNorm normalizes one 1B-shaped residual row (n_embd 2048).
// There is no faster form: the profile puts it under 0.5% of a forward,
// so this records its cost next to BenchmarkAttend's.
func BenchmarkRMSNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x, w := randFloats(r, 2048), randFloats(r, 2048)
	o := make([]float32, 2048)
	b.SetBytes(3 * 2048 * 4)
	for b.Loop() {
		rmsnorm(o, x, w, 1e-5)
	}
}

// BenchmarkRoPE rotates one token's 1B-shaped queries and keys (32 + 8
// heads of 64, rope base 500000) as headNormRope does: one sincos per pair
// and head. Under 1% of a forward in the profile, so no faster form.
func BenchmarkRoPE(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	const hd = 64
	qk := randFloats(r, 40*hd)
	freqs := ropeFreqs(hd, 500000, nil)
	pos := 0
	for b.Loop() {
		for h := 0; h < len(qk); h += hd {
			rope(qk[h:h+hd], pos, freqs, false)
		}
		pos = (pos + 1) % 4096
	}
}
