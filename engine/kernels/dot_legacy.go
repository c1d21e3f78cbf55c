package kernels

import (
	"encoding/binary"

	"github.com/orcd/orcd/gguf"
)

// Row dots of the legacy 32-value formats with fifth bits or mins, against
// Q8_0 activation blocks. They follow ggml's generic C (quants.c):
// ggml_vec_dot_q5_0_q8_0, ggml_vec_dot_q4_1_q8_1 and ggml_vec_dot_q5_1_q8_1.
// One exact integer sum per block, then per block, in that order:
//
//	sumf += (d_x*d_y)*sumi                 (Q5_0)
//	sumf += (d_x*d_y)*sumi + m_x*s_y       (Q4_1, Q5_1)
//
// with every product and sum rounded to float32 (no FMA; the float32
// conversions below stop Go from fusing). ggml's q8_1 blocks carry
// s_y = f16(d_y * Σ quants); Q8 holds only d, already rounded to f16, so
// s_y is rebuilt here from that d and the block's quants. (ggml's
// quantizer multiplies the sum by d before its f16 rounding, so s_y can
// differ from ggml's by one f16 ulp.)

var (
	_ = registerExtra(gguf.TypeQ5_0, nil, refDotQ5_0)
	_ = registerExtra(gguf.TypeQ4_1, nil, refDotQ4_1)
	_ = registerExtra(gguf.TypeQ5_1, nil, refDotQ5_1)
)

// q8_1Sum is s_y of activation block b: f16(d * Σ quants), as a float.
func q8_1Sum(a *Q8, b int) float32 { return q8_1SumOf(q8BlockSum(a, b), a.D[b]) }

// q8BlockSum is Σ quants of Q8_0 block b.
func q8BlockSum(a *Q8, b int) int32 {
	var s int32
	for _, q := range a.Qs[b*32 : b*32+32] {
		s += int32(q)
	}
	return s
}

// q8_1SumOf is s_y from a block's quant sum and scale.
func q8_1SumOf(s int32, d float32) float32 { return roundF16(float32(s) * d) }

// refDotQ5_0: block = f16 d, u32 qh, 16 nibble bytes (22 bytes). Value j
// is the low nibble of byte j with bit j of qh as its fifth bit, value
// j+16 the high nibble with bit j+16; both offset by 16.
func refDotQ5_0(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*22 : (b+1)*22]
		qh := binary.LittleEndian.Uint32(wb[2:])
		qs := a.Qs[(blk0+b)*32:]
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			x0 := int32(uint32(wb[6+j]&0x0f)|(qh>>j&1)<<4) - 16
			x1 := int32(uint32(wb[6+j]>>4)|(qh>>(j+16)&1)<<4) - 16
			s0 += x0 * int32(qs[j])
			s1 += x1 * int32(qs[j+16])
		}
		dd := float32(f16ToF32(le16(wb)) * a.D[blk0+b])
		sum += float32(dd * float32(s0+s1))
	}
	return sum
}

// refDotQ4_1: block = f16 d, f16 m, 16 nibble bytes (20 bytes), unsigned
// nibbles laid out as Q4_0's.
func refDotQ4_1(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*20 : (b+1)*20]
		qs := a.Qs[(blk0+b)*32:]
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			s0 += int32(wb[4+j]&0x0f) * int32(qs[j])
			s1 += int32(wb[4+j]>>4) * int32(qs[j+16])
		}
		dd := float32(f16ToF32(le16(wb)) * a.D[blk0+b])
		ms := float32(f16ToF32(le16(wb[2:])) * q8_1Sum(a, blk0+b))
		sum += float32(float32(dd*float32(s0+s1)) + ms)
	}
	return sum
}

// refDotQ5_1: block = f16 d, f16 m, u32 qh, 16 nibble bytes (24 bytes);
// Q5_0's bit layout without the offset.
func refDotQ5_1(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*24 : (b+1)*24]
		qh := binary.LittleEndian.Uint32(wb[4:])
		qs := a.Qs[(blk0+b)*32:]
		var s0, s1 int32
		for j := 0; j < 16; j++ {
			x0 := int32(uint32(wb[8+j]&0x0f) | (qh>>j&1)<<4)
			x1 := int32(uint32(wb[8+j]>>4) | (qh>>(j+16)&1)<<4)
			s0 += x0 * int32(qs[j])
			s1 += x1 * int32(qs[j+16])
		}
		dd := float32(f16ToF32(le16(wb)) * a.D[blk0+b])
		ms := float32(f16ToF32(le16(wb[2:])) * q8_1Sum(a, blk0+b))
		sum += float32(float32(dd*float32(s0+s1)) + ms)
	}
	return sum
}
