package gguf

import (
	"encoding/binary"
	"math"
)

// K-quant quantizers: ports of ggml's quantize_row_q*_K_ref and the scale
// searches they use. Float operations are kept in ggml's order (with
// explicit float32 conversions where Go could otherwise fuse a multiply-add)
// so that the output matches llama-quantize byte for byte.

const groupMaxEps = 1e-15

func abs32(f float32) float32 { return float32(math.Abs(float64(f))) }

// packScaleMinK4 stores the j-th 6-bit scale and min the way scaleMinK4
// reads them.
func packScaleMinK4(j int, ls, lm uint8, s []byte) {
	if j < 4 {
		s[j] = ls
		s[j+4] = lm
		return
	}
	s[j+4] = ls&0xf | (lm&0xf)<<4
	s[j-4] |= (ls >> 4) << 6
	s[j] |= (lm >> 4) << 6
}

// quantizeKX quantizes one Q4_K or Q5_K super-block (nmax 15 or 31) into
// d, dmin and the packed scales; it leaves the levels (0..nmax) in L.
func quantizeKX(x []float32, y []byte, L *[QK_K]uint8, nmax int32, rmin, rdelta float32, nstep int) {
	var weights [32]float32
	var Laux [32]uint8
	var mins, scales [QK_K / 32]float32
	var maxScale, maxMin float32
	for j := 0; j < QK_K/32; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], rmin, rdelta, nstep, false)
		maxScale = max(maxScale, scales[j])
		maxMin = max(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	s := y[q4kScales : q4kScales+12]
	clear(s)
	for j := 0; j < QK_K/32; j++ {
		ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		packScaleMinK4(j, ls, lm, s)
	}
	putF16(y[q4kD:], maxScale/63)
	putF16(y[q4kDmin:], maxMin/63)
	d, dmin := f16At(y, q4kD), f16At(y, q4kDmin)
	for j := 0; j < QK_K/32; j++ {
		sc, m := scaleMinK4(j, s)
		dj := d * float32(sc)
		if dj == 0 {
			continue
		}
		dm := float32(dmin * float32(m))
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / dj)
			L[32*j+ii] = uint8(max32(0, min32(nmax, l)))
		}
	}
}

func quantizeRowQ4_K(src []float32, dst []byte) {
	const bs = 144
	var L [QK_K]uint8
	for b := 0; b < len(src)/QK_K; b++ {
		y := dst[b*bs : b*bs+bs]
		quantizeKX(src[b*QK_K:b*QK_K+QK_K], y, &L, 15, -1, 0.1, 20)
		q := y[q4kQs:]
		for j := 0; j < QK_K; j += 64 {
			for l := 0; l < 32; l++ {
				q[l] = L[j+l] | L[j+l+32]<<4
			}
			q = q[32:]
		}
	}
}

func quantizeRowQ5_K(src []float32, dst []byte) {
	const bs = 176
	var L [QK_K]uint8
	for b := 0; b < len(src)/QK_K; b++ {
		y := dst[b*bs : b*bs+bs]
		quantizeKX(src[b*QK_K:b*QK_K+QK_K], y, &L, 31, -0.5, 0.1, 15)
		qh := y[q5kQh : q5kQh+32]
		clear(qh)
		ql := y[q5kQs:]
		m1, m2 := uint8(1), uint8(2)
		for n := 0; n < QK_K; n += 64 {
			for j := 0; j < 32; j++ {
				l1, l2 := L[n+j], L[n+j+32]
				if l1 > 15 {
					l1 -= 16
					qh[j] |= m1
				}
				if l2 > 15 {
					l2 -= 16
					qh[j] |= m2
				}
				ql[j] = l1 | l2<<4
			}
			m1 <<= 2
			m2 <<= 2
			ql = ql[32:]
		}
	}
}

// pack2Bit stores 256 2-bit levels: byte l of each 32-byte half holds
// levels l, l+32, l+64, l+96 of that half's 128 values.
func pack2Bit(L []uint8, qs []byte) {
	for j := 0; j < QK_K; j += 128 {
		for l := 0; l < 32; l++ {
			qs[j/4+l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6
		}
	}
}

func quantizeRowQ2_K(src []float32, dst []byte) {
	const bs = 84
	var L [QK_K]uint8
	var Laux [16]uint8
	var weights [16]float32
	var mins, scales [QK_K / 16]float32
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : b*QK_K+QK_K]
		y := dst[b*bs : b*bs+bs]
		var maxScale, maxMin float32
		for j := 0; j < QK_K/16; j++ {
			for l := range weights {
				weights[l] = abs32(x[16*j+l])
			}
			scales[j], mins[j] = makeQKX2Quants(3, x[16*j:16*j+16], weights[:], L[16*j:16*j+16], Laux[:], -0.5, 0.1, 15, true)
			maxScale = max(maxScale, scales[j])
			maxMin = max(maxMin, mins[j])
		}
		sc := y[q2kScales : q2kScales+16]
		clear(sc)
		if maxScale > 0 {
			iscale := 15 / maxScale
			for j := range sc {
				sc[j] = uint8(nearestInt(float32(iscale * scales[j])))
			}
		}
		putF16(y[q2kD:], maxScale/15)
		if maxMin > 0 {
			iscale := 15 / maxMin
			for j := range sc {
				sc[j] |= uint8(nearestInt(float32(iscale*mins[j])) << 4)
			}
		}
		putF16(y[q2kDmin:], maxMin/15)
		d, dmin := f16At(y, q2kD), f16At(y, q2kDmin)
		for j := 0; j < QK_K/16; j++ {
			dj := d * float32(sc[j]&0xf)
			if dj == 0 {
				continue
			}
			dm := float32(dmin * float32(sc[j]>>4))
			for ii := 0; ii < 16; ii++ {
				l := nearestInt((x[16*j+ii] + dm) / dj)
				L[16*j+ii] = uint8(max32(0, min32(3, l)))
			}
		}
		pack2Bit(L[:], y[q2kQs:q2kQs+64])
	}
}

func quantizeRowQ3_K(src []float32, dst []byte) {
	const bs = 110
	var L [QK_K]int8
	var scales [QK_K / 16]float32
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : b*QK_K+QK_K]
		y := dst[b*bs : b*bs+bs]
		var maxScale, amax float32
		for j := 0; j < QK_K/16; j++ {
			scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
			if s := abs32(scales[j]); s > amax {
				amax, maxScale = s, scales[j]
			}
		}
		s := y[q3kScales : q3kScales+12]
		clear(s)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := 0; j < QK_K/16; j++ {
				l := int8(nearestInt(float32(iscale * scales[j])))
				l = max(-32, min(31, l)) + 32
				if j < 8 {
					s[j] = uint8(l) & 0xf
				} else {
					s[j-8] |= (uint8(l) & 0xf) << 4
				}
				l >>= 4
				s[j%4+8] |= uint8(l) << (2 * (j / 4))
			}
			putF16(y[q3kD:], 1/iscale)
		} else {
			putF16(y[q3kD:], 0)
		}
		d := f16At(y, q3kD)
		for j := 0; j < QK_K/16; j++ {
			var sc uint8
			if j < 8 {
				sc = s[j] & 0xf
			} else {
				sc = s[j-8] >> 4
			}
			sc |= (s[8+j%4] >> (2 * (j / 4)) & 3) << 4
			dj := d * float32(int32(sc)-32)
			if dj == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := max32(-4, min32(3, nearestInt(x[16*j+ii]/dj)))
				L[16*j+ii] = int8(l + 4)
			}
		}
		// The high bit of value j goes to bit j/32 of hmask[j%32].
		hmask := y[q3kHmask : q3kHmask+32]
		clear(hmask)
		var L2 [QK_K]uint8
		for j := range L {
			l := uint8(L[j])
			if l > 3 {
				hmask[j%32] |= 1 << (j / 32)
				l -= 4
			}
			L2[j] = l
		}
		pack2Bit(L2[:], y[q3kQs:q3kQs+64])
	}
}

func quantizeRowQ6_K(src []float32, dst []byte) {
	const bs = 210
	var L [QK_K]int8
	var scales [QK_K / 16]float32
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : b*QK_K+QK_K]
		y := dst[b*bs : b*bs+bs]
		var maxScale, maxAbs float32
		for ib := 0; ib < QK_K/16; ib++ {
			scales[ib] = makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
			if a := abs32(scales[ib]); a > maxAbs {
				maxAbs, maxScale = a, scales[ib]
			}
		}
		if maxAbs < groupMaxEps {
			clear(y)
			continue
		}
		iscale := -128 / maxScale
		putF16(y[q6kD:], 1/iscale)
		sc := y[q6kScales : q6kScales+16]
		for ib := range sc {
			sc[ib] = uint8(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
		}
		d := f16At(y, q6kD)
		for j := 0; j < QK_K/16; j++ {
			dj := d * float32(int8(sc[j]))
			if dj == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := max32(-32, min32(31, nearestInt(x[16*j+ii]/dj)))
				L[16*j+ii] = int8(l + 32)
			}
		}
		ql, qh := y[q6kQl:q6kQl+128], y[q6kQh:q6kQh+64]
		for j := 0; j < QK_K; j += 128 {
			for l := 0; l < 32; l++ {
				q1, q2 := uint8(L[j+l]), uint8(L[j+l+32])
				q3, q4 := uint8(L[j+l+64]), uint8(L[j+l+96])
				ql[l] = q1&0xf | (q3&0xf)<<4
				ql[l+32] = q2&0xf | (q4&0xf)<<4
				qh[l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
			}
			ql, qh = ql[64:], qh[32:]
		}
	}
}

func quantizeRowQ8_K(src []float32, dst []byte) {
	const bs = 292
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : b*QK_K+QK_K]
		y := dst[b*bs : b*bs+bs]
		amax, max := absMaxSigned(x)
		if amax == 0 {
			clear(y)
			continue
		}
		iscale := -127 / max
		qs := y[q8kQs : q8kQs+QK_K]
		for j, v := range x {
			qs[j] = uint8(int8(min(127, nearestInt(float32(iscale*v)))))
		}
		for j := 0; j < QK_K/16; j++ {
			var sum int32
			for _, q := range qs[16*j : 16*j+16] {
				sum += int32(int8(q))
			}
			binary.LittleEndian.PutUint16(y[q8kBsums+2*j:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(y, math.Float32bits(1/iscale))
	}
}
