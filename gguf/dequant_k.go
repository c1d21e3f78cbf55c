package gguf

import (
	"encoding/binary"
	"math"
)

// K-quants pack QK_K = 256 values per super-block. The layouts and the order
// of float operations follow ggml-quants.c so that results match exactly.

// Byte offsets inside each super-block.
const (
	q2kScales, q2kQs, q2kD, q2kDmin  = 0, 16, 80, 82    // 84 bytes
	q3kHmask, q3kQs, q3kScales, q3kD = 0, 32, 96, 108   // 110 bytes
	q4kD, q4kDmin, q4kScales, q4kQs  = 0, 2, 4, 16      // 144 bytes
	q5kQh, q5kQs                     = 16, 48           // 176 bytes, d/dmin/scales as Q4_K
	q6kQl, q6kQh, q6kScales, q6kD    = 0, 128, 192, 208 // 210 bytes
	q8kQs, q8kBsums                  = 4, 260           // 292 bytes, f32 d first
)

// scaleMinK4 unpacks the j-th 6-bit scale and min of a Q4_K/Q5_K block
// (ggml's get_scale_min_k4): 8 pairs packed into 12 bytes.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// DequantizeRowQ2_K: 16 groups of 16, each with a 4-bit scale and 4-bit min;
// 2-bit quants; value d*sc*q - dmin*m.
func DequantizeRowQ2_K(src []byte, dst []float32) {
	const bs = 84
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		d, min := f16At(blk, q2kD), f16At(blk, q2kDmin)
		scales := blk[q2kScales : q2kScales+16]
		y := dst[b*QK_K : b*QK_K+QK_K]
		is, yi := 0, 0
		for n := 0; n < 2; n++ {
			q := blk[q2kQs+32*n : q2kQs+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for half := 0; half < 2; half++ {
					sc := scales[is]
					is++
					dl, ml := d*float32(sc&0xf), float32(min*float32(sc>>4))
					for l := 0; l < 16; l++ {
						y[yi] = float32(dl*float32((q[l+16*half]>>shift)&3)) - ml
						yi++
					}
				}
			}
		}
	}
}

// UnpackQ3KScales unpacks the 16 6-bit scales of a Q3_K block (its 12
// scale bytes), still offset by 32, as ggml does (kmask1/kmask2 on three
// little-endian words). engine/kernels' Q3_K definition uses it too.
func UnpackQ3KScales(s []byte, out *[16]int8) {
	const kmask1, kmask2 = 0x03030303, 0x0f0f0f0f
	a0 := binary.LittleEndian.Uint32(s[0:])
	a1 := binary.LittleEndian.Uint32(s[4:])
	tmp := binary.LittleEndian.Uint32(s[8:])
	aux := [4]uint32{
		a0&kmask2 | (tmp>>0&kmask1)<<4,
		a1&kmask2 | (tmp>>2&kmask1)<<4,
		(a0>>4)&kmask2 | (tmp>>4&kmask1)<<4,
		(a1>>4)&kmask2 | (tmp>>6&kmask1)<<4,
	}
	for i, a := range aux {
		out[4*i+0] = int8(a)
		out[4*i+1] = int8(a >> 8)
		out[4*i+2] = int8(a >> 16)
		out[4*i+3] = int8(a >> 24)
	}
}

// DequantizeRowQ3_K: 16 groups of 16 with 6-bit signed scales; 2 low bits in
// qs plus a high bit in hmask (set means "no -4"); value d*(sc-32)*q.
func DequantizeRowQ3_K(src []byte, dst []float32) {
	const bs = 110
	var scales [16]int8
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		dAll := f16At(blk, q3kD)
		UnpackQ3KScales(blk[q3kScales:q3kScales+12], &scales)
		hm := blk[q3kHmask : q3kHmask+32]
		y := dst[b*QK_K : b*QK_K+QK_K]
		is, yi := 0, 0
		bit := uint(0) // hmask bit of the current 32 values
		for n := 0; n < 2; n++ {
			q := blk[q3kQs+32*n : q3kQs+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for half := 0; half < 2; half++ {
					dl := dAll * float32(int32(scales[is])-32)
					is++
					for l := 16 * half; l < 16*half+16; l++ {
						// A clear high bit means -4; computed without a
						// branch, since the bits are random.
						v := int32((q[l]>>shift)&3) - 4 + 4*int32((hm[l]>>bit)&1)
						y[yi] = dl * float32(v)
						yi++
					}
				}
				bit++
			}
		}
	}
}

// DequantizeRowQ4_K: 8 groups of 32 with 6-bit scales and mins; value
// d*sc*q - dmin*m.
func DequantizeRowQ4_K(src []byte, dst []float32) {
	const bs = 144
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		d, min := f16At(blk, q4kD), f16At(blk, q4kDmin)
		scales := blk[q4kScales : q4kScales+12]
		y := dst[b*QK_K : b*QK_K+QK_K]
		for g := 0; g < 4; g++ {
			q := blk[q4kQs+32*g : q4kQs+32*g+32]
			sc, m := scaleMinK4(2*g, scales)
			d1, m1 := d*float32(sc), float32(min*float32(m))
			sc, m = scaleMinK4(2*g+1, scales)
			d2, m2 := d*float32(sc), float32(min*float32(m))
			lo := y[64*g : 64*g+32]
			hi := y[64*g+32 : 64*g+64]
			for l := range 32 {
				lo[l] = float32(d1*float32(q[l]&0xf)) - m1
				hi[l] = float32(d2*float32(q[l]>>4)) - m2
			}
		}
	}
}

// DequantizeRowQ5_K: as Q4_K with a fifth bit per value in qh.
func DequantizeRowQ5_K(src []byte, dst []float32) {
	const bs = 176
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		d, min := f16At(blk, q4kD), f16At(blk, q4kDmin)
		scales := blk[q4kScales : q4kScales+12]
		qh := blk[q5kQh : q5kQh+32]
		y := dst[b*QK_K : b*QK_K+QK_K]
		for g := 0; g < 4; g++ {
			// The fifth bits of this group pair are bits 2g and 2g+1 of
			// qh; shifting instead of testing avoids mispredicted branches
			// (random bits made the branchy form 4x slower).
			s1, s2 := uint(2*g), uint(2*g+1)
			ql := blk[q5kQs+32*g : q5kQs+32*g+32]
			sc, m := scaleMinK4(2*g, scales)
			d1, m1 := d*float32(sc), float32(min*float32(m))
			sc, m = scaleMinK4(2*g+1, scales)
			d2, m2 := d*float32(sc), float32(min*float32(m))
			lo := y[64*g : 64*g+32]
			hi := y[64*g+32 : 64*g+64]
			for l := range 32 {
				v1 := ql[l]&0xf | (qh[l]>>s1&1)<<4
				v2 := ql[l]>>4 | (qh[l]>>s2&1)<<4
				lo[l] = float32(d1*float32(v1)) - m1
				hi[l] = float32(d2*float32(v2)) - m2
			}
		}
	}
}

// DequantizeRowQ6_K: 16 groups of 16 with int8 scales; 4 low bits in ql, 2
// high bits in qh; value d*sc*(q-32).
func DequantizeRowQ6_K(src []byte, dst []float32) {
	const bs = 210
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		d := f16At(blk, q6kD)
		for n := 0; n < 2; n++ {
			ql := blk[q6kQl+64*n : q6kQl+64*n+64]
			qh := blk[q6kQh+32*n : q6kQh+32*n+32]
			sc := blk[q6kScales+8*n : q6kScales+8*n+8]
			y := dst[b*QK_K+128*n : b*QK_K+128*n+128]
			for l := range 32 {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[l] = d * float32(int8(sc[is])) * float32(q1)
				y[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				y[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				y[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}

// DequantizeRowQ8_K: f32 d, 256 int8, 16 int16 group sums (unused here).
func DequantizeRowQ8_K(src []byte, dst []float32) {
	const bs = 292
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*bs : b*bs+bs]
		d := math.Float32frombits(binary.LittleEndian.Uint32(blk))
		qs := blk[q8kQs : q8kQs+QK_K]
		y := dst[b*QK_K : b*QK_K+QK_K]
		for j := range y {
			y[j] = d * float32(int8(qs[j]))
		}
	}
}
