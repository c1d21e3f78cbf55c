package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Lane models of the vector attention kernels (attn_fma_amd64.s,
// attn_arm64.s): both architectures are held to these, so a token's
// attention has the same bits on AVX2 and NEON CPUs.

// scoreLanes is one score: eight fused lanes over the head's values, then
// the eight-key group's reduction network (group) or the single key's.
func scoreLanes(q, k []float32, scale float32, group bool) float32 {
	var l [8]float32
	for c := 0; c < len(q); c += 8 {
		for i := range l {
			l[i] = fma32(q[c+i], k[c+i], l[i])
		}
	}
	var s float32
	if group {
		s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
	} else {
		s = ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
	}
	return s * scale
}

// mixLanes is o = the running fused sum of att[j] times row j.
func mixLanes(o, att, v []float32, stride int) {
	clear(o)
	for j, a := range att {
		for i := range o {
			o[i] = fma32(a, v[j*stride+i], o[i])
		}
	}
}

// TestAttnMatchesLaneModels holds the one-head and four-head kernels, and
// their f16 twins, to the lane models bit for bit: keys in whole
// eight-key groups (one head) or pairs (four heads) take the group
// reduction, the rest the single key's.
func TestAttnMatchesLaneModels(t *testing.T) {
	if !floatSIMD() {
		t.Skipf("no vector attention kernels here (kernels %q)", Impl())
	}
	r := rand.New(rand.NewPCG(61, 62))
	for _, hd := range []int{8, 16, 24, 64, 72, 128, 136, 256} {
		for _, n := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 40} {
			stride, astride := hd+8, n+3
			k16, v16 := make([]uint16, n*stride), make([]uint16, n*stride)
			F32ToF16Slice(k16, randVec(r, n*stride))
			F32ToF16Slice(v16, randVec(r, n*stride))
			k, v := make([]float32, n*stride), make([]float32, n*stride)
			F16ToF32Slice(k, k16)
			F16ToF32Slice(v, v16)
			q := randVec(r, 4*hd)
			name := fmt.Sprintf("hd=%d n=%d", hd, n)

			want := make([]float32, 4*astride)
			for h := 0; h < 4; h++ {
				for j := 0; j < n; j++ {
					want[h*astride+j] = scoreLanes(q[h*hd:(h+1)*hd], k[j*stride:j*stride+hd], 0.125, j < n&^1)
				}
			}
			got := make([]float32, 4*astride)
			AttnScores4Fast(got, astride, q, k, stride, n, 0.125)
			bitsEqual(t, name+" four-head scores", got, want)
			AttnScores4Fast16(got, astride, q, k16, stride, n, 0.125)
			bitsEqual(t, name+" four-head f16 scores", got, want)

			for j := 0; j < n; j++ {
				want[j] = scoreLanes(q[:hd], k[j*stride:j*stride+hd], 0.125, j < n&^7)
			}
			AttnScoresFast(got[:n], q[:hd], k, stride, 0.125)
			bitsEqual(t, name+" scores", got[:n], want[:n])
			AttnScoresFast16(got[:n], q[:hd], k16, stride, 0.125)
			bitsEqual(t, name+" f16 scores", got[:n], want[:n])

			att := randVec(r, 4*astride)
			mwant, mgot := make([]float32, 4*hd), make([]float32, 4*hd)
			for h := 0; h < 4; h++ {
				mixLanes(mwant[h*hd:(h+1)*hd], att[h*astride:h*astride+n], v, stride)
			}
			AttnMix4Fast(mgot, att, astride, v, stride, n)
			bitsEqual(t, name+" four-head mix", mgot, mwant)
			AttnMix4Fast16(mgot, att, astride, v16, stride, n)
			bitsEqual(t, name+" four-head f16 mix", mgot, mwant)
			AttnMixFast(mgot[:hd], att[:n], v, stride)
			bitsEqual(t, name+" mix", mgot[:hd], mwant[:hd])
			AttnMixFast16(mgot[:hd], att[:n], v16, stride)
			bitsEqual(t, name+" f16 mix", mgot[:hd], mwant[:hd])
		}
	}
}

func bitsEqual(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, lane model %v", what, i, got[i], want[i])
		}
	}
}
