package kernels

import "github.com/orcd/orcd/gguf"

//go:noescape
func dotQ2_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32

// fastDotQ2_K is ggml's AVX2 ggml_vec_dot_q2_K_q8_K: 8 float lanes, one
// FMA for the mins and one for the scaled sums per block, reduced as
// hsum_float_8 does.
func fastDotQ2_K(w []byte, a *Q8, blk0, nb int) float32 {
	return dotQ2_KAVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
}

var _ = hasAVX2 && registerExtra(gguf.TypeQ2_K, fastDotQ2_K, nil)

// dotQ2_Kx4AVX2 is dotQ2_KAVX2 for four tokens at once (nb >= 0): token t's
// quants at qs + t*qstride bytes, its scales at d + t*dstride bytes, its
// bsums at bsums + t*bstride bytes; out[t] is bit for bit dotQ2_KAVX2 on
// that token.
//
//go:noescape
func dotQ2_Kx4AVX2(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[4]float32)

func fastDotQ2_Kx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	// The assembly reads whole blocks; check the ends once here.
	_ = w[nb*q2KBlockBytes-1]
	end := blk0 + 3*tokBlocks + nb // one past token 3's last block
	_ = a.Qs[end*QK_K-1]
	_ = a.D[end-1]
	_ = a.BSums[end*16-1]
	dotQ2_Kx4AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb,
		tokBlocks*QK_K, tokBlocks*4, tokBlocks*32, out)
}

var _ = hasAVX2 && registerExtraQuad(gguf.TypeQ2_K, fastDotQ2_Kx4)

// dotQ2_Kx8AVX512 is dotQ2_Kx4AVX2 for eight tokens (AVX-512 BW and VNNI):
// out[t] bit for bit dotQ2_KAVX2 on token t.
//
//go:noescape
func dotQ2_Kx8AVX512(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[8]float32)

func fastDotQ2_Kx8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	_ = w[nb*q2KBlockBytes-1]
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_ = a.Qs[end*QK_K-1]
	_ = a.D[end-1]
	_ = a.BSums[end*16-1]
	dotQ2_Kx8AVX512(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb,
		tokBlocks*QK_K, tokBlocks*4, tokBlocks*32, out)
}

var _ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeQ2_K, fastDotQ2_Kx8)
