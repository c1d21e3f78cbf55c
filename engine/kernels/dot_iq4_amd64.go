package kernels

import "github.com/orcd/orcd/gguf"

// dotIQ4_XSAVX2 and dotIQ4_NLAVX2 are refDotIQ4_XS and refDotIQ4_NL on
// nb >= 1 blocks: w the weight blocks, qs and d the activation quants and
// scales of the same blocks.
//
//go:noescape
func dotIQ4_XSAVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotIQ4_NLAVX2(w *byte, qs *int8, d *float32, nb int) float32

func fastDotIQ4_XS(w []byte, a *Q8, blk0, nb int) float32 {
	// The assembly reads whole blocks; check the ends once here.
	_, _, _ = w[nb*iq4xsBytes-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1]
	return dotIQ4_XSAVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb)
}

func fastDotIQ4_NL(w []byte, a *Q8, blk0, nb int) float32 {
	_, _, _ = w[nb*iq4nlBytes-1], a.Qs[(blk0+nb)*32-1], a.D[blk0+nb-1]
	return dotIQ4_NLAVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

var (
	_ = hasAVX2 && registerExtra(gguf.TypeIQ4_XS, fastDotIQ4_XS, nil)
	_ = hasAVX2 && registerExtra(gguf.TypeIQ4_NL, fastDotIQ4_NL, nil)
)

// dotIQ4_XSx4AVX2 and dotIQ4_NLx4AVX2 are the row dots for four tokens at
// once: token t's quants and scales at qs and d plus t times qstride and
// dstride bytes; out[t] is bit for bit the row dot on that token.
//
//go:noescape
func dotIQ4_XSx4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ4_NLx4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

func fastDotIQ4_XSx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	end := blk0 + 3*tokBlocks + nb // one past token 3's last block
	_, _, _ = w[nb*iq4xsBytes-1], a.Qs[end*QK_K-1], a.D[end-1]
	dotIQ4_XSx4AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, tokBlocks*QK_K, tokBlocks*4, out)
}

func fastDotIQ4_NLx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	end := blk0 + 3*tokBlocks + nb
	_, _, _ = w[nb*iq4nlBytes-1], a.Qs[end*32-1], a.D[end-1]
	dotIQ4_NLx4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

var (
	_ = hasAVX2 && registerExtraQuad(gguf.TypeIQ4_XS, fastDotIQ4_XSx4)
	_ = hasAVX2 && registerExtraQuad(gguf.TypeIQ4_NL, fastDotIQ4_NLx4)
)

// dotIQ4_XSx8AVX512 is dotIQ4_XSx4AVX2 for eight tokens (AVX-512 BW and
// VNNI): out[t] is bit for bit the row dot on token t.
//
//go:noescape
func dotIQ4_XSx8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)

func fastDotIQ4_XSx8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_, _, _ = w[nb*iq4xsBytes-1], a.Qs[end*QK_K-1], a.D[end-1]
	dotIQ4_XSx8AVX512(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, tokBlocks*QK_K, tokBlocks*4, out)
}

var _ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeIQ4_XS, fastDotIQ4_XSx8)

//go:noescape
func dotIQ4_NLx8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)

// fastDotIQ4_NLx8 runs the eight-token kernel on an even number of blocks
// (its accumulators pair them as the row dot does); an odd count, where
// the row dot's scalar tail comes in, takes the four-token kernel twice.
func fastDotIQ4_NLx8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	if nb%2 != 0 {
		fastDotIQ4_NLx4(w, a, blk0, nb, tokBlocks, (*[4]float32)(out[:4]))
		fastDotIQ4_NLx4(w, a, blk0+4*tokBlocks, nb, tokBlocks, (*[4]float32)(out[4:]))
		return
	}
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_, _, _ = w[nb*iq4nlBytes-1], a.Qs[end*32-1], a.D[end-1]
	dotIQ4_NLx8AVX512(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

var _ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeIQ4_NL, fastDotIQ4_NLx8)
