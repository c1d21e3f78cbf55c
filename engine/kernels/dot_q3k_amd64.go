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
