package cpu

import (
	"math"

	"github.com/orcd/orcd/engine"
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

// attentionGQA4 is attention on the kernel path when every four query
// heads share a KV head: a work item is four heads of one token, whose
// scores and weighted values each take one pass over the cached rows
// (AttnScores4Fast, AttnMix4Fast); the softmax stays per head.
func (b *Backend) attentionGQA4(l int, batch *engine.Batch, work int) {
	c, s := &b.c, b.st
	hd, nh := c.HeadDim, c.NHead
	group := c.NHead / c.NHeadKV
	n, quads := batch.Len(), c.NHead/4
	b.ws.run(n*quads, work, func(worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			g, t := i/n, i%n // head-major, as in attention
			h0 := 4 * g
			npos := int(batch.Pos[t]) + 1
			kb, vb := b.ws.kv(worker)
			keys, vals := b.kv.headRows(l, int(batch.Seq[t]), h0/group, npos, kb, vb)
			q := s.q[t*nh*hd+h0*hd : t*nh*hd+(h0+4)*hd]
			att := b.ws.attnBuf[worker]
			astride := len(att) / 4
			scale := float32(1 / math.Sqrt(float64(hd)))
			kernels.AttnScores4Fast(att, astride, q, keys, hd, npos, scale)
			for h := 0; h < 4; h++ {
				softmaxFast(att[h*astride : h*astride+npos])
			}
			o := s.att[t*nh*hd+h0*hd : t*nh*hd+(h0+4)*hd]
			kernels.AttnMix4Fast(o, att, astride, vals, hd, npos)
		}
	})
}
