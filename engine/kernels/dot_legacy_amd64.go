package kernels

import "github.com/orcd/orcd/gguf"

//go:noescape
func dotQ5_0AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ4_1AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ5_1AVX2(w *byte, qs *int8, d *float32, nb int) float32

func fastDotQ5_0(w []byte, a *Q8, blk0, nb int) float32 {
	return dotQ5_0AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

func fastDotQ4_1(w []byte, a *Q8, blk0, nb int) float32 {
	return dotQ4_1AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

func fastDotQ5_1(w []byte, a *Q8, blk0, nb int) float32 {
	return dotQ5_1AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

var (
	_ = hasAVX2 && registerExtra(gguf.TypeQ5_0, fastDotQ5_0, nil)
	_ = hasAVX2 && registerExtra(gguf.TypeQ4_1, fastDotQ4_1, nil)
	_ = hasAVX2 && registerExtra(gguf.TypeQ5_1, fastDotQ5_1, nil)
)

//go:noescape
func dotQ5_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ4_1x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ5_1x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

// x4Check bound-checks the last token's last block, which the assembly
// reads but the pointers passed to it do not check.
func x4Check(w []byte, bs int, a *Q8, blk0, nb, tokBlocks int) {
	end := blk0 + 3*tokBlocks + nb
	_, _, _ = w[nb*bs-1], a.Qs[end*32-1], a.D[end-1]
}

func fastDotQ5_0x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	x4Check(w, 22, a, blk0, nb, tokBlocks)
	dotQ5_0x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

func fastDotQ4_1x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	x4Check(w, 20, a, blk0, nb, tokBlocks)
	dotQ4_1x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

func fastDotQ5_1x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	x4Check(w, 24, a, blk0, nb, tokBlocks)
	dotQ5_1x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

var (
	_ = hasAVX2 && registerExtraQuad(gguf.TypeQ5_0, fastDotQ5_0x4)
	_ = hasAVX2 && registerExtraQuad(gguf.TypeQ4_1, fastDotQ4_1x4)
	_ = hasAVX2 && registerExtraQuad(gguf.TypeQ5_1, fastDotQ5_1x4)
)

//go:noescape
func dotQ5_0x8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)

func fastDotQ5_0x8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_, _, _ = w[nb*22-1], a.Qs[end*32-1], a.D[end-1]
	dotQ5_0x8AVX512(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

var _ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeQ5_0, fastDotQ5_0x8)
