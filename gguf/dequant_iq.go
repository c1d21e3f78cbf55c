package gguf

import "encoding/binary"

// The IQ1, IQ2 and IQ3 formats (ggml's "i-quants"): each group of 8 (or
// 4) weights is an index into a grid of points (iqgrid.go), with signs and
// a per-32-weight scale. The arithmetic follows ggml's dequantize_row_iq*
// step for step, so the results are bit for bit the same (checked against
// ggml's own output in ggml_vectors_test.go).

// signed returns v, negated when bit j of signs is set.
func signed(v float32, signs uint8, j int) float32 {
	if signs>>j&1 != 0 {
		return -v
	}
	return v
}

// IQ2_XXS block (66 bytes, 256 weights): f16 d, then 8 groups of 8 bytes.
// In each group the first 4 bytes index iq2xxsGrid for 4 runs of 8
// weights; the last 4, a little-endian u32, hold four 7-bit sign indices
// (bits 0-27) and a 4-bit scale ls (bits 28-31): d*(0.5+ls)/4.
func DequantizeRowIQ2_XXS(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*66 : b*66+66]
		d := f16At(blk, 0)
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			g := blk[2+8*ib : 2+8*ib+8]
			aux := binary.LittleEndian.Uint32(g[4:])
			db := d * (0.5 + float32(aux>>28)) * 0.25
			for l := 0; l < 4; l++ {
				grid := &iq2xxsGrid[g[l]]
				s := iqSigns[aux>>(7*l)&127]
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := range out {
					out[j] = signed(db*grid[j], s, j)
				}
			}
		}
	}
}

// IQ2_XS block (74 bytes): f16 d, 32 u16 (9-bit iq2xsGrid index, 7-bit
// sign index), 8 scale bytes (a nibble per 16 weights): d*(0.5+ls)/4.
func DequantizeRowIQ2_XS(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*74 : b*74+74]
		d := f16At(blk, 0)
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			sc := blk[66+ib]
			db := [2]float32{d * (0.5 + float32(sc&0xf)) * 0.25, d * (0.5 + float32(sc>>4)) * 0.25}
			for l := 0; l < 4; l++ {
				q := binary.LittleEndian.Uint16(blk[2+2*(4*ib+l):])
				grid := &iq2xsGrid[q&511]
				s := iqSigns[q>>9]
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := range out {
					out[j] = signed(db[l/2]*grid[j], s, j)
				}
			}
		}
	}
}

// IQ2_S block (82 bytes): f16 d, 32 bytes of low grid-index bits, 32 bytes
// of plain sign bits (one byte per 8 weights), 8 bytes of high index bits
// (2 per run of 8), 8 scale bytes as in IQ2_XS.
func DequantizeRowIQ2_S(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*82 : b*82+82]
		d := f16At(blk, 0)
		qs, signs, qh, scales := blk[2:34], blk[34:66], blk[66:74], blk[74:82]
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			db := [2]float32{d * (0.5 + float32(scales[ib]&0xf)) * 0.25, d * (0.5 + float32(scales[ib]>>4)) * 0.25}
			for l := 0; l < 4; l++ {
				idx := int(qs[4*ib+l]) | int(qh[ib])<<(8-2*l)&0x300
				grid := &iq2sGrid[idx]
				s := signs[4*ib+l]
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := range out {
					out[j] = signed(db[l/2]*grid[j], s, j)
				}
			}
		}
	}
}

// IQ3_XXS block (98 bytes): f16 d, 64 bytes of iq3xxsGrid indices (one per
// 4 weights), then 8 u32 laid out as IQ2_XXS's sign-and-scale words, but
// with the scale d*(0.5+ls)/2.
func DequantizeRowIQ3_XXS(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*98 : b*98+98]
		d := f16At(blk, 0)
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			qs := blk[2+8*ib : 2+8*ib+8]
			aux := binary.LittleEndian.Uint32(blk[66+4*ib:])
			db := d * (0.5 + float32(aux>>28)) * 0.5
			for l := 0; l < 4; l++ {
				s := iqSigns[aux>>(7*l)&127]
				g1, g2 := &iq3xxsGrid[qs[2*l]], &iq3xxsGrid[qs[2*l+1]]
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := 0; j < 4; j++ {
					out[j] = signed(db*g1[j], s, j)
					out[j+4] = signed(db*g2[j], s, j+4)
				}
			}
		}
	}
}

// IQ3_S block (110 bytes): f16 d, 64 bytes of low iq3sGrid index bits,
// 8 bytes of ninth bits (one byte per 32 weights), 32 bytes of plain sign
// bits, 4 scale bytes (a nibble per 32 weights): d*(1+2*ls).
func DequantizeRowIQ3_S(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*110 : b*110+110]
		d := f16At(blk, 0)
		qs, qh, signs, scales := blk[2:66], blk[66:74], blk[74:106], blk[106:110]
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			db := d * float32(1+2*int(scales[ib/2]>>(4*(ib%2))&0xf))
			h := int(qh[ib])
			for l := 0; l < 4; l++ {
				g1 := &iq3sGrid[int(qs[8*ib+2*l])|h<<(8-2*l)&256]
				g2 := &iq3sGrid[int(qs[8*ib+2*l+1])|h<<(7-2*l)&256]
				s := signs[4*ib+l]
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := 0; j < 4; j++ {
					out[j] = signed(db*g1[j], s, j)
					out[j+4] = signed(db*g2[j], s, j+4)
				}
			}
		}
	}
}

// iq1Delta shifts every IQ1 grid point by ±1/8 (ggml's IQ1S_DELTA), the
// sign chosen per run of 8 (IQ1_M) or 32 (IQ1_S) weights.
const iq1Delta = 0.125

// IQ1_S block (50 bytes): f16 d, 32 bytes of low iq1sGrid index bits, 8
// u16: bits 0-11 the high 3 index bits of 4 runs of 8, bits 12-14 the
// scale ls (d*(2ls+1)), bit 15 the sign of the delta.
func DequantizeRowIQ1_S(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*50 : b*50+50]
		d := f16At(blk, 0)
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			qh := binary.LittleEndian.Uint16(blk[34+2*ib:])
			dl := d * float32(2*int(qh>>12&7)+1)
			delta := float32(iq1Delta)
			if qh&0x8000 != 0 {
				delta = -iq1Delta
			}
			for l := 0; l < 4; l++ {
				grid := &iq1sGrid[int(blk[2+4*ib+l])|int(qh>>(3*l)&7)<<8]
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := range out {
					out[j] = dl * (grid[j] + delta)
				}
			}
		}
	}
}

// IQ1_M block (56 bytes): 32 bytes of low iq1sGrid index bits, 16 bytes
// with a nibble per run of 8 (3 high index bits and the delta's sign), and
// 4 u16 of 3-bit scales (one per 16 weights, d*(2ls+1)). There is no scale
// field: the f16 d is the top nibbles of those 4 u16, lowest first.
func DequantizeRowIQ1_M(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*56 : b*56+56]
		var sc [4]uint16
		for k := range sc {
			sc[k] = binary.LittleEndian.Uint16(blk[48+2*k:])
		}
		d := f16Table[sc[0]>>12|sc[1]>>8&0x00f0|sc[2]>>4&0x0f00|sc[3]&0xf000]
		y := dst[b*QK_K : b*QK_K+QK_K]
		for ib := 0; ib < 8; ib++ {
			s := sc[ib/2] >> (6 * (ib % 2))
			dl := [2]float32{d * float32(2*int(s&7)+1), d * float32(2*int(s>>3&7)+1)}
			for l := 0; l < 4; l++ {
				h := blk[32+2*ib+l/2] >> (4 * (l % 2)) // this run's nibble
				grid := &iq1sGrid[int(blk[4*ib+l])|int(h&7)<<8]
				delta := float32(iq1Delta)
				if h&8 != 0 {
					delta = -iq1Delta
				}
				out := y[32*ib+8*l : 32*ib+8*l+8]
				for j := range out {
					out[j] = dl[l/2] * (grid[j] + delta)
				}
			}
		}
	}
}
