package kernels

// Q4_K and Q5_K in LayoutRows8 (see gemm_q4k_amd64.s for the byte
// layouts). Unlike the other packed types they are larger than the source:
// the 6-bit scales and mins become bytes, 1184 bytes per eight rows' Q4_K
// block instead of 1152 (2.8% more), 1440 for Q5_K instead of 1408 (2.3%).

import "github.com/orcd/orcd/gguf"

const (
	q4KBlock       = 144  // bytes of one Q4_K block
	q4KPackedBlock = 1184 // bytes of one packed Q4_K block of eight rows
	q5KBlock       = 176  // bytes of one Q5_K block
	q5KPackedBlock = 1440 // bytes of one packed Q5_K block of eight rows
)

// packQ4KGroups writes eight-row groups [g0, g1) of the Q4_K or Q5_K
// matrix m into dst in LayoutRows8.
func packQ4KGroups(dst []byte, m Matrix, g0, g1 int) {
	q5 := m.Type == gguf.TypeQ5_K
	bb, pb, qsOff := q4KBlock, q4KPackedBlock, 16
	if q5 {
		bb, pb, qsOff = q5KBlock, q5KPackedBlock, 48
	}
	nb := m.Cols / QK_K
	rb := nb * bb
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*nb+b)*pb:][:pb]
			for r := 0; r < 8; r++ {
				src := m.Data[(g*8+r)*rb+b*bb:][:bb]
				copy(blk[2*r:2*r+2], src[0:2])       // d
				copy(blk[16+2*r:16+2*r+2], src[2:4]) // dmin
				for j := 0; j < 8; j++ {
					sc, mn := q4KScaleMin(j, src[4:16])
					blk[32+8*j+r] = sc
					blk[96+16*(j/2)+2*r+j%2] = mn
				}
				for G := 0; G < 4; G++ {
					for k := 0; k < 8; k++ {
						copy(blk[160+256*G+32*k+4*r:][:4], src[qsOff+32*G+4*k:][:4])
					}
				}
				if q5 {
					packQ5KBits(blk, src[16:48], r)
				}
			}
		}
	}
}

// packQ5KBits writes row r's fifth bits (qh) into a packed Q5_K block: in
// ggml's layout value l of sub-block j has its fifth bit at bit j of
// qh[l]; packed, byte 4r+i of vector 1184+64G+32h holds, at bits 2k' and
// 2k'+1, the bits of value 4k+i (k = 4h+k') of sub-blocks 2G and 2G+1.
func packQ5KBits(blk, qh []byte, r int) {
	for G := 0; G < 4; G++ {
		for h := 0; h < 2; h++ {
			for i := 0; i < 4; i++ {
				var v byte
				for kk := 0; kk < 4; kk++ {
					l := 4*(4*h+kk) + i
					v |= (qh[l] >> (2 * G) & 1) << (2 * kk)
					v |= (qh[l] >> (2*G + 1) & 1) << (2*kk + 1)
				}
				blk[1184+64*G+32*h+4*r+i] = v
			}
		}
	}
}

// refGemmQ4KRows8 is the readable definition of the packed Q4_K (and, with
// q5, Q5_K) kernels:
// rows [8g, 8g+8) of packed w times the token's Q8_K blocks from blk0,
// into out[0:8]. Integer totals are exact; the assembly's float steps are
// fused multiply-adds, so the two agree to float rounding.
func refGemmQ4KRows8(w []byte, q5 bool, g, nb int, a *Q8, blk0 int, out []float32) {
	pb := q4KPackedBlock
	if q5 {
		pb = q5KPackedBlock
	}
	for r := 0; r < 8; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			ys := a.Qs[(blk0+b)*QK_K:][:QK_K]
			bsums := a.BSums[(blk0+b)*16:][:16]
			var sumi, summ int32
			for j := 0; j < 8; j++ {
				G, shift := j/2, uint(4*(j%2))
				var s int32
				for k := 0; k < 8; k++ {
					for i := 0; i < 4; i++ {
						q := blk[160+256*G+32*k+4*r+i] >> shift & 0x0f
						if q5 {
							q |= (blk[1184+64*G+32*(k/4)+4*r+i] >> (2*(k%4) + j%2) & 1) << 4
						}
						s += int32(q) * int32(ys[32*j+4*k+i])
					}
				}
				sumi += int32(blk[32+8*j+r]) * s
				summ += int32(blk[96+16*(j/2)+2*r+j%2]) * (int32(bsums[2*j]) + int32(bsums[2*j+1]))
			}
			da := a.D[blk0+b]
			acc += float32(sumi)*(f16ToF32(le16(blk[2*r:]))*da) - float32(summ)*(f16ToF32(le16(blk[16+2*r:]))*da)
		}
		out[r] = acc
	}
}

// makeOffQ4K fills a.Off for Q8_K blocks [lo, hi): per block four int32,
// each the int16 pair of sub-block sums (2p, 2p+1) that the packed Q4_K
// kernels multiply with the rows' mins.
func makeOffQ4K(a *Q8, lo, hi int) {
	for b := lo; b < hi; b++ {
		bs := a.BSums[b*16:][:16]
		for p := 0; p < 4; p++ {
			s0 := uint16(bs[4*p] + bs[4*p+1])
			s1 := uint16(bs[4*p+2] + bs[4*p+3])
			a.Off[b*4+p] = int32(uint32(s0) | uint32(s1)<<16)
		}
	}
}
