package kernels

// Q4_K and Q5_K in LayoutRows8 and LayoutRows16 (see gemm_q4k_amd64.s and
// gemm_q4k16_amd64.s for the byte layouts). Unlike the other packed types
// they are larger than the source: the 6-bit scales and mins become bytes,
// 1184 bytes per eight rows' Q4_K block instead of 1152 (2.8% more), 1440
// for Q5_K instead of 1408 (2.3%); sixteen rows take twice that.

import "github.com/orcd/orcd/gguf"

const (
	q4KBlock       = 144  // bytes of one Q4_K block
	q4KPackedBlock = 1184 // bytes of one packed Q4_K block of eight rows
	q5KBlock       = 176  // bytes of one Q5_K block
	q5KPackedBlock = 1440 // bytes of one packed Q5_K block of eight rows
)

// packQ4KGroupsAs writes eight-row groups [g0, g1) of m into dst in groups
// of per rows: 8 or 16 (see gemm_q4k16_amd64.s, gemm_q5k16_amd64.s).
// A block of per rows is 148*per bytes: d and dmin (2*per bytes each),
// the eight sub-blocks' scales (per bytes each), the four mins pairs
// (2*per bytes each), then per 64-value group eight chunks of 4*per bytes;
// Q5_K's fifth bits follow (32*per bytes). Eight-row group g is lanes
// 8*(g%2).. of group g/2 when per is 16.
func packQ4KGroupsAs(dst []byte, m Matrix, g0, g1, per int) {
	q5 := m.Type == gguf.TypeQ5_K
	bb, pb, qsOff := q4KBlock, q4KPackedBlock*per/8, 16
	if q5 {
		bb, pb, qsOff = q5KBlock, q5KPackedBlock*per/8, 48
	}
	sc0, mn0, qs0 := 4*per, 12*per, 20*per // scales, mins pairs, quants
	nb := m.Cols / QK_K
	rb := nb * bb
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*pb:][:pb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*bb:][:bb]
				copy(blk[2*lane:][:2], src[0:2])       // d
				copy(blk[2*per+2*lane:][:2], src[2:4]) // dmin
				for j := 0; j < 8; j++ {
					sc, mn := q4KScaleMin(j, src[4:16])
					blk[sc0+per*j+lane] = sc
					blk[mn0+2*per*(j/2)+2*lane+j%2] = mn
				}
				for G := 0; G < 4; G++ {
					for k := 0; k < 8; k++ {
						copy(blk[qs0+32*per*G+4*per*k+4*lane:][:4], src[qsOff+32*G+4*k:][:4])
					}
				}
				if q5 {
					packQ5KBits(blk, src[16:48], per, lane)
				}
			}
		}
	}
}

// packQ5KBits writes lane r's fifth bits (qh) into a packed Q5_K block of
// per rows: in ggml's layout value l of sub-block j has its fifth bit at
// bit j of qh[l]; packed, byte 4r+i of vector 148*per+8*per*G+4*per*h
// holds, at bits 2k' and 2k'+1, the bits of value 4k+i (k = 4h+k') of
// sub-blocks 2G and 2G+1 (a vector is one register of the kernels).
func packQ5KBits(blk, qh []byte, per, r int) {
	for G := 0; G < 4; G++ {
		for h := 0; h < 2; h++ {
			for i := 0; i < 4; i++ {
				var v byte
				for kk := 0; kk < 4; kk++ {
					l := 4*(4*h+kk) + i
					v |= (qh[l] >> (2 * G) & 1) << (2 * kk)
					v |= (qh[l] >> (2*G + 1) & 1) << (2*kk + 1)
				}
				blk[148*per+8*per*G+4*per*h+4*r+i] = v
			}
		}
	}
}

// refGemmQ4K is the readable definition of the packed Q4_K (and, with q5,
// Q5_K) kernels: rows [per*g, per*g+per) of packed w times the token's
// Q8_K blocks from blk0, into out[0:per]. Integer totals are exact; the
// assembly's float steps are fused multiply-adds, so the two agree to
// float rounding.
func refGemmQ4K(w []byte, q5 bool, per, g, nb int, a *Q8, blk0 int, out []float32) {
	pb := q4KPackedBlock * per / 8
	if q5 {
		pb = q5KPackedBlock * per / 8
	}
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			sumi, summ := q4KPackedTotals(blk, q5, per, r, a.Qs[(blk0+b)*QK_K:][:QK_K], a.BSums[(blk0+b)*16:][:16])
			da := a.D[blk0+b]
			acc += float32(float32(sumi)*(f16ToF32(le16(blk[2*r:]))*da)) - float32(float32(summ)*(f16ToF32(le16(blk[2*per+2*r:]))*da))
		}
		out[r] = acc
	}
}

// q4KPackedTotals is row r's exact integer totals in one packed Q4_K (q5:
// Q5_K) block of per rows against a Q8_K block (ys, bsums): Σ_j sc_j·(q·y)_j
// and the mins' Σ_j m_j·(sum of y over sub-block j).
func q4KPackedTotals(blk []byte, q5 bool, per, r int, ys []int8, bsums []int16) (sumi, summ int32) {
	sc0, mn0, qs0 := 4*per, 12*per, 20*per
	for j := 0; j < 8; j++ {
		G, shift := j/2, uint(4*(j%2))
		var s int32
		for k := 0; k < 8; k++ {
			for i := 0; i < 4; i++ {
				q := blk[qs0+32*per*G+4*per*k+4*r+i] >> shift & 0x0f
				if q5 {
					q |= (blk[148*per+8*per*G+4*per*(k/4)+4*r+i] >> (2*(k%4) + j%2) & 1) << 4
				}
				s += int32(q) * int32(ys[32*j+4*k+i])
			}
		}
		sumi += int32(blk[sc0+per*j+r]) * s
		summ += int32(blk[mn0+2*per*(j/2)+2*r+j%2]) * (int32(bsums[2*j]) + int32(bsums[2*j+1]))
	}
	return sumi, summ
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
