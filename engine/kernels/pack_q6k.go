package kernels

// Q6_K in LayoutRows8 (see gemm_q6k_amd64.s for the byte layout): the
// 6-bit values are regrouped so that each 4-byte lane of a chunk holds four
// consecutive values of one row, and a group's scales are eight int8 in
// row order.

const q6KBlock = 210 // bytes of one Q6_K block

// q6KValues decodes one Q6_K block's 256 unsigned 6-bit values (0..63,
// offset 32) and 16 scales, in ggml's layout (dequantize_row_q6_K).
func q6KValues(src []byte, q *[QK_K]uint8, sc *[16]int8) {
	for h := 0; h < 2; h++ {
		ql, qh := src[64*h:], src[128+32*h:]
		for l := 0; l < 32; l++ {
			q[128*h+l] = ql[l]&0xf | (qh[l]>>0&3)<<4
			q[128*h+l+32] = ql[l+32]&0xf | (qh[l]>>2&3)<<4
			q[128*h+l+64] = ql[l]>>4 | (qh[l]>>4&3)<<4
			q[128*h+l+96] = ql[l+32]>>4 | (qh[l]>>6&3)<<4
		}
	}
	for j := range sc {
		sc[j] = int8(src[192+j])
	}
}

// packQ6KGroupsAs writes eight-row groups [g0, g1) of the Q6_K matrix m
// into dst in groups of per (8 or 16) rows: a block of per rows holds the
// rows' f16 d (2*per bytes), then the sixteen groups' scales (per bytes
// each), then per group three vectors of 4*per bytes (N0, N1, H; see
// gemm_q6k_amd64.s). Eight-row group g is lanes 8*(g%2).. of group g/2
// when per is 16.
func packQ6KGroupsAs(dst []byte, m Matrix, g0, g1, per int) {
	nb := m.Cols / QK_K
	rb := nb * q6KBlock
	sc0, grp0 := 2*per, 18*per // scales, then the groups' vectors
	var q [QK_K]uint8
	var sc [16]int8
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*per*q6KBlock:][:per*q6KBlock]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*q6KBlock:][:q6KBlock]
				q6KValues(src, &q, &sc)
				blk[2*lane], blk[2*lane+1] = src[208], src[209]
				for j := 0; j < 16; j++ {
					blk[sc0+per*j+lane] = byte(sc[j])
					grp := blk[grp0+12*per*j:]
					for i := 0; i < 4; i++ {
						c0, c1, c2, c3 := q[16*j+i], q[16*j+4+i], q[16*j+8+i], q[16*j+12+i]
						grp[4*lane+i] = c0&0xf | (c2&0xf)<<4
						grp[4*per+4*lane+i] = c1&0xf | (c3&0xf)<<4
						grp[8*per+4*lane+i] = c0>>4 | (c1>>4)<<2 | (c2>>4)<<4 | (c3>>4)<<6
					}
				}
			}
		}
	}
}

// refGemmQ6K is the readable definition of the packed Q6_K kernels: rows
// [per*g, per*g+per) of packed w times the token's Q8_K blocks from blk0,
// into out[0:per]. The integer total per block is exact; the assembly's
// last step is a fused multiply-add, so the two agree to float rounding.
func refGemmQ6K(w []byte, per, g, nb int, a *Q8, blk0 int, out []float32) {
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*q6KBlock:][:per*q6KBlock]
			total := q6KPackedTotal(blk, per, r, a.Qs[(blk0+b)*QK_K:][:QK_K])
			acc += float32(float32(total) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b]))
		}
		out[r] = acc
	}
}

// q6KPackedTotal is row r's exact integer total in one packed Q6_K block
// of per rows against a Q8_K block's quants ys: Σ_j sc_j·((q-32)·y)_j.
func q6KPackedTotal(blk []byte, per, r int, ys []int8) int32 {
	sc0, grp0 := 2*per, 18*per
	var total int32
	for j := 0; j < 16; j++ {
		grp := blk[grp0+12*per*j:]
		var s int32
		for i := 0; i < 4; i++ {
			n0, n1, h := grp[4*r+i], grp[4*per+4*r+i], grp[8*per+4*r+i]
			c := [4]int32{
				int32(n0&0xf | (h&3)<<4), int32(n1&0xf | (h>>2&3)<<4),
				int32(n0>>4 | (h>>4&3)<<4), int32(n1>>4 | (h>>6&3)<<4),
			}
			for k, v := range c {
				s += (v - 32) * int32(ys[16*j+4*k+i])
			}
		}
		total += int32(int8(blk[sc0+per*j+r])) * s
	}
	return total
}

// makeOff6 fills a.Off for Q8_K blocks [lo, hi): -32 times each 16-value
// group's sum, the packed Q6_K kernels' starting value per group.
func makeOff6(a *Q8, lo, hi int) {
	for i := lo * 16; i < hi*16; i++ {
		a.Off[i] = -32 * int32(a.BSums[i])
	}
}
