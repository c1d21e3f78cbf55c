package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// The fast row dots of Q8_0, Q4_0, Q4_K, Q6_K, F32 and F16 (AVX2 on
// amd64, NEON on arm64) keep llama.cpp's x86 float order: eight int32
// lanes per block, lane i holding the products of bytes 4i..4i+3 of each
// 32 values, converted and fused-multiply-added with the block's scale,
// then reduced as ggml does. The models below spell that order out, and
// TestFastMatchesLaneModels holds the kernels to them bit for bit: a
// different order leaves last-bit differences that move activation
// quants and so llama.cpp-matching logits (engine/cpu TestGoldenKernels).

// hsumFloat8 is ggml's hsum_float_8: (lo+hi), then (0+2)+(1+3).
func hsumFloat8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r2) + (r1 + r3)
}

// hsumHadd is GGML_F32x8_REDUCE's last step: (lo+hi), then (0+1)+(2+3).
func hsumHadd(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r1) + (r2 + r3)
}

// lane4 is the dot of four weight values with four activation quants.
func lane4(q func(int) int32, y []int8, base int) int32 {
	var s int32
	for k := 0; k < 4; k++ {
		s += q(base+k) * int32(y[base+k])
	}
	return s
}

// halfTimes is f16(h)·a in one float32 rounding.
func halfTimes(b []byte, a float32) float32 { return float32(f16ToF32(le16(b)) * a) }

func modelQ8_0(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		wb, y := w[b*34:], a.Qs[(blk0+b)*32:]
		d := halfTimes(wb, a.D[blk0+b])
		q := func(j int) int32 { return int32(int8(wb[2+j])) }
		for i := range acc {
			acc[i] = fma32(d, float32(lane4(q, y, 4*i)), acc[i])
		}
	}
	return hsumFloat8(&acc)
}

// modelQ4_0: even blocks in one accumulator, odd in another, added lane
// by lane before the reduction.
func modelQ4_0(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [2][8]float32
	for b := 0; b < nb; b++ {
		wb, y := w[b*18:], a.Qs[(blk0+b)*32:]
		d := halfTimes(wb, a.D[blk0+b])
		q := func(j int) int32 { return int32(wb[2+j%16]>>(4*(j/16))&15) - 8 }
		for i := 0; i < 8; i++ {
			acc[b%2][i] = fma32(d, float32(lane4(q, y, 4*i)), acc[b%2][i])
		}
	}
	var s [8]float32
	for i := range s {
		s[i] = acc[0][i] + acc[1][i]
	}
	return hsumFloat8(&s)
}

func modelQ4_K(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	var summs float32
	for b := 0; b < nb; b++ {
		wb, y := w[b*144:], a.Qs[(blk0+b)*QK_K:]
		bsums := a.BSums[(blk0+b)*16:]
		var lanes [8]int32
		var summ int32
		for j := 0; j < 8; j++ {
			sc, m := q4KScaleMin(j, wb[4:16])
			summ += int32(m) * (int32(bsums[2*j]) + int32(bsums[2*j+1]))
			q := func(v int) int32 { return int32(wb[16+32*(j/2)+v%32] >> (4 * (j % 2)) & 15) }
			for i := range lanes {
				lanes[i] += int32(sc) * lane4(q, y, 32*j+4*i)
			}
		}
		summs = fma32(float32(summ), halfTimes(wb[2:], a.D[blk0+b]), summs)
		d := halfTimes(wb, a.D[blk0+b])
		for i := range acc {
			acc[i] = fma32(d, float32(lanes[i]), acc[i])
		}
	}
	return hsumHadd(&acc) - summs
}

func modelQ6_K(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		wb, y := w[b*210:], a.Qs[(blk0+b)*QK_K:]
		var lanes [8]int32
		for v := 0; v < QK_K; v += 4 { // four values, one lane
			var s int32
			for k := v; k < v+4; k++ {
				s += q6KValue(wb, k) * int32(y[k])
			}
			lanes[v%32/4] += int32(int8(wb[192+v/16])) * s
		}
		d := halfTimes(wb[208:], a.D[blk0+b])
		for i := range acc {
			acc[i] = fma32(d, float32(lanes[i]), acc[i])
		}
	}
	return hsumFloat8(&acc)
}

// q6KValue is value k (0..255) of a Q6_K block, minus 32.
func q6KValue(wb []byte, k int) int32 {
	h, r := k/128, k%128
	l, quarter := r%32, r/32
	ql := wb[64*h+l+32*(quarter%2)]
	qh := wb[128+32*h+l]
	lo := ql & 15
	if quarter >= 2 {
		lo = ql >> 4
	}
	return int32(lo|(qh>>(2*quarter)&3)<<4) - 32
}

// modelFloat: four accumulators of eight lanes over each 32 values,
// (acc0+acc2) + (acc1+acc3), hsumHadd, then the tail as the reference.
func modelFloat(v func(int) float32, x []float32, tail func() float32) float32 {
	var acc [4][8]float32
	n := len(x) &^ 31
	for j := 0; j < n; j++ {
		acc[j%32/8][j%8] = fma32(v(j), x[j], acc[j%32/8][j%8])
	}
	var s [8]float32
	for i := range s {
		s[i] = (acc[0][i] + acc[2][i]) + (acc[1][i] + acc[3][i])
	}
	r := hsumHadd(&s)
	if n < len(x) {
		r += tail()
	}
	return r
}

// TestFastMatchesLaneModels: bit for bit, on row lengths of 1 to 40
// blocks at offsets into the activation, with scales of every size.
func TestFastMatchesLaneModels(t *testing.T) {
	if activeName == "ref" {
		t.Logf("no fast kernels on this CPU (%s): nothing to hold to the models", Impl())
		return
	}
	models := map[gguf.Type]func([]byte, *Q8, int, int) float32{
		gguf.TypeQ8_0: modelQ8_0, gguf.TypeQ4_0: modelQ4_0, gguf.TypeQ4_K: modelQ4_K, gguf.TypeQ6_K: modelQ6_K,
	}
	r := rand.New(rand.NewPCG(71, 72))
	for _, typ := range quantTypes {
		for rep := 0; rep < 60; rep++ {
			nb := 1 + rep%40
			blk0 := rep % 3
			w := randWeights(r, typ, nb)
			var a Q8
			if err := quantizeFor(typ, &a, randVec(r, (nb+blk0)*typ.BlockSize())); err != nil {
				t.Fatal(err)
			}
			got, want := dotOf(fastDots, typ)(w, &a, blk0, nb), models[typ](w, &a, blk0, nb)
			if !sameBits(got, want) {
				t.Fatalf("%v nb=%d blk0=%d: fast %v, lane model %v", typ, nb, blk0, got, want)
			}
		}
	}
	for _, n := range []int{32, 33, 64, 95, 2048, 2051} {
		x := randVec(r, n)
		w16, w32 := make([]byte, 2*n), make([]byte, 4*n)
		for i := range n {
			v := float32(r.NormFloat64())
			h := f32ToF16(v)
			w16[2*i], w16[2*i+1] = byte(h), byte(h>>8)
			copy(w32[4*i:], F32Bytes([]float32{v}))
		}
		m := n &^ 31
		want16 := modelFloat(func(j int) float32 { return f16ToF32(le16(w16[2*j:])) }, x,
			func() float32 { return refDotF16(w16[2*m:], x[m:]) })
		want32 := modelFloat(func(j int) float32 { return le32f(w32[4*j:]) }, x,
			func() float32 { return refDotF32(w32[4*m:], x[m:]) })
		if got := fastDots.f16(w16, x); !sameBits(got, want16) {
			t.Errorf("f16 n=%d: fast %v, lane model %v", n, got, want16)
		}
		if got := fastDots.f32(w32, x); !sameBits(got, want32) {
			t.Errorf("f32 n=%d: fast %v, lane model %v", n, got, want32)
		}
	}
}

func le32f(b []byte) float32 {
	return math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}
