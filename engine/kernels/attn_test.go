package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// attnCase is a KV cache of n rows, stride floats apart, and one query.
func attnCase(r *rand.Rand, n, hd, stride int) (q, kv, att []float32) {
	q, kv = randVec(r, hd), randVec(r, n*stride)
	att = make([]float32, n)
	for i := range att {
		att[i] = float32(r.Float64())
	}
	return q, kv, att
}

// TestAttnKernels checks the fast scores and weighted sum against float64
// sums, within float32 rounding of the terms' magnitudes.
func TestAttnKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, hd := range []int{8, 24, 40, 64, 72, 128, 5} {
		for _, n := range []int{1, 2, 3, 17, 513} {
			stride := hd * 3
			q, kv, w := attnCase(r, n, hd, stride)
			att := make([]float32, n)
			AttnScores(att, q, kv, stride, 0.125)
			for j := range att {
				var want, bound float64
				for i := range q {
					p := float64(q[i]) * float64(kv[j*stride+i])
					want, bound = want+p, bound+math.Abs(p)
				}
				if d := math.Abs(float64(att[j]) - 0.125*want); d > 1e-6*bound+1e-7 {
					t.Fatalf("hd=%d n=%d scores[%d] = %v, want %v", hd, n, j, att[j], 0.125*want)
				}
			}
			o := make([]float32, hd)
			for i := range o {
				o[i] = 99 // AttnMix overwrites, never accumulates into o
			}
			AttnMix(o, w, kv, stride)
			for i := range o {
				var want, bound float64
				for j := range w {
					p := float64(w[j]) * float64(kv[j*stride+i])
					want, bound = want+p, bound+math.Abs(p)
				}
				if d := math.Abs(float64(o[i]) - want); d > 1e-6*bound+1e-7 {
					t.Fatalf("hd=%d n=%d mix[%d] = %v, want %v", hd, n, i, o[i], want)
				}
			}
		}
	}
}

func TestAttnKernelsEmpty(t *testing.T) {
	o := []float32{1, 2}
	AttnMix(o, nil, nil, 2)
	if o[0] != 0 || o[1] != 0 {
		t.Errorf("AttnMix over no rows left %v, want zeros", o)
	}
	AttnScores(nil, []float32{1}, nil, 1, 1) // must not touch k
}

// BenchmarkAttn is one decode step's attention for one head (head dim 64,
// GQA row stride 512 as in the 1B shape) at several context lengths: the
// scores and the weighted sum, fast and reference in the same run.
func BenchmarkAttn(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const hd, stride = 64, 512
	for _, n := range []int{64, 512, 2048} {
		q, kv, w := attnCase(r, n, hd, stride)
		att, o := make([]float32, n), make([]float32, hd)
		for _, im := range impls() {
			b.Run(fmt.Sprintf("ctx=%d/%s", n, im.name), func(b *testing.B) {
				UseReference(im.ref)
				defer UseReference(false)
				b.SetBytes(int64(2 * n * hd * 4))
				for b.Loop() {
					AttnScores(att, q, kv, stride, 0.125)
					AttnMix(o, w, kv, stride)
				}
			})
		}
	}
}

// TestAttnKernelsMatchReference checks that the fast kernels give the
// plain loops' bits exactly (same summation order, no fused multiply-add).
func TestAttnKernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	defer UseReference(false)
	for _, hd := range []int{4, 8, 12, 40, 64, 96, 128} {
		for _, n := range []int{1, 3, 4, 5, 64, 129} {
			stride := hd + 8
			q, kv, w := attnCase(r, n, hd, stride)
			var att, o [2][]float32
			for i, ref := range []bool{false, true} {
				UseReference(ref)
				att[i], o[i] = make([]float32, n), make([]float32, hd)
				AttnScores(att[i], q, kv, stride, 0.3)
				AttnMix(o[i], w, kv, stride)
			}
			for j := range att[0] {
				if math.Float32bits(att[0][j]) != math.Float32bits(att[1][j]) {
					t.Fatalf("hd=%d n=%d: score %d is %v, reference %v", hd, n, j, att[0][j], att[1][j])
				}
			}
			for i := range o[0] {
				if math.Float32bits(o[0][i]) != math.Float32bits(o[1][i]) {
					t.Fatalf("hd=%d n=%d: output %d is %v, reference %v", hd, n, i, o[0][i], o[1][i])
				}
			}
		}
	}
}

// TestAttnFast checks the FMA attention kernels against float64 sums, for
// key counts around the eight-key groups, head sizes with and without a
// whole 64-value block, and rows wider than the head.
func TestAttnFast(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, hd := range []int{8, 64, 72, 128} {
		for _, n := range []int{1, 7, 8, 9, 17, 40} {
			stride := hd + 24
			q, k, v := randVec(r, hd), randVec(r, n*stride), randVec(r, n*stride)
			att := make([]float32, n)
			AttnScoresFast(att, q, k, stride, 0.125)
			for j := range att {
				var want, bound float64
				for i := 0; i < hd; i++ {
					p := float64(q[i]) * float64(k[j*stride+i])
					want += p
					bound += math.Abs(p)
				}
				want *= 0.125
				if math.Abs(float64(att[j])-want) > 1e-5*bound+1e-6 {
					t.Fatalf("hd=%d n=%d: score %d = %v, want %v", hd, n, j, att[j], want)
				}
			}
			o := make([]float32, hd)
			AttnMixFast(o, att, v, stride)
			for i := range o {
				var want, bound float64
				for j := range att {
					p := float64(att[j]) * float64(v[j*stride+i])
					want += p
					bound += math.Abs(p)
				}
				if math.Abs(float64(o[i])-want) > 1e-5*bound+1e-6 {
					t.Fatalf("hd=%d n=%d: o[%d] = %v, want %v", hd, n, i, o[i], want)
				}
			}
		}
	}
}

// TestAttnScores4Fast checks the four-head scores against float64 sums,
// for odd and even key counts.
func TestAttnScores4Fast(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, hd := range []int{8, 64, 128, 12} {
		for _, n := range []int{1, 2, 3, 8, 17, 40} {
			stride, astride := hd+16, n+5
			q, k := randVec(r, 4*hd), randVec(r, n*stride)
			att := make([]float32, 4*astride)
			AttnScores4Fast(att, astride, q, k, stride, n, 0.125)
			for h := 0; h < 4; h++ {
				for j := 0; j < n; j++ {
					var want, bound float64
					for i := 0; i < hd; i++ {
						p := float64(q[h*hd+i]) * float64(k[j*stride+i])
						want += p
						bound += math.Abs(p)
					}
					want *= 0.125
					if got := att[h*astride+j]; math.Abs(float64(got)-want) > 1e-5*bound+1e-6 {
						t.Fatalf("hd=%d n=%d head %d key %d: %v, want %v", hd, n, h, j, got, want)
					}
				}
			}
		}
	}
}

// TestAttnMix4Fast checks the four-head mix bit for bit against four
// single-head calls.
func TestAttnMix4Fast(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	for _, hd := range []int{8, 24, 64, 72, 128} {
		for _, n := range []int{1, 2, 9, 33} {
			stride, astride := hd+16, n+3
			att, v := randVec(r, 4*astride), randVec(r, n*stride)
			got, want := make([]float32, 4*hd), make([]float32, 4*hd)
			AttnMix4Fast(got, att, astride, v, stride, n)
			for h := 0; h < 4; h++ {
				AttnMixFast(want[h*hd:(h+1)*hd], att[h*astride:h*astride+n], v, stride)
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("hd=%d n=%d: o[%d] = %v, single-head %v", hd, n, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkAttnGQA4 compares attention for four query heads sharing a KV
// head (one token over n cached rows of a 512-wide KV cache, the 1B
// shape): four single-head passes against the four-head kernels.
func BenchmarkAttnGQA4(b *testing.B) {
	r := rand.New(rand.NewPCG(57, 58))
	const hd, stride = 64, 512
	for _, n := range []int{512, 2048} {
		q, k, v := randVec(r, 4*hd), randVec(r, n*stride), randVec(r, n*stride)
		att, o := make([]float32, 4*n), make([]float32, 4*hd)
		b.Run(fmt.Sprintf("n=%d/single", n), func(b *testing.B) {
			for b.Loop() {
				for h := 0; h < 4; h++ {
					a := att[h*n : (h+1)*n]
					AttnScoresFast(a, q[h*hd:(h+1)*hd], k, stride, 0.125)
					AttnMixFast(o[h*hd:(h+1)*hd], a, v, stride)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/gqa4", n), func(b *testing.B) {
			for b.Loop() {
				AttnScores4Fast(att, n, q, k, stride, n, 0.125)
				AttnMix4Fast(o, att, n, v, stride, n)
			}
		})
	}
}

// TestAttn4Fast16 checks the f16 twins (four heads and one) bit for bit against the float32
// kernels over the widened keys and values (odd and even key counts, head
// sizes with and without the assembly), then the same with the Go
// reference kernels active.
func TestAttn4Fast16(t *testing.T) {
	defer UseReference(false)
	for _, ref := range []bool{false, true} {
		UseReference(ref)
		r := rand.New(rand.NewPCG(59, 60))
		for _, hd := range []int{8, 12, 24, 64, 128, 256, 264} {
			for _, n := range []int{1, 2, 3, 9, 17, 40} {
				stride, astride := hd+16, n+5
				k16, v16 := make([]uint16, n*stride), make([]uint16, n*stride)
				F32ToF16Slice(k16, randVec(r, n*stride))
				F32ToF16Slice(v16, randVec(r, n*stride))
				k, v := make([]float32, n*stride), make([]float32, n*stride)
				F16ToF32Slice(k, k16)
				F16ToF32Slice(v, v16)
				q := randVec(r, 4*hd)
				got, want := make([]float32, 4*astride), make([]float32, 4*astride)
				AttnScores4Fast16(got, astride, q, k16, stride, n, 0.125)
				AttnScores4Fast(want, astride, q, k, stride, n, 0.125)
				same(t, fmt.Sprintf("ref=%v hd=%d n=%d scores", ref, hd, n), got, want, ref)
				og, ow := make([]float32, 4*hd), make([]float32, 4*hd)
				AttnMix4Fast16(og, want, astride, v16, stride, n)
				AttnMix4Fast(ow, want, astride, v, stride, n)
				same(t, fmt.Sprintf("ref=%v hd=%d n=%d mix", ref, hd, n), og, ow, ref)
				// One head.
				AttnScoresFast16(got[:n], q[:hd], k16, stride, 0.125)
				AttnScoresFast(want[:n], q[:hd], k, stride, 0.125)
				same(t, fmt.Sprintf("ref=%v hd=%d n=%d one head's scores", ref, hd, n), got[:n], want[:n], ref)
				AttnMixFast16(og[:hd], want[:n], v16, stride)
				AttnMixFast(ow[:hd], want[:n], v, stride)
				same(t, fmt.Sprintf("ref=%v hd=%d n=%d one head's mix", ref, hd, n), og[:hd], ow[:hd], ref)
			}
		}
	}
}

// same fails unless got equals want bit for bit, or within float rounding
// when loose (the Go fallback sums as the reference does, not as FMA).
func same(t *testing.T, what string, got, want []float32, loose bool) {
	t.Helper()
	for i := range got {
		d := math.Abs(float64(got[i] - want[i]))
		if loose && d <= 1e-5*(1+math.Abs(float64(want[i]))) {
			continue
		}
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, float32 kernels %v", what, i, got[i], want[i])
		}
	}
}
