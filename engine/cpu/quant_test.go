package cpu

import (
	"encoding/binary"
	"math"

	"github.com/orcd/orcd/gguf"
)

// quantizeForTest is gguf.Quantize, plus the IQ4 types, which gguf cannot
// quantize (ggml's importance search is not ported): each value takes the
// codebook entry nearest to it under a scale from the block's largest
// value. The blocks are valid, if not llama-quantize's, which is all the
// tests and benchmarks that build models need.
func quantizeForTest(t gguf.Type, x []float32) ([]byte, error) {
	switch t {
	case gguf.TypeIQ4_NL:
		out := make([]byte, len(x)/32*18)
		for b := 0; b < len(x)/32; b++ {
			xb := x[32*b : 32*b+32]
			d := amax(xb) / 127
			binary.LittleEndian.PutUint16(out[18*b:], gguf.F32ToF16(d))
			d = gguf.F16ToF32(gguf.F32ToF16(d))
			putNibbles(out[18*b+2:18*b+18], xb, d)
		}
		return out, nil
	case gguf.TypeIQ4_XS:
		out := make([]byte, len(x)/256*136)
		for b := 0; b < len(x)/256; b++ {
			xb, ob := x[256*b:256*b+256], out[136*b:136*b+136]
			d := amax(xb) / 127 / 31 // sub-block scales up to 31 steps
			binary.LittleEndian.PutUint16(ob, gguf.F32ToF16(d))
			d = gguf.F16ToF32(gguf.F32ToF16(d))
			var sh uint16
			for ib := 0; ib < 8; ib++ {
				sub := xb[32*ib : 32*ib+32]
				l := 0
				if d > 0 {
					l = min(31, int(math.Round(float64(amax(sub)/127/d))))
				}
				ob[4+ib/2] |= byte((l+32)&0xf) << (4 * (ib % 2))
				sh |= uint16((l+32)>>4) << (2 * ib)
				putNibbles(ob[8+16*ib:8+16*ib+16], sub, d*float32(l))
			}
			binary.LittleEndian.PutUint16(ob[2:], sh)
		}
		return out, nil
	}
	return gguf.Quantize(t, x)
}

func amax(x []float32) float32 {
	var m float32
	for _, v := range x {
		m = max(m, float32(math.Abs(float64(v))))
	}
	return m
}

// putNibbles writes the 32 values of x as the codebook indices nearest to
// x/d, in IQ4_NL's nibble order.
func putNibbles(dst []byte, x []float32, d float32) {
	idx := func(v float32) byte {
		best, bi := float32(math.Inf(1)), 0
		for i, k := range gguf.KValuesIQ4NL {
			if e := float32(math.Abs(float64(d*float32(k) - v))); e < best {
				best, bi = e, i
			}
		}
		return byte(bi)
	}
	for j := 0; j < 16; j++ {
		dst[j] = idx(x[j]) | idx(x[j+16])<<4
	}
}
