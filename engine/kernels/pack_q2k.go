package kernels

// Q2_K in LayoutRows16 (and, for the Go reference only, LayoutRows8),
// at the source's size, 84 bytes a row. A packed block of per rows:
//
//	[0, 2*per)                  the rows' f16 d
//	[2*per, 4*per)              the rows' f16 dmin
//	[4*per + 2*per*p)           groups 2p and 2p+1's scale bytes (scale
//	                            low nibble, min high), row r at 2r, 2r+1
//	[20*per + 4*per*j)          group j's sixteen 2-bit values, row r at
//	                            4r: byte i holds value 4m+i at bits 2m
//
// so that the kernels (gemm_q2k16_amd64.s) get a group's four value
// dwords per row with one shift and mask each, its scales per row as
// dwords, and the mins of a pair of groups as the int16 pairs vpdpwssd
// takes against the tokens' pairs of group sums (makeOffQ2K).
const q2KPackedRow = 84

// q2KValue is value v (0..255) of a GGUF Q2_K block: byte 32n+l of the
// quants holds values 128n+32t+l at bits 2t (dot_q2k.go).
func q2KValue(blk []byte, v int) byte {
	n, t, l := v/128, v%128/32, v%32
	return blk[q2KQs+32*n+l] >> (2 * t) & 3
}

// packQ2KGroups writes eight-row groups [g0, g1) of the Q2_K matrix m into
// dst in groups of per (8 or 16) rows. Eight-row group g is lanes
// 8*(g%2).. of group g/2 when per is 16.
func packQ2KGroups(dst []byte, m Matrix, g0, g1, per int) {
	nb := m.Cols / QK_K
	rb := nb * q2KBlockBytes
	pb := q2KPackedRow * per
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*pb:][:pb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*q2KBlockBytes:][:q2KBlockBytes]
				copy(blk[2*lane:][:2], src[q2KD:][:2])
				copy(blk[2*per+2*lane:][:2], src[q2KDmin:][:2])
				for p := 0; p < 8; p++ {
					copy(blk[4*per+2*per*p+2*lane:][:2], src[2*p:][:2])
				}
				for j := 0; j < 16; j++ {
					for i := 0; i < 4; i++ {
						var v byte
						for mm := 0; mm < 4; mm++ {
							v |= q2KValue(src, 16*j+4*mm+i) << (2 * mm)
						}
						blk[20*per+4*per*j+4*lane+i] = v
					}
				}
			}
		}
	}
}

// refGemmQ2K is the readable definition of the packed Q2_K kernels: rows
// [per*g, per*g+per) of packed w times Q8_K token blocks from blk0 of a,
// into out[0:per]. Per block, the exact int32 totals Σ scale·(group dot)
// and Σ min·(group sum), then d*d_y times the one minus dmin*d_y times
// the other, accumulated in float32 (the assembly fuses the steps, so the
// two agree to float rounding).
func refGemmQ2K(w []byte, per, g, nb int, a *Q8, blk0 int, out []float32) {
	pb := q2KPackedRow * per
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			ys := a.Qs[(blk0+b)*QK_K:][:QK_K]
			bsums := a.BSums[(blk0+b)*16:][:16]
			var sumi, summ int32
			for j := 0; j < 16; j++ {
				sc := blk[4*per+2*per*(j/2)+2*r+j%2]
				var s int32
				for mm := 0; mm < 4; mm++ {
					for i := 0; i < 4; i++ {
						q := blk[20*per+4*per*j+4*r+i] >> (2 * mm) & 3
						s += int32(q) * int32(ys[16*j+4*mm+i])
					}
				}
				sumi += int32(sc&0xf) * s
				summ += int32(sc>>4) * int32(bsums[j])
			}
			da := a.D[blk0+b]
			acc += float32(float32(sumi)*(f16ToF32(le16(blk[2*r:]))*da)) - float32(float32(summ)*(f16ToF32(le16(blk[2*per+2*r:]))*da))
		}
		out[r] = acc
	}
}

// makeOffQ2K fills a.Off for Q8_K blocks [lo, hi): per block eight int32,
// each the int16 pair of group sums (2p, 2p+1) that the packed Q2_K
// kernels multiply with the rows' mins.
func makeOffQ2K(a *Q8, lo, hi int) {
	for b := lo; b < hi; b++ {
		bs := a.BSums[b*16:][:16]
		for p := 0; p < 8; p++ {
			a.Off[b*8+p] = int32(uint32(uint16(bs[2*p])) | uint32(uint16(bs[2*p+1]))<<16)
		}
	}
}
