package kernels

import (
	"encoding/binary"

	"github.com/orcd/orcd/gguf"
)

// Q3_K in LayoutRows16 (and, for the Go reference only, LayoutRows8),
// 114 bytes a row against the source's 110 (the scales become bytes). A
// packed block of per rows:
//
//	[0, 2*per)                the rows' f16 d
//	[2*per + per*j)           group j's scale minus 32, int8, row order
//	[18*per + 12*per*p)       for the pair of 16-value groups 2p, 2p+1:
//	                          L of group 2p, L of group 2p+1, then H
//	                          (4*per bytes each, row r at 4r)
//
// L holds a group's low two bits, value 4m+i at bits 2m of byte i; H the
// pair's high bits, value 4m+i of group 2p at bit m of byte i, of group
// 2p+1 at bit 4+m. The kernels (gemm_q3k16_amd64.s) merge them into the
// unsigned 3-bit u = low + 4·high of each value, whose weight is u-4.
const (
	q3KPackedRow = 114
	q3KGroups    = 18 // byte offset of the groups, per row of a group
)

// packQ3KGroups writes eight-row groups [g0, g1) of the Q3_K matrix m into
// dst in groups of per (8 or 16) rows. Eight-row group g is lanes
// 8*(g%2).. of group g/2 when per is 16.
func packQ3KGroups(dst []byte, m Matrix, g0, g1, per int) {
	packQ3Layout(dst, m, g0, g1, per, q3kBytes, func(src []byte, d *[2]byte, sc *[16]int32, u *[QK_K]byte) {
		copy(d[:], src[q3kDOff:][:2])
		q3kUnpackScales(src[q3kScalesOff:q3kScalesOff+12], sc)
		// Value 128n+32t+l's 3-bit u (weight u-4): its two low bits at
		// bits 2t of qs byte 32n+l, its high bit at bit 4n+t of hmask
		// byte l; eight values l0..l0+7 a word.
		for n := range 2 {
			for t := range 4 {
				for l0 := 0; l0 < 32; l0 += 8 {
					lo := binary.LittleEndian.Uint64(src[q3kQsOff+32*n+l0:]) >> (2 * t) & 0x0303030303030303
					hi := binary.LittleEndian.Uint64(src[q3kHmaskOff+l0:]) >> (4*n + t) & 0x0101010101010101
					binary.LittleEndian.PutUint64(u[128*n+32*t+l0:], lo|hi<<2)
				}
			}
		}
	})
}

// packQ3Layout writes eight-row groups [g0, g1) of m (blocks of bs bytes)
// into dst in packed Q3_K layout, groups of per rows: decode gives each
// source block's d, sixteen group scales and 256 3-bit values.
func packQ3Layout(dst []byte, m Matrix, g0, g1, per, bs int, decode func(src []byte, d *[2]byte, sc *[16]int32, u *[QK_K]byte)) {
	nb := m.Cols / QK_K
	rb := nb * bs
	pb := q3KPackedRow * per
	var (
		d  [2]byte
		sc [16]int32
		u  [QK_K]byte
	)
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*pb:][:pb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				decode(m.Data[(g*8+r)*rb+b*bs:][:bs], &d, &sc, &u)
				copy(blk[2*lane:][:2], d[:])
				for j := 0; j < 16; j++ {
					blk[2*per+per*j+lane] = byte(int8(sc[j]))
				}
				for p := 0; p < 8; p++ {
					pair := blk[q3KGroups*per+12*per*p:]
					l0, h0 := q3Planes(u[32*p:])
					l1, h1 := q3Planes(u[32*p+16:])
					binary.LittleEndian.PutUint32(pair[4*lane:], l0)
					binary.LittleEndian.PutUint32(pair[4*per+4*lane:], l1)
					binary.LittleEndian.PutUint32(pair[8*per+4*lane:], h0|h1<<4)
				}
			}
		}
	}
}

// q3Planes is a 16-value group's L dword (value 4m+i's low two bits at bit
// 2m of byte i) and H bits (its high bit at bit m of byte i), from the
// values u[0:16], eight at a time in a word: byte 4m+i of the group is
// byte 4(m%2)+i of word m/2.
func q3Planes(u []byte) (l, h uint32) {
	w0, w1 := binary.LittleEndian.Uint64(u), binary.LittleEndian.Uint64(u[8:])
	const lo2, bit2 = 0x0303030303030303, 0x0404040404040404
	a, b := w0&lo2, w1&lo2 // values 0..7 and 8..15, low bits
	l = uint32(a) | uint32(a>>32)<<2 | uint32(b)<<4 | uint32(b>>32)<<6
	a, b = w0&bit2>>2, w1&bit2>>2 // high bits, at bit 0 of each byte
	h = uint32(a) | uint32(a>>32)<<1 | uint32(b)<<2 | uint32(b>>32)<<3
	return l, h
}

// refGemmQ3K is the readable definition of the packed Q3_K kernels (and
// of the types re-encoded into its layout, pack_grid3.go, with t's
// codebook and factor): rows [per*g, per*g+per) of packed w times Q8_K
// token blocks from blk0 of a, into out[0:per]. Per block, the exact int32
// Σ scale·Σ cb[u]·y (Q3_K: cb[u] = u-4), times d*d_y, accumulated in
// float32 (the assembly fuses the last step, so the two agree to float
// rounding), and the sum times the factor.
func refGemmQ3K(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	cb, factor := grid3Codebook(t), grid3Factor(t)
	pb := q3KPackedRow * per
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			sumi := q3PackedTotal(blk, cb, per, r, a.Qs[(blk0+b)*QK_K:][:QK_K])
			acc += float32(float32(sumi) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b]))
		}
		out[r] = acc * factor
	}
}

// q3PackedTotal is row r's exact int32 total in one packed Q3_K-layout
// block of per rows (codebook cb) against a Q8_K block's quants ys:
// Σ_j scale_j·Σ cb[u]·y over the sixteen groups.
func q3PackedTotal(blk []byte, cb *[8]int8, per, r int, ys []int8) int32 {
	var sumi int32
	for j := 0; j < 16; j++ {
		pair := blk[q3KGroups*per+12*per*(j/2):]
		var s int32
		for mm := 0; mm < 4; mm++ {
			for i := 0; i < 4; i++ {
				lo := pair[4*per*(j%2)+4*r+i] >> (2 * mm) & 3
				hi := pair[8*per+4*r+i] >> (4*(j%2) + mm) & 1
				s += int32(cb[lo|hi<<2]) * int32(ys[16*j+4*mm+i])
			}
		}
		sumi += int32(int8(blk[2*per+per*j+r])) * s
	}
	return sumi
}

// makeOff3 fills a.Off for Q8_K blocks [lo, hi): -bias times each
// 16-value group's quant sum, where the packed Q3_K kernels start a
// group's lanes (the values' offset: 4 for Q3_K, grid3Bias for the types
// re-encoded into its layout).
func makeOff3(a *Q8, lo, hi int, bias int32) {
	for i := lo * 16; i < hi*16; i++ {
		a.Off[i] = -bias * int32(a.BSums[i])
	}
}
