package kernels

import "math"

// The reference kernels below are the readable definition of each dot
// product, written the way ggml's generic C (quants.c) is: integer sums per
// block, then one float multiply-add per block with the two scales.
// They take n/blocksize whole blocks and never check lengths: callers
// (Dot*, MatMul) validate shapes once.

// refDotQ8_0 is ggml_vec_dot_q8_0_q8_0: w holds nb Q8_0 blocks.
func refDotQ8_0(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*34 : (b+1)*34]
		qs := a.Qs[(blk0+b)*32:]
		var s int32
		for i := 0; i < 32; i++ {
			s += int32(int8(wb[2+i])) * int32(qs[i])
		}
		sum += float32(float32(s) * (f16ToF32(le16(wb)) * a.D[blk0+b]))
	}
	return sum
}

// refDotQ4_0 is ggml_vec_dot_q4_0_q8_0. Byte j of a block holds value j in
// its low nibble and value j+16 in its high nibble, both offset by 8.
func refDotQ4_0(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*18 : (b+1)*18]
		qs := a.Qs[(blk0+b)*32:]
		var s int32
		for j := 0; j < 16; j++ {
			lo := int32(wb[2+j]&0x0f) - 8
			hi := int32(wb[2+j]>>4) - 8
			s += lo*int32(qs[j]) + hi*int32(qs[j+16])
		}
		sum += float32(float32(s) * (f16ToF32(le16(wb)) * a.D[blk0+b]))
	}
	return sum
}

// q4KScaleMin is ggml's get_scale_min_k4: sub-block j's 6-bit scale and min
// from the 12 packed bytes.
func q4KScaleMin(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0x0f | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// refDotQ4_K is ggml_vec_dot_q4_K_q8_K: eight sub-blocks of 32 with a 6-bit
// scale and min each. The mins are applied through the activation's
// 16-value group sums, so x·y = d·Σ sc·(q·y) − dmin·Σ m·sum(y).
func refDotQ4_K(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*144 : (b+1)*144]
		d := f16ToF32(le16(wb[0:])) * a.D[blk0+b]
		dmin := f16ToF32(le16(wb[2:])) * a.D[blk0+b]
		scales, qs := wb[4:16], wb[16:144]
		ys := a.Qs[(blk0+b)*QK_K:]
		bsums := a.BSums[(blk0+b)*16:]
		var sumi, summ int32
		for j := 0; j < 8; j++ {
			sc, m := q4KScaleMin(j, scales)
			summ += int32(m) * (int32(bsums[2*j]) + int32(bsums[2*j+1]))
			// Sub-blocks 2k and 2k+1 share 32 bytes: low nibbles, then high.
			q := qs[(j/2)*32 : (j/2)*32+32]
			shift := uint(4 * (j % 2))
			var s int32
			for i := 0; i < 32; i++ {
				s += int32((q[i]>>shift)&0x0f) * int32(ys[j*32+i])
			}
			sumi += int32(sc) * s
		}
		sum += float32(d*float32(sumi)) - float32(dmin*float32(summ))
	}
	return sum
}

// refDotQ6_K is ggml_vec_dot_q6_K_q8_K: 6-bit values (4 low bits in ql, 2
// high bits in qh) offset by 32, one int8 scale per 16 values.
func refDotQ6_K(w []byte, a *Q8, blk0, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		wb := w[b*210 : (b+1)*210]
		ql, qh, sc := wb[0:128], wb[128:192], wb[192:208]
		d := f16ToF32(le16(wb[208:])) * a.D[blk0+b]
		ys := a.Qs[(blk0+b)*QK_K:]
		var sumi int32
		for h := 0; h < 2; h++ { // two halves of 128 values
			l64, h32, s8, y := ql[h*64:], qh[h*32:], sc[h*8:], ys[h*128:]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(l64[l]&0xf|(h32[l]>>0&3)<<4) - 32
				q2 := int32(l64[l+32]&0xf|(h32[l]>>2&3)<<4) - 32
				q3 := int32(l64[l]>>4|(h32[l]>>4&3)<<4) - 32
				q4 := int32(l64[l+32]>>4|(h32[l]>>6&3)<<4) - 32
				sumi += int32(int8(s8[is+0])) * q1 * int32(y[l])
				sumi += int32(int8(s8[is+2])) * q2 * int32(y[l+32])
				sumi += int32(int8(s8[is+4])) * q3 * int32(y[l+64])
				sumi += int32(int8(s8[is+6])) * q4 * int32(y[l+96])
			}
		}
		sum += float32(d * float32(sumi))
	}
	return sum
}

// refDotF16 is a plain dot product of f16 weights with f32 activations.
func refDotF16(w []byte, x []float32) float32 {
	var sum float32
	for i, v := range x {
		sum += float32(f16ToF32(le16(w[2*i:])) * v)
	}
	return sum
}

// refDotF32 is a plain dot product of little-endian f32 weights.
func refDotF32(w []byte, x []float32) float32 {
	var sum float32
	for i, v := range x {
		b := w[4*i:]
		sum += float32(math.Float32frombits(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24) * v)
	}
	return sum
}
