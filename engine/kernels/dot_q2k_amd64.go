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
