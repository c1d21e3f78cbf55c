package gguf

import (
	"encoding/binary"
	"math"
)

// The IQ4 quantizers are not byte for byte llama-quantize's (ggml's
// search differs in its candidate scales); they make valid files of
// comparable error, enough for tests and benchmarks. Each 32-value group
// gets the scale that fits it best in least squares among a few
// candidates around the one that maps its largest value onto the
// codebook's -127.

// iq4Nearest is the codebook index whose value is nearest v.
func iq4Nearest(v float32) byte {
	lo, hi := 0, 15
	if v <= float32(KValuesIQ4NL[0]) {
		return 0
	}
	if v >= float32(KValuesIQ4NL[15]) {
		return 15
	}
	for hi-lo > 1 { // KValuesIQ4NL is increasing
		mid := (lo + hi) / 2
		if v < float32(KValuesIQ4NL[mid]) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if v-float32(KValuesIQ4NL[lo]) <= float32(KValuesIQ4NL[hi])-v {
		return byte(lo)
	}
	return byte(hi)
}

// iq4Group returns the best scale for x (32 values) and its codebook
// indices in q: of the candidates, the one with the least squared error
// once each is refit in least squares (d = Σxk / Σk²).
func iq4Group(x []float32, q *[32]byte) float32 {
	var amax, m float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, m = a, v
		}
	}
	if amax == 0 {
		for i := range q {
			q[i] = 8 // the value nearest 0
		}
		return 0
	}
	var best float32
	bestScore := float32(-1)
	var cand [32]byte
	for step := -6; step <= 6; step++ {
		id := (-127 + 2*float32(step)) / m // value m lands on -127+2step
		var sxk, skk float32
		for i, v := range x {
			cand[i] = iq4Nearest(v * id)
			k := float32(KValuesIQ4NL[cand[i]])
			sxk += v * k
			skk += k * k
		}
		if skk == 0 {
			continue
		}
		// Error at the refit scale: Σx² - (Σxk)²/Σk², so maximize (Σxk)²/Σk².
		if s := sxk * sxk / skk; s > bestScore {
			bestScore, best, *q = s, sxk/skk, cand
		}
	}
	return best
}

// iq4Pack writes the 32 indices as IQ4_NL/Q4_0 nibbles: index j in the
// low nibble of byte j, j+16 in the high one.
func iq4Pack(q *[32]byte, dst []byte) {
	for j := range 16 {
		dst[j] = q[j] | q[j+16]<<4
	}
}

func quantizeRowIQ4_NL(src []float32, dst []byte) {
	var q [32]byte
	for b := 0; b < len(src)/32; b++ {
		d := iq4Group(src[32*b:32*b+32], &q)
		h := F32ToF16(d)
		blk := dst[18*b : 18*b+18]
		binary.LittleEndian.PutUint16(blk, h)
		// Indices for the scale as stored (f16), not as computed.
		iq4Indices(src[32*b:32*b+32], F16ToF32(h), &q)
		iq4Pack(&q, blk[2:])
	}
}

// iq4Indices picks the nearest codebook entry of each x/d.
func iq4Indices(x []float32, d float32, q *[32]byte) {
	id := float32(0)
	if d != 0 {
		id = 1 / d
	}
	for i, v := range x {
		q[i] = iq4Nearest(v * id)
	}
}

// quantizeRowIQ4_XS: each sub-block's best scale, then one f16 super
// scale d with the 6-bit ls-32 in [-32, 31] that the largest sub-block
// scale (signed) maps onto -32; indices for the scales as stored.
func quantizeRowIQ4_XS(src []float32, dst []byte) {
	var q [32]byte
	var sub [8]float32
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[QK_K*b : QK_K*b+QK_K]
		blk := dst[136*b : 136*b+136]
		var amax, m float32
		for ib := range sub {
			sub[ib] = iq4Group(x[32*ib:32*ib+32], &q)
			if a := float32(math.Abs(float64(sub[ib]))); a > amax {
				amax, m = a, sub[ib]
			}
		}
		clear(blk)
		h := F32ToF16(m / -32)
		d := F16ToF32(h)
		binary.LittleEndian.PutUint16(blk, h)
		var sh uint16
		for ib, s := range sub {
			l := 0
			if d != 0 {
				l = int(math.Round(float64(s / d)))
			}
			l = min(31, max(-32, l))
			ls := l + 32
			blk[4+ib/2] |= byte(ls&0xf) << (4 * (ib % 2))
			sh |= uint16(ls>>4) << (2 * ib)
			iq4Indices(x[32*ib:32*ib+32], d*float32(l), &q)
			iq4Pack(&q, blk[8+16*ib:8+16*ib+16])
		}
		binary.LittleEndian.PutUint16(blk[2:], sh)
	}
}
