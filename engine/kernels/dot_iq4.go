package kernels

import "github.com/orcd/orcd/gguf"

var (
	_ = registerExtra(gguf.TypeIQ4_NL, nil, refDotIQ4_NL)
	_ = registerExtra(gguf.TypeIQ4_XS, nil, refDotIQ4_XS)
)

// Block layouts (gguf/dequant_iq4.go): IQ4_NL is f16 d + 16 nibble bytes
// for 32 values; IQ4_XS is f16 d, u16 scales_h, 4 bytes scales_l and 128
// nibble bytes for 256 values. In both, value j of a 32-value group is the
// low nibble of byte j and value j+16 its high nibble, mapped through the
// codebook gguf.KValuesIQ4NL.
const (
	iq4nlBytes = 18
	iq4xsBytes = 136
)

// iq4Lanes adds to lane the products of 32 codebook values with y, lane i
// holding values 4i..4i+3: the int32 lanes that ggml's AVX2 code gets
// from the two 16-byte nibble halves side by side (vpshufb, vpmaddubsw,
// vpmaddwd), scaled by the integer ls.
func iq4Lanes(lane *[8]int32, qs []byte, y []int8, ls int32) {
	for j := 0; j < 16; j++ {
		lane[j/4] += ls * int32(gguf.KValuesIQ4NL[qs[j]&0xf]) * int32(y[j])
		lane[4+j/4] += ls * int32(gguf.KValuesIQ4NL[qs[j]>>4]) * int32(y[16+j])
	}
}

// iq4Hsum is ggml's hsum_float_8: high half onto low half, then
// (0+2)+(1+3).
func iq4Hsum(acc *[8]float32) float32 {
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

// refDotIQ4_NL is ggml_vec_dot_iq4_nl_q8_0 as llama.cpp runs it on x86
// (the AVX2 branch). The integer products are the generic version's,
// exact; the float order is the AVX2 one so that the assembly can match
// bit for bit: blocks in pairs, each block's 8 int32 lanes converted and
// FMAed with d = y.d*x.d into accum1 (even blocks) or accum2 (odd blocks),
// sumf = hsum_float_8(accum1+accum2); an odd last block then goes through
// the scalar tail, sumf += d*sumi, which compilers contract to an FMA.
func refDotIQ4_NL(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [2][8]float32
	b := 0
	for ; b+1 < nb; b += 2 {
		for k := 0; k < 2; k++ {
			blk := w[(b+k)*iq4nlBytes : (b+k+1)*iq4nlBytes]
			var lane [8]int32
			iq4Lanes(&lane, blk[2:], a.Qs[(blk0+b+k)*32:], 1)
			d := a.D[blk0+b+k] * f16ToF32(le16(blk))
			for i := range lane {
				acc[k][i] = fma32(d, float32(lane[i]), acc[k][i])
			}
		}
	}
	var sum [8]float32
	for i := range sum {
		sum[i] = acc[0][i] + acc[1][i]
	}
	sumf := iq4Hsum(&sum)
	if b < nb {
		blk := w[b*iq4nlBytes : (b+1)*iq4nlBytes]
		var lane [8]int32
		iq4Lanes(&lane, blk[2:], a.Qs[(blk0+b)*32:], 1)
		var sumi int32
		for _, v := range lane {
			sumi += v
		}
		d := a.D[blk0+b] * f16ToF32(le16(blk))
		sumf = fma32(d, float32(sumi), sumf)
	}
	return sumf
}

// iq4xsScale is sub-block ib's 6-bit scale minus 32: low 4 bits from
// nibble ib%2 of scales_l[ib/2], high 2 bits from bits 2ib, 2ib+1 of
// scales_h.
func iq4xsScale(blk []byte, ib int) int32 {
	sh := le16(blk[2:])
	return int32(blk[4+ib/2]>>(4*(ib%2))&0xf|byte(sh>>(2*ib)&3)<<4) - 32
}

// refDotIQ4_XS is ggml_vec_dot_iq4_xs_q8_K as llama.cpp runs it on x86
// (the AVX2 branch): per super-block, the 8 int32 lanes of all eight
// sub-blocks, each scaled by its ls-32 (vpmaddwd), then one FMA per block
// with d = x.d*y.d into 8 float lanes, and hsum_float_8 at the end. The
// integer sums are the generic version's exact products (ggml's AVX2 sign
// trick would wrap a -128 activation quant; the sums here do not).
func refDotIQ4_XS(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		blk := w[b*iq4xsBytes : (b+1)*iq4xsBytes]
		y := a.Qs[(blk0+b)*QK_K : (blk0+b+1)*QK_K]
		var lane [8]int32
		for ib := 0; ib < 8; ib++ {
			iq4Lanes(&lane, blk[8+16*ib:], y[32*ib:], iq4xsScale(blk, ib))
		}
		d := f16ToF32(le16(blk)) * a.D[blk0+b]
		for i := range acc {
			acc[i] = fma32(d, float32(lane[i]), acc[i])
		}
	}
	return iq4Hsum(&acc)
}
