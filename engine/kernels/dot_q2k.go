package kernels

import "github.com/orcd/orcd/gguf"

var _ = registerExtra(gguf.TypeQ2_K, nil, refDotQ2_K)

// Q2_K block (ggml's block_q2_K, 84 bytes for 256 values): 16 scale bytes
// (low nibble the scale, high nibble the min of a group of 16 values), 64
// bytes of 2-bit quants, then d and dmin as f16. Byte l of a 32-byte half
// holds values l, l+32, l+64, l+96 of that half's 128 in bits 0-1, 2-3,
// 4-5, 6-7.
const (
	q2KBlockBytes = 84
	q2KQs         = 16
	q2KD          = 80
	q2KDmin       = 82
)

// refDotQ2_K is ggml_vec_dot_q2_K_q8_K_generic (ggml-cpu/quants.c): value
// = d·sc·q − dmin·m, so x·y = d·Σ sc·(q·y) − dmin·Σ m·bsum, with the mins
// term taken from the activation's 16-value group sums. The integer sums
// are exact; per block one float expression dall·isum − dmin·summs, summed
// in block order.
func refDotQ2_K(w []byte, a *Q8, blk0, nb int) float32 {
	var sumf float32
	for b := 0; b < nb; b++ {
		blk := w[b*q2KBlockBytes : (b+1)*q2KBlockBytes]
		sc := blk[:16]
		ys := a.Qs[(blk0+b)*QK_K : (blk0+b+1)*QK_K]
		bsums := a.BSums[(blk0+b)*16 : (blk0+b+1)*16]
		var summs int32
		for j, bs := range bsums {
			summs += int32(bs) * int32(sc[j]>>4)
		}
		dall := a.D[blk0+b] * f16ToF32(le16(blk[q2KD:]))
		dmin := a.D[blk0+b] * f16ToF32(le16(blk[q2KDmin:]))
		var isum int32
		is := 0
		for k := 0; k < 2; k++ { // two halves of 128 values
			q := blk[q2KQs+32*k : q2KQs+32*k+32]
			for j := 0; j < 4; j++ { // bit pair j: 32 values, two scales
				shift := uint(2 * j)
				y := ys[128*k+32*j : 128*k+32*j+32]
				for g := 0; g < 32; g += 16 {
					var isuml int32
					for l := g; l < g+16; l++ {
						isuml += int32(y[l]) * int32(q[l]>>shift&3)
					}
					isum += int32(sc[is]&0xf) * isuml
					is++
				}
			}
		}
		// The conversions keep each product rounded on its own: the Go
		// compiler may otherwise fuse one of them into an FMA.
		sumf += float32(dall*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}
