package kernels

import (
	"encoding/binary"

	"github.com/orcd/orcd/gguf"
)

// Q5_0, Q4_1 and Q5_1 in LayoutRows8 and LayoutRows16 (per = 8 or 16 rows
// a group). Their GGUF blocks are an f16 d, for Q4_1 and Q5_1 an f16 m,
// for Q5_0 and Q5_1 a uint32 qh of fifth bits (bit j for value j), and 16
// bytes of nibbles (value j low, j+16 high). A packed block of per rows
// is, at the same size, each part for all rows in turn:
//
//	the rows' f16 d (2*per bytes)
//	the rows' f16 m (2*per bytes; Q4_1, Q5_1)
//	row r's fifth bits F at 4r (4*per bytes; Q5_0, Q5_1; see fifthBits)
//	chunk k = 0..3: bytes 4k..4k+3 of each row's nibbles, row r at 4r
//	(4*per bytes each; Q4_0's interleave)
//
// so the kernels (gemm_legacy_amd64.s) unpack the nibbles as Q4_0's and
// take each register's fifth bits from F with one shift.

// legacyShape is a packed legacy type's block: bytes per row and block,
// and whether it has a min and fifth bits.
type legacyShape struct {
	bb          int
	min, fifth  bool
	srcQh, srcQ int // offsets of qh and the nibbles in a GGUF block
}

func legacyShapeOf(t gguf.Type) (legacyShape, bool) {
	switch t {
	case gguf.TypeQ5_0:
		return legacyShape{bb: 22, fifth: true, srcQh: 2, srcQ: 6}, true
	case gguf.TypeQ4_1:
		return legacyShape{bb: 20, min: true, srcQ: 4}, true
	case gguf.TypeQ5_1:
		return legacyShape{bb: 24, min: true, fifth: true, srcQh: 4, srcQ: 8}, true
	}
	return legacyShape{}, false
}

// offsets are where a packed block of per rows keeps the mins, the fifth
// bits and chunk 0.
func (s legacyShape) offsets(per int) (mins, fifth, chunks int) {
	mins = 2 * per
	fifth = mins
	if s.min {
		fifth += 2 * per
	}
	chunks = fifth
	if s.fifth {
		chunks += 4 * per
	}
	return mins, fifth, chunks
}

// fifthBits reorders a block's qh for the packed layout: bit 8i+c of the
// result is the fifth bit of byte i of nibble register c, where registers
// 0..3 are the low nibbles of chunks 0..3 of the interleave (values 4c+i)
// and 4..7 their high nibbles (values 16+4(c-4)+i): qh bit 4c+i in both
// cases.
func fifthBits(qh uint32) uint32 {
	var f uint32
	for c := 0; c < 8; c++ {
		for i := 0; i < 4; i++ {
			f |= (qh >> (4*c + i) & 1) << (8*i + c)
		}
	}
	return f
}

// packLegacyGroups writes eight-row groups [g0, g1) of the Q5_0, Q4_1 or
// Q5_1 matrix m into dst in groups of per (8 or 16) rows. Eight-row group
// g is lanes 8*(g%2).. of group g/2 when per is 16.
func packLegacyGroups(dst []byte, m Matrix, g0, g1, per int) {
	s, _ := legacyShapeOf(m.Type)
	mins, fifth, chunks := s.offsets(per)
	nb := m.Cols / QK8_0
	rb := nb * s.bb
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*per*s.bb:][:per*s.bb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*s.bb:][:s.bb]
				copy(blk[2*lane:][:2], src[0:2])
				if s.min {
					copy(blk[mins+2*lane:][:2], src[2:4])
				}
				if s.fifth {
					binary.LittleEndian.PutUint32(blk[fifth+4*lane:], fifthBits(binary.LittleEndian.Uint32(src[s.srcQh:])))
				}
				for k := 0; k < 4; k++ {
					copy(blk[chunks+4*per*k+4*lane:][:4], src[s.srcQ+4*k:][:4])
				}
			}
		}
	}
}

// refGemmLegacy is the readable definition of the packed Q5_0, Q4_1 and
// Q5_1 kernels: rows [per*g, per*g+per) of packed w times token blocks
// from blk0 of a, into out[0:per]. Per block, the exact integer dot of
// the values (q-16 for Q5_0, q for the others) times the two scales'
// product, plus for Q4_1 and Q5_1 the min times ggml's s_y, accumulated
// in float32 (the assembly fuses the steps, so the two agree to float
// rounding).
func refGemmLegacy(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	s, _ := legacyShapeOf(t)
	mins, _, _ := s.offsets(per)
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*s.bb:][:per*s.bb]
			dot, sum := legacyPackedDot(blk, t, per, r, a, blk0+b)
			acc += float32(float32(dot) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b]))
			if s.min {
				acc += float32(f16ToF32(le16(blk[mins+2*r:])) * q8_1SumOf(sum, a.D[blk0+b]))
			}
		}
		out[r] = acc
	}
}

// legacyPackedDot is row r's exact integer dot in one packed Q5_0, Q4_1
// or Q5_1 block of per rows against Q8_0 block b of a (Q5_0's values
// offset by -16), and the block's quant sum.
func legacyPackedDot(blk []byte, t gguf.Type, per, r int, a *Q8, b int) (dot, sum int32) {
	s, _ := legacyShapeOf(t)
	_, fifth, chunks := s.offsets(per)
	var f uint32
	if s.fifth {
		f = binary.LittleEndian.Uint32(blk[fifth+4*r:])
	}
	qs := a.Qs[b*QK8_0:][:QK8_0]
	for k := 0; k < 4; k++ {
		for i := 0; i < 4; i++ {
			q := blk[chunks+4*per*k+4*r+i]
			lo := int32(q&0x0f) | int32(f>>(8*i+k)&1)<<4
			hi := int32(q>>4) | int32(f>>(8*i+4+k)&1)<<4
			dot += lo*int32(qs[4*k+i]) + hi*int32(qs[16+4*k+i])
		}
	}
	sum = q8BlockSum(a, b)
	if t == gguf.TypeQ5_0 {
		dot -= 16 * sum
	}
	return dot, sum
}
