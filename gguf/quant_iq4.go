package gguf

import (
	"encoding/binary"
	"math"
)

// The IQ4 quantizers follow ggml's quantize_iq4_nl / quantize_iq4_xs as
// llama-quantize runs them without an importance matrix (ggml_quantize_chunk,
// 7 tries each way), operation for operation, so they write the same bytes
// (ggml_vectors_test.go checks it). Each group of 32 gets the scale that
// fits it best in least squares weighted by x², among candidates that map
// its largest value onto -127±k of the codebook.

const iq4Tries = 7

// iq4Nearest is ggml's best_index_int8 over the codebook: the nearest
// entry, ties to the larger.
func iq4Nearest(v float32) byte {
	v = float32(v) // rounded here: inlined, v*x-k would fuse on arm64
	if v <= float32(KValuesIQ4NL[0]) {
		return 0
	}
	if v >= float32(KValuesIQ4NL[15]) {
		return 15
	}
	lo, hi := 0, 15
	for hi-lo > 1 { // KValuesIQ4NL is increasing
		mid := (lo + hi) / 2
		if v < float32(KValuesIQ4NL[mid]) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if v-float32(KValuesIQ4NL[lo]) < float32(KValuesIQ4NL[hi])-v {
		return byte(lo)
	}
	return byte(hi)
}

// iq4Fit returns, for a scale's inverse id, Σw·k·x and Σw·k² over the
// group, k the codebook value nearest id·x, and writes the indices to q
// when it is not nil.
func iq4Fit(x []float32, id float32, q []byte) (sumqx, sumq2 float32) {
	for j, v := range x {
		l := iq4Nearest(id * v)
		if q != nil {
			q[j] = l
		}
		k := float32(KValuesIQ4NL[l])
		w := v * v
		sumqx += float32(w * k * v) // float32(): no fused multiply-add
		sumq2 += float32(w * k * k)
	}
	return sumqx, sumq2
}

// iq4GroupScale is the best scale for one group of 32 (0 for a group of
// zeros).
func iq4GroupScale(x []float32) float32 {
	var amax, m float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, m = a, v
		}
	}
	if amax < groupMaxEps {
		return 0
	}
	v0 := float32(KValuesIQ4NL[0])
	d := -m / v0
	sumqx, sumq2 := iq4Fit(x, 1/d, nil)
	d = sumqx / sumq2
	best := d * sumqx
	for itry := -iq4Tries; itry <= iq4Tries; itry++ {
		sumqx, sumq2 = iq4Fit(x, float32(itry+int(KValuesIQ4NL[0]))/m, nil)
		if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
			d = sumqx / sumq2
			best = d * sumqx
		}
	}
	return d
}

// iq4Indices picks the nearest codebook entry of each id·x into q.
func iq4Indices(x []float32, id float32, q []byte) {
	for j, v := range x {
		q[j] = iq4Nearest(id * v)
	}
}

// iq4Pack writes 32 indices as IQ4_NL/Q4_0 nibbles: index j in the low
// nibble of byte j, j+16 in the high one.
func iq4Pack(q []byte, dst []byte) {
	for j := range 16 {
		dst[j] = q[j] | q[j+16]<<4
	}
}

func quantizeRowIQ4_NL(src []float32, dst []byte) {
	var q [32]byte
	for b := 0; b < len(src)/32; b++ {
		x := src[32*b : 32*b+32]
		blk := dst[18*b : 18*b+18]
		d := iq4GroupScale(x)
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		// The indices are for the scale as computed, not as stored in
		// f16: that is what ggml does.
		id := float32(0)
		if d != 0 {
			id = 1 / d
		}
		iq4Indices(x, id, q[:])
		iq4Pack(q[:], blk[2:])
	}
}

// quantizeRowIQ4_XS: each group's best scale, then one super scale
// d = -max/32 (max the group scale largest in magnitude) with a 6-bit
// l in [-32, 31] per group, and the indices for d·l.
func quantizeRowIQ4_XS(src []float32, dst []byte) {
	var q [32]byte
	var scales [8]float32
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[QK_K*b : QK_K*b+QK_K]
		blk := dst[136*b : 136*b+136]
		var amax, m float32
		for ib := range scales {
			scales[ib] = iq4GroupScale(x[32*ib : 32*ib+32])
			if a := float32(math.Abs(float64(scales[ib]))); a > amax {
				amax, m = a, scales[ib]
			}
		}
		clear(blk)
		d := -m / 32
		binary.LittleEndian.PutUint16(blk, F32ToF16(d))
		id := float32(0)
		if d != 0 {
			id = 1 / d
		}
		var sh uint16
		for ib, s := range scales {
			l := int(nearestInt(id * s))
			l = min(31, max(-32, l))
			dl := d * float32(l)
			idl := float32(0)
			if dl != 0 {
				idl = 1 / dl
			}
			iq4Indices(x[32*ib:32*ib+32], idl, q[:])
			iq4Pack(q[:], blk[8+16*ib:8+16*ib+16])
			ls := l + 32
			blk[4+ib/2] |= byte(ls&0xf) << (4 * (ib % 2))
			sh |= uint16(ls>>4) << (2 * ib)
		}
		binary.LittleEndian.PutUint16(blk[2:], sh)
	}
}
