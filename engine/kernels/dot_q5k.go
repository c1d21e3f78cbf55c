package kernels

import "github.com/orcd/orcd/gguf"

var _ = registerExtra(gguf.TypeQ5_K, nil, refDotQ5_K)

// Layout of ggml's block_q5_K (176 bytes for 256 values).
const (
	q5kDOff      = 0  // f16 super-block scale
	q5kDminOff   = 2  // f16 super-block min scale
	q5kScalesOff = 4  // 12 bytes: eight 6-bit scales and mins, packed as Q4_K's
	q5kQhOff     = 16 // 32 bytes: bit 2j of byte l is the fifth bit of value 64j+l, bit 2j+1 that of 64j+32+l
	q5kQsOff     = 48 // 128 bytes: value 64j+l in the low nibble of byte 32j+l, 64j+32+l in its high nibble
	q5kBytes     = 176
)

// refDotQ5_K is ggml_vec_dot_q5_K_q8_K as llama.cpp runs it on x86 (the
// AVX2 branch). Its integer part is the generic version's: value q (0..31)
// times the activation quant times the sub-block's 6-bit scale, summed
// exactly, and the mins applied through the activation's 16-value sums,
// Σ m_j·(bsums[2j]+bsums[2j+1]). The AVX2 branch keeps the scale sums in 8
// int32 lanes, lane i holding bytes 4i..4i+3 of every 32-value sub-block
// (vpmaddubsw+vpmaddwd leave them there); per block each lane is converted
// to float and FMAed with d = y.d*x.d. The mins sum goes, per block, into a
// scalar summs += (-y.d*x.dmin)·summ, which compilers contract to an FMA
// (as ggml's Q4_K AVX2 code spells out). The result is hsum_float_8 of the
// lanes plus summs. The generic version's float order differs (lanes by
// index mod 8, separate multiply and add); we follow the AVX2 one so that
// the assembly can match this reference bit for bit.
func refDotQ5_K(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	var summs float32
	for b := 0; b < nb; b++ {
		blk := w[b*q5kBytes : (b+1)*q5kBytes]
		scales := blk[q5kScalesOff : q5kScalesOff+12]
		qh := blk[q5kQhOff : q5kQhOff+32]
		qs := blk[q5kQsOff : q5kQsOff+128]
		y := a.Qs[(blk0+b)*QK_K : (blk0+b+1)*QK_K]
		bsums := a.BSums[(blk0+b)*16 : (blk0+b+1)*16]
		var lane [8]int32
		var summ int32
		for j := 0; j < 8; j++ {
			sc, m := q4KScaleMin(j, scales)
			summ += int32(m) * (int32(bsums[2*j]) + int32(bsums[2*j+1]))
			shift := uint(4 * (j % 2))
			for l := 0; l < 32; l++ {
				q := int32(qs[32*(j/2)+l]>>shift&0x0f | (qh[l]>>uint(j)&1)<<4)
				lane[l/4] += int32(sc) * q * int32(y[32*j+l])
			}
		}
		d := a.D[blk0+b] * f16ToF32(le16(blk[q5kDOff:]))
		dmin := -a.D[blk0+b] * f16ToF32(le16(blk[q5kDminOff:]))
		summs = fma32(dmin, float32(summ), summs)
		for i := range acc {
			acc[i] = fma32(d, float32(lane[i]), acc[i])
		}
	}
	// hsum_float_8: high half onto low half, then (0+2)+(1+3).
	h := ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
	return h + summs
}
