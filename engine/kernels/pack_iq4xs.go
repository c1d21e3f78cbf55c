package kernels

import "github.com/orcd/orcd/gguf"

// IQ4_XS in LayoutRows16 (and, for the Go reference only, LayoutRows8).
// A GGUF IQ4_XS block (136 bytes, 256 values) is f16 d, the eight
// sub-blocks' 6-bit scales ls split over a u16 and four bytes, and for
// each sub-block of 32 values 16 bytes of codebook nibbles laid out as
// IQ4_NL's (value i low, 16+i high). A packed block of per rows is 138*per
// bytes (1.5% more than the source):
//
//	[0, 2*per)                 the rows' f16 d
//	[2*per + per*j)            sub-block j's scales ls-32, int8, row order
//	[10*per + 16*per*j + 4*per*k)
//	                           sub-block j's chunk k = 0..3: bytes
//	                           4k..4k+3 of each row's 16, row r at 4r
//
// so the kernels (gemm_iq4xs16_amd64.s) unpack a sub-block as Q4_0's
// packed kernels do a block, look the nibbles up as codebook+128, and
// scale the sub-block's exact int32 dot by its scale, as Q4_K's do.
const (
	iq4xsBlock        = 136
	iq4xsPackedBlock8 = 138 * 8 // one packed block of eight rows
)

// packIQ4XSGroups writes eight-row groups [g0, g1) of the IQ4_XS matrix m
// into dst in groups of per (8 or 16) rows. Eight-row group g is lanes
// 8*(g%2).. of group g/2 when per is 16.
func packIQ4XSGroups(dst []byte, m Matrix, g0, g1, per int) {
	nb := m.Cols / QK_K
	rb := nb * iq4xsBlock
	pb := 138 * per
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*pb:][:pb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*iq4xsBlock:][:iq4xsBlock]
				copy(blk[2*lane:][:2], src[0:2])
				for j := 0; j < 8; j++ {
					blk[2*per+per*j+lane] = byte(int8(iq4xsScale(src, j)))
					for k := 0; k < 4; k++ {
						copy(blk[10*per+16*per*j+4*per*k+4*lane:][:4], src[8+16*j+4*k:][:4])
					}
				}
			}
		}
	}
}

// refGemmIQ4XS is the readable definition of the packed IQ4_XS kernels
// (and so of packed IQ3_S and IQ3_XXS, t's codebook and factor):
// rows [per*g, per*g+per) of packed w times Q8_K token blocks from blk0
// of a, into out[0:per]. Per block, the exact int32 sum over sub-blocks of
// scale times the dot of codebook values with the token's quants, times
// d*d_y, accumulated in float32 (the assembly fuses the last step, so the
// two agree to float rounding), and the sum times the type's factor.
func refGemmIQ4XS(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	cb, factor := xsCodebook(t), xsFactor(t)
	pb := 138 * per
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			sumi := xsPackedTotal(blk, cb, per, r, a.Qs[(blk0+b)*QK_K:][:QK_K])
			acc += float32(float32(sumi) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b]))
		}
		out[r] = acc * factor
	}
}

// xsPackedTotal is row r's exact int32 total in one packed IQ4_XS-layout
// block of per rows (codebook cb) against a Q8_K block's quants ys: the
// sum over sub-blocks of scale times the dot of codebook values with ys.
func xsPackedTotal(blk []byte, cb *[16]int8, per, r int, ys []int8) int32 {
	var sumi int32
	for j := 0; j < 8; j++ {
		var s int32
		for k := 0; k < 4; k++ {
			for i := 0; i < 4; i++ {
				q := blk[10*per+16*per*j+4*per*k+4*r+i]
				s += int32(cb[q&0x0f])*int32(ys[32*j+4*k+i]) + int32(cb[q>>4])*int32(ys[32*j+16+4*k+i])
			}
		}
		sumi += int32(int8(blk[2*per+per*j+r])) * s
	}
	return sumi
}
