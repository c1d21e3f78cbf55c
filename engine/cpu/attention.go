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

// attend16 is attend on the kernel path over an F16 cache's rows, read by
// the f16 kernels (bit for bit attend over the widened rows).
func attend16(o, q []float32, k, v []uint16, stride, n int, att []float32) {
	scale := float32(1 / math.Sqrt(float64(len(q))))
	att = att[:n]
	kernels.AttnScoresFast16(att, q, k, stride, scale)
	softmaxFast(att)
	kernels.AttnMixFast16(o, att, v, stride)
}

// attentionGQA4 is attention on the kernel path when every four query
// heads share a KV head: a work item is four heads of one token, whose
// scores and weighted values each take one pass over the cached rows
// (AttnScores4Fast, AttnMix4Fast); the softmax stays per head. An F16
// cache is read by the kernels' f16 twins, which widen the rows as they
// load them (bit for bit the float32 kernels over widened rows).
func (b *Backend) attentionGQA4(l int, batch *engine.Batch, work int) {
	c, s := &b.c, b.st
	hd, nh := c.HeadDim, c.NHead
	group := c.NHead / c.NHeadKV
	n, quads := batch.Len(), c.NHead/4
	f16 := b.kv.f16() && kernels.F16Attention(hd)
	scale := float32(1 / math.Sqrt(float64(hd)))
	b.ws.run(n*quads, work, func(worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			g, t := i/n, i%n // head-major, as in attention
			h0 := 4 * g
			seq, npos := int(batch.Seq[t]), int(batch.Pos[t])+1
			q := s.q[t*nh*hd+h0*hd : t*nh*hd+(h0+4)*hd]
			o := s.att[t*nh*hd+h0*hd : t*nh*hd+(h0+4)*hd]
			att := b.ws.attnBuf[worker]
			astride := len(att) / 4
			var keys, vals []float32
			var k16, v16 []uint16
			if f16 {
				k16, v16 = b.kv.headRows16(l, seq, h0/group, npos)
				kernels.AttnScores4Fast16(att, astride, q, k16, hd, npos, scale)
			} else {
				kb, vb := b.ws.kv(worker)
				keys, vals = b.kv.headRows(l, seq, h0/group, npos, kb, vb)
				kernels.AttnScores4Fast(att, astride, q, keys, hd, npos, scale)
			}
			for h := 0; h < 4; h++ {
				softmaxFast(att[h*astride : h*astride+npos])
			}
			if f16 {
				kernels.AttnMix4Fast16(o, att, astride, v16, hd, npos)
			} else {
				kernels.AttnMix4Fast(o, att, astride, vals, hd, npos)
			}
		}
	})
}
