package gguf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The row functions for Q3_K and Q5_K extract the high bits without
// branches. These are the straightforward transcriptions of ggml's loops
// they replaced; on random blocks both must agree bit for bit.
func refDequantQ3K(src []byte, dst []float32) {
	const bs = 110
	var scales [16]int8
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		dAll := f16At(blk, q3kD)
		UnpackQ3KScales(blk[q3kScales:q3kScales+12], &scales)
		hm := blk[q3kHmask : q3kHmask+32]
		y := dst[b*QK_K : b*QK_K+QK_K]
		is, yi := 0, 0
		m := uint8(1)
		for n := 0; n < 2; n++ {
			q := blk[q3kQs+32*n : q3kQs+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for half := 0; half < 2; half++ {
					dl := dAll * float32(int32(scales[is])-32)
					is++
					for l := 16 * half; l < 16*half+16; l++ {
						v := int32((q[l] >> shift) & 3)
						if hm[l]&m == 0 {
							v -= 4
						}
						y[yi] = dl * float32(v)
						yi++
					}
				}
				m <<= 1
			}
		}
	}
}
func refDequantQ5K(src []byte, dst []float32) {
	const bs = 176
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		d, min := f16At(blk, q4kD), f16At(blk, q4kDmin)
		scales := blk[q4kScales : q4kScales+12]
		qh := blk[q5kQh : q5kQh+32]
		y := dst[b*QK_K : b*QK_K+QK_K]
		u1, u2 := uint8(1), uint8(2)
		for g := 0; g < 4; g++ {
			ql := blk[q5kQs+32*g : q5kQs+32*g+32]
			sc, m := scaleMinK4(2*g, scales)
			d1, m1 := d*float32(sc), min*float32(m)
			sc, m = scaleMinK4(2*g+1, scales)
			d2, m2 := d*float32(sc), min*float32(m)
			lo := y[64*g : 64*g+32]
			hi := y[64*g+32 : 64*g+64]
			for l := range 32 {
				v1, v2 := ql[l]&0xf, ql[l]>>4
				if qh[l]&u1 != 0 {
					v1 += 16
				}
				if qh[l]&u2 != 0 {
					v2 += 16
				}
				lo[l] = float32(d1*float32(v1)) - m1
				hi[l] = float32(d2*float32(v2)) - m2
			}
			u1 <<= 2
			u2 <<= 2
		}
	}
}

func TestBranchlessKQuantsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, c := range []struct {
		typ      Type
		fn, ref  RowFunc
		dOffsets []int
	}{
		{TypeQ3_K, DequantizeRowQ3_K, refDequantQ3K, []int{q3kD}},
		{TypeQ5_K, DequantizeRowQ5_K, refDequantQ5K, []int{q4kD, q4kDmin}},
	} {
		const blocks = 64
		src := make([]byte, blocks*c.typ.BlockBytes())
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		for b := 0; b < blocks; b++ {
			for _, off := range c.dOffsets { // finite scales, so NaN bits cannot differ
				putF16(src[b*c.typ.BlockBytes()+off:], float32(r.NormFloat64()))
			}
		}
		got, want := make([]float32, blocks*QK_K), make([]float32, blocks*QK_K)
		c.fn(src, got)
		c.ref(src, want)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s element %d: %v, reference %v", c.typ, i, got[i], want[i])
			}
		}
	}
}
