package kernels

import "encoding/binary"

// Q5_0 in LayoutRows8 and LayoutRows16 (per = 8 or 16 rows a group). A
// GGUF Q5_0 block is f16 d, a uint32 qh of fifth bits (bit j for value j)
// and 16 bytes of nibbles (value j low, j+16 high), 22 bytes; a packed
// block of per rows is, at the same size:
//
//	[0, 2*per)          the rows' f16 scales
//	[2*per, 6*per)      row r's fifth bits F at 4r (see fifthBits)
//	[6*per + 4*per*k)   chunk k = 0..3: bytes 4k..4k+3 of each row's
//	                    nibbles, row r at 4r (Q4_0's interleave)
//
// so the kernels (gemm_legacy_amd64.s) unpack the nibbles as Q4_0's and
// take each chunk's fifth bits from F with one shift.
const q5_0Block = 22

// fifthBits reorders a Q5_0 block's qh for the packed layout: bit 8i+c of
// the result is the fifth bit of byte i of chunk c, where chunks 0..3 are
// the low nibbles of chunks 0..3 of the interleave (values 4c+i) and
// chunks 4..7 their high nibbles (values 16+4(c-4)+i), which is qh bit
// 4c+i in both cases.
func fifthBits(qh uint32) uint32 {
	var f uint32
	for c := 0; c < 8; c++ {
		for i := 0; i < 4; i++ {
			f |= (qh >> (4*c + i) & 1) << (8*i + c)
		}
	}
	return f
}

// packQ5_0Groups writes eight-row groups [g0, g1) of the Q5_0 matrix m
// into dst in groups of per (8 or 16) rows. Eight-row group g is lanes
// 8*(g%2).. of group g/2 when per is 16.
func packQ5_0Groups(dst []byte, m Matrix, g0, g1, per int) {
	nb := m.Cols / QK8_0
	rb := nb * q5_0Block
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*per*q5_0Block:][:per*q5_0Block]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*q5_0Block:][:q5_0Block]
				blk[2*lane], blk[2*lane+1] = src[0], src[1]
				binary.LittleEndian.PutUint32(blk[2*per+4*lane:], fifthBits(binary.LittleEndian.Uint32(src[2:])))
				for k := 0; k < 4; k++ {
					copy(blk[6*per+4*per*k+4*lane:][:4], src[6+4*k:][:4])
				}
			}
		}
	}
}

// refGemmQ5_0 is the readable definition of the packed Q5_0 kernels: rows
// [per*g, per*g+per) of packed w times token blocks from blk0 of a, into
// out[0:per]. Per block the exact integer dot of the values q-16 is
// scaled by the two scales' product and accumulated in float32 (the
// assembly fuses the last step, so the two agree to float rounding).
func refGemmQ5_0(w []byte, per, g, nb int, a *Q8, blk0 int, out []float32) {
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*q5_0Block:][:per*q5_0Block]
			f := binary.LittleEndian.Uint32(blk[2*per+4*r:])
			qs := a.Qs[(blk0+b)*QK8_0:][:QK8_0]
			var s int32
			for k := 0; k < 4; k++ {
				for i := 0; i < 4; i++ {
					q := blk[6*per+4*per*k+4*r+i]
					lo := int32(q&0x0f) | int32(f>>(8*i+k)&1)<<4
					hi := int32(q>>4) | int32(f>>(8*i+4+k)&1)<<4
					s += (lo-16)*int32(qs[4*k+i]) + (hi-16)*int32(qs[16+4*k+i])
				}
			}
			acc += float32(s) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b])
		}
		out[r] = acc
	}
}
