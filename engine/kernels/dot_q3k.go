package kernels

import "github.com/orcd/orcd/gguf"

var _ = registerExtra(gguf.TypeQ3_K, nil, refDotQ3_K)

// Layout of ggml's block_q3_K (110 bytes for 256 values).
const (
	q3kHmaskOff  = 0   // 32 bytes: bit 4j+k of byte l is the high bit of value 128j+32k+l
	q3kQsOff     = 32  // 64 bytes: 2 low bits, value 128j+32k+l in bits 2k of byte 32j+l
	q3kScalesOff = 96  // 12 bytes: sixteen 6-bit scales, stored plus 32
	q3kDOff      = 108 // f16 super-block scale
	q3kBytes     = 110
)

// refDotQ3_K is ggml_vec_dot_q3_K_q8_K as llama.cpp runs it on x86 (the
// AVX2 branch). Its integer part is that of the generic version: value
// q = low2 - (high bit clear ? 4 : 0), times the activation quant, times
// (scale-32), summed exactly. The AVX2 branch keeps those sums in 8 int32
// lanes, lane i holding bytes 4i..4i+3 of every 32-value chunk (that is
// where vpmaddubsw+vpmaddwd leave them); per block each lane is converted
// to float and FMAed with d = y.d*x.d, and the 8 lanes are reduced at the
// end by hsum_float_8. The generic version's float order differs (lanes by
// index mod 8, separate multiply and add); we follow the AVX2 one so that
// the assembly can match this reference bit for bit.
func refDotQ3_K(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	var sc [16]int32
	for b := 0; b < nb; b++ {
		blk := w[b*q3kBytes : (b+1)*q3kBytes]
		hm := blk[q3kHmaskOff : q3kHmaskOff+32]
		qs := blk[q3kQsOff : q3kQsOff+64]
		q3kUnpackScales(blk[q3kScalesOff:q3kScalesOff+12], &sc)
		y := a.Qs[(blk0+b)*QK_K : (blk0+b+1)*QK_K]
		var lane [8]int32
		for j := 0; j < 2; j++ {
			for k := 0; k < 4; k++ {
				bit, shift := uint(4*j+k), uint(2*k)
				for l := 0; l < 32; l++ {
					q := int32(qs[32*j+l] >> shift & 3)
					if hm[l]>>bit&1 == 0 {
						q -= 4
					}
					lane[l/4] += sc[8*j+2*k+l/16] * q * int32(y[128*j+32*k+l])
				}
			}
		}
		d := a.D[blk0+b] * f16ToF32(le16(blk[q3kDOff:]))
		for i := range acc {
			acc[i] = fma32(d, float32(lane[i]), acc[i])
		}
	}
	// hsum_float_8: high half onto low half, then (0+2)+(1+3).
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

// q3kUnpackScales is gguf's unpacking of the 12 scale bytes, with the +32
// offset removed.
func q3kUnpackScales(s []byte, out *[16]int32) {
	var sc [16]int8
	gguf.UnpackQ3KScales(s, &sc)
	for i, v := range sc {
		out[i] = int32(v) - 32
	}
}
