package gguf

import "encoding/binary"

// KValuesIQ4NL is the non-linear 4-bit codebook of IQ4_NL and IQ4_XS
// (ggml's kvalues_iq4nl): a nibble q stands for KValuesIQ4NL[q] times the
// block's scale.
var KValuesIQ4NL = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// IQ4_NL block (18 bytes): f16 d, 16 bytes of nibbles laid out as Q4_0's
// (element j the low nibble of byte j, j+16 the high one); value
// d*KValuesIQ4NL[q].
func DequantizeRowIQ4_NL(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*18 : b*18+18]
		d := f16At(blk, 0)
		y := dst[b*32 : b*32+32]
		for j, q := range blk[2:18] {
			y[j] = d * float32(KValuesIQ4NL[q&0xf])
			y[j+16] = d * float32(KValuesIQ4NL[q>>4])
		}
	}
}

// IQ4_XS block (136 bytes, 256 values): f16 d, u16 scales_h, 4 bytes
// scales_l, 128 bytes of nibbles. Sub-block ib (32 values, nibbles as
// IQ4_NL's) has the 6-bit scale ls whose low 4 bits are nibble ib%2 of
// scales_l[ib/2] and high 2 bits are bits 2ib..2ib+1 of scales_h; value
// d*(ls-32)*KValuesIQ4NL[q].
func DequantizeRowIQ4_XS(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*136 : b*136+136]
		d := f16At(blk, 0)
		sh := binary.LittleEndian.Uint16(blk[2:])
		for ib := 0; ib < 8; ib++ {
			ls := int(blk[4+ib/2]>>(4*(ib%2))&0xf) | int(sh>>(2*ib)&3)<<4
			dl := d * float32(ls-32)
			qs := blk[8+16*ib : 8+16*ib+16]
			y := dst[b*QK_K+32*ib : b*QK_K+32*ib+32]
			for j, q := range qs {
				y[j] = dl * float32(KValuesIQ4NL[q&0xf])
				y[j+16] = dl * float32(KValuesIQ4NL[q>>4])
			}
		}
	}
}
