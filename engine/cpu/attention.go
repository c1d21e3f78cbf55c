package cpu

import (
	"math"

	"github.com/orcd/orcd/engine/kernels"
)

// attend is attendRef with the scores and the weighted sum of values in
// SIMD kernels (one call each per head, so no per-row call overhead). The
// kernels keep the reference's summation order (four partial sums for a
// dot, one running sum per output for the values) and use no fused
// multiply-add, so on the float reference path the result is bit for bit
// attendRef's. On the kernel path the softmax uses the vector exp instead
// (softmaxFast), within an ulp of it.
func attend(o, q []float32, k, v []float32, stride, n int, att []float32) {
	scale := float32(1 / math.Sqrt(float64(len(q))))
	att = att[:n]
	kernels.AttnScores(att, q, k, stride, scale)
	softmaxFast(att)
	kernels.AttnMix(o, att, v, stride)
}
