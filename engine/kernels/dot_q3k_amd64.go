package kernels

import "github.com/orcd/orcd/gguf"

// dotQ3_KAVX2 is refDotQ3_K on nb >= 1 blocks: w the weight blocks, qs and
// d the activation quants and scales of the same blocks.
//
//go:noescape
func dotQ3_KAVX2(w *byte, qs *int8, d *float32, nb int) float32

func fastDotQ3_K(w []byte, a *Q8, blk0, nb int) float32 {
	// The assembly reads whole blocks; check the ends once here.
	_ = w[nb*q3kBytes-1]
	_ = a.Qs[(blk0+nb)*QK_K-1]
	_ = a.D[blk0+nb-1]
	return dotQ3_KAVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb)
}

var _ = hasAVX2 && registerExtra(gguf.TypeQ3_K, fastDotQ3_K, nil)

// dotQ3_Kx4AVX2 is dotQ3_KAVX2 for four tokens at once: token t's quants
// at qs + t*qstride bytes, its scales at d + t*dstride bytes; out[t] is bit
// for bit dotQ3_KAVX2 on that token.
//
//go:noescape
func dotQ3_Kx4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

func fastDotQ3_Kx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	_ = w[nb*q3kBytes-1]
	end := blk0 + 3*tokBlocks + nb // one past token 3's last block
	_ = a.Qs[end*QK_K-1]
	_ = a.D[end-1]
	dotQ3_Kx4AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, tokBlocks*QK_K, tokBlocks*4, out)
}

var _ = hasAVX2 && registerExtraQuad(gguf.TypeQ3_K, fastDotQ3_Kx4)

// dotQ3_Kx8AVX512 is dotQ3_Kx4AVX2 for eight tokens (AVX-512 BW and VNNI):
// out[t] bit for bit dotQ3_KAVX2 on token t.
//
//go:noescape
func dotQ3_Kx8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)

func fastDotQ3_Kx8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	_ = w[nb*q3kBytes-1]
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_ = a.Qs[end*QK_K-1]
	_ = a.D[end-1]
	dotQ3_Kx8AVX512(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, tokBlocks*QK_K, tokBlocks*4, out)
}

var _ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeQ3_K, fastDotQ3_Kx8)
