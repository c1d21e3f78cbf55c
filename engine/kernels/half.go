package kernels

import "math"

// f16ToF32 widens an IEEE half-precision value exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: normalise into a float32 normal.
	e := uint32(113)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
}

// f32ToF16 narrows with round-to-nearest-even, as ggml's FP32_TO_FP16
// (F16C vcvtps2ph) does.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff {
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		man |= 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := man >> shift
		rem := man & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | man>>13
	rem := man & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is the correct rounding
	}
	return sign | uint16(r)
}

// roundF16 is the value a float32 takes after a round trip through f16.
func roundF16(f float32) float32 { return f16ToF32(f32ToF16(f)) }

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

// F16ToF32Slice widens len(src) halves into dst, exactly.
func F16ToF32Slice(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i := f16ToF32Vec(dst, src); i < len(src); i++ {
		dst[i] = f16ToF32(src[i])
	}
}

// F32ToF16Slice narrows len(src) floats into dst, to nearest with ties to
// even (as vcvtps2ph and ggml do); beyond the half range they become
// infinities.
func F32ToF16Slice(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i := f32ToF16Vec(dst, src); i < len(src); i++ {
		dst[i] = f32ToF16(src[i])
	}
}

func le32(b []byte) uint32 { return uint32(le16(b)) | uint32(le16(b[2:]))<<16 }
