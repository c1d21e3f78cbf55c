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
