package kernels

import "github.com/orcd/orcd/gguf"

// dotQ5_KAVX2 is refDotQ5_K on nb >= 1 blocks: w the weight blocks, qs, d
// and bsums the activation quants, scales and 16-value sums of the same
// blocks.
//
//go:noescape
func dotQ5_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32

func fastDotQ5_K(w []byte, a *Q8, blk0, nb int) float32 {
	// The assembly reads whole blocks; check the ends once here.
	_ = w[nb*q5kBytes-1]
	_ = a.Qs[(blk0+nb)*QK_K-1]
	_ = a.D[blk0+nb-1]
	_ = a.BSums[(blk0+nb)*16-1]
	return dotQ5_KAVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
}

var _ = hasAVX2 && registerExtra(gguf.TypeQ5_K, fastDotQ5_K, nil)

// dotQ5_Kx4AVX2 is dotQ5_KAVX2 for four tokens at once: token t's quants,
// scales and bsums at qs, d and bsums plus t times qstride, dstride and
// bstride bytes; out[t] is bit for bit dotQ5_KAVX2 on that token.
//
//go:noescape
func dotQ5_Kx4AVX2(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[4]float32)

func fastDotQ5_Kx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	_ = w[nb*q5kBytes-1]
	end := blk0 + 3*tokBlocks + nb // one past token 3's last block
	_ = a.Qs[end*QK_K-1]
	_ = a.D[end-1]
	_ = a.BSums[end*16-1]
	dotQ5_Kx4AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb, tokBlocks*QK_K, tokBlocks*4, tokBlocks*32, out)
}

var _ = hasAVX2 && registerExtraQuad(gguf.TypeQ5_K, fastDotQ5_Kx4)
