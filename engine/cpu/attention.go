package cpu

import (
	"math"

	"github.com/orcd/orcd/engine/kernels"
)

// attend is attendRef with the scores and the weighted sum of values in
// SIMD kernels (one call each per head, so no per-row call overhead). On
// the float reference path the kernels keep the reference's summation
// order (four partial sums for a dot, one running sum per output for the
// values) and use no fused multiply-add, so the result is bit for bit
// attendRef's. On the kernel path, which reproduces llama.cpp's quantized
// runs rather than the reference's bits, they use fused multiply-adds
// eight keys at a time and the vector exp (within float rounding; a
// token's result still depends only on its own sequence).
func attend(o, q []float32, k, v []float32, stride, n int, att []float32) {
	scale := float32(1 / math.Sqrt(float64(len(q))))
	att = att[:n]
	if activationsQuantized {
		kernels.AttnScoresFast(att, q, k, stride, scale)
		softmaxFast(att)
		kernels.AttnMixFast(o, att, v, stride)
		return
	}
	kernels.AttnScores(att, q, k, stride, scale)
	softmax(att)
	kernels.AttnMix(o, att, v, stride)
}
