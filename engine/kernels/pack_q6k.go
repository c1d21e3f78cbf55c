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

// packQ6KGroups writes eight-row groups [g0, g1) of the Q6_K matrix m
// into dst in LayoutRows8.
func packQ6KGroups(dst []byte, m Matrix, g0, g1 int) {
	nb := m.Cols / QK_K
	rb := nb * q6KBlock
	var q [QK_K]uint8
	var sc [16]int8
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*nb+b)*8*q6KBlock:][:8*q6KBlock]
			for r := 0; r < 8; r++ {
				src := m.Data[(g*8+r)*rb+b*q6KBlock:][:q6KBlock]
				q6KValues(src, &q, &sc)
				blk[2*r], blk[2*r+1] = src[208], src[209]
				for j := 0; j < 16; j++ {
					blk[16+8*j+r] = byte(sc[j])
					grp := blk[144+96*j:]
					for i := 0; i < 4; i++ {
						c0, c1, c2, c3 := q[16*j+i], q[16*j+4+i], q[16*j+8+i], q[16*j+12+i]
						grp[4*r+i] = c0&0xf | (c2&0xf)<<4
						grp[32+4*r+i] = c1&0xf | (c3&0xf)<<4
						grp[64+4*r+i] = c0>>4 | (c1>>4)<<2 | (c2>>4)<<4 | (c3>>4)<<6
					}
				}
			}
		}
	}
}

// refGemmQ6KRows8 is the readable definition of the packed Q6_K kernels:
// rows [8g, 8g+8) of packed w times the token's Q8_K blocks from blk0,
// into out[0:8]. The integer total per block is exact; the assembly's
// last step is a fused multiply-add, so the two agree to float rounding.
func refGemmQ6KRows8(w []byte, g, nb int, a *Q8, blk0 int, out []float32) {
	for r := 0; r < 8; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*8*q6KBlock:][:8*q6KBlock]
			ys := a.Qs[(blk0+b)*QK_K:][:QK_K]
			var total int32
			for j := 0; j < 16; j++ {
				grp := blk[144+96*j:]
				var s int32
				for i := 0; i < 4; i++ {
					n0, n1, h := grp[4*r+i], grp[32+4*r+i], grp[64+4*r+i]
					c := [4]int32{
						int32(n0&0xf | (h&3)<<4), int32(n1&0xf | (h>>2&3)<<4),
						int32(n0>>4 | (h>>4&3)<<4), int32(n1>>4 | (h>>6&3)<<4),
					}
					for k, v := range c {
						s += (v - 32) * int32(ys[16*j+4*k+i])
					}
				}
				total += int32(int8(blk[16+8*j+r])) * s
			}
			acc += float32(total) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b])
		}
		out[r] = acc
	}
}

// makeOff6 fills a.Off for Q8_K blocks [lo, hi): -32 times each 16-value
// group's sum, the packed Q6_K kernels' starting value per group.
func makeOff6(a *Q8, lo, hi int) {
	for i := lo * 16; i < hi*16; i++ {
		a.Off[i] = -32 * int32(a.BSums[i])
	}
}
