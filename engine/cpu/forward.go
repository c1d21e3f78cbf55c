package cpu

import (
	"context"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// State holds the activations of one forward chunk of up to maxBatch
// tokens, allocated once. Shapes are [tokens][...], row-major.
type State struct {
	x   []float32 // [B][n_embd] residual stream
	xb  []float32 // [B][n_embd] normalized input of a sublayer
	q   []float32 // [B][n_head*head_dim]
	k   []float32 // [B][n_head_kv*head_dim]
	v   []float32 // [B][n_head_kv*head_dim]
	qkv []float32 // phi3: [B][(n_head+2*n_head_kv)*head_dim] fused projection
	att []float32 // [B][n_head*head_dim] attention output, before W_o
	hb  []float32 // [B][n_ff] FFN hidden
	hb2 []float32 // [B][n_ff] FFN up projection; phi3: [B][2*n_ff] gate|up
	out []float32 // [B][n_embd] W_o and W_down outputs before the residual add
	h   []float32 // [B][n_embd] final normalized rows that need logits
	cs  []float32 // [B][n_rot] rope cosines and sines at each token's position
	// Outputs of the fused views (packedWeights.fused), up to fuseTokens:
	fqkv []float32 // [fuseTokens][(n_head+2*n_head_kv)*head_dim] q|k|v
	fgu  []float32 // [fuseTokens][2*n_ff] gate|up
}

func newState(c engine.Config, maxBatch int) *State {
	q, kv := c.NHead*c.HeadDim, c.NHeadKV*c.HeadDim
	f := func(n int) []float32 { return make([]float32, maxBatch*n) }
	s := &State{x: f(c.NEmbd), xb: f(c.NEmbd), q: f(q), k: f(kv), v: f(kv), att: f(q),
		hb: f(c.NFF), hb2: f(c.NFF), out: f(c.NEmbd), h: f(c.NEmbd), cs: f(c.NRot)}
	s.fqkv = make([]float32, fuseTokens*(q+2*kv))
	s.fgu = make([]float32, fuseTokens*2*c.NFF)
	if c.Arch == "phi3" {
		s.qkv = f(q + 2*kv)
		s.hb2 = f(2 * c.NFF)
	}
	return s
}

// forward runs one chunk of an already validated batch through the model
// and writes the requested logit rows.
func (b *Backend) forward(ctx context.Context, batch *engine.Batch, logits []float32) error {
	c, s, w := &b.c, b.st, &b.m.Weights
	n, e := batch.Len(), c.NEmbd

	// Token embeddings: x[t] = token_embd row Tokens[t].
	for t, tok := range batch.Tokens {
		rb := rowBytes(w.TokEmbd)
		_ = gguf.Dequantize(w.TokEmbd.Type, w.TokEmbd.Data[int(tok)*rb:(int(tok)+1)*rb], s.x[t*e:(t+1)*e])
	}

	// Rope angles, once per token for every layer and head.
	nr := c.NRot
	for t, pos := range batch.Pos {
		ropeAngles(s.cs[t*nr:(t+1)*nr], int(pos), b.ropeFreqs)
	}

	for l := range w.Layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		y := &w.Layers[l]

		// Attention sublayer: x += W_o attention(rope(q), rope(k), v).
		b.normRows(s.xb, s.x, b.norms.attn[l], n, e)
		b.projectQKV(l, y, batch.Pos)
		b.storeKV(l, batch)
		b.attention(l, batch)
		b.matmul(s.out, y.Wo, s.att, n)
		addInPlace(s.x[:n*e], s.out[:n*e])

		// FFN sublayer: x += W_down (silu(W_gate xb) * W_up xb).
		b.normRows(s.xb, s.x, b.norms.ffn[l], n, e)
		b.feedForward(l, y, n)
		b.matmul(s.out, y.Down, s.hb, n)
		addInPlace(s.x[:n*e], s.out[:n*e])
	}

	// LM head, only for the rows that asked for logits: the largest matmul
	// of a decode step is skipped for every prompt token but the last.
	rows := 0
	for t, want := range batch.Logits {
		if want {
			rmsnorm(s.h[rows*e:(rows+1)*e], s.x[t*e:(t+1)*e], b.norms.output, c.RMSEps)
			rows++
		}
	}
	if rows > 0 {
		b.matmul(logits, w.Output, s.h, rows)
	}
	return nil
}

// normRows applies RMSNorm with weight wt to each of the n rows of x.
func (b *Backend) normRows(dst, x, wt []float32, n, e int) {
	for t := 0; t < n; t++ {
		rmsnorm(dst[t*e:(t+1)*e], x[t*e:(t+1)*e], wt, b.c.RMSEps)
	}
}

// projectQKV fills q, k, v from xb: one matmul where the file fuses them
// (phi3) or packing did (packedWeights.fused, decode-sized batches), else
// three; then biases (qwen2), per-head q/k RMSNorm (qwen3), then rope.
func (b *Backend) projectQKV(l int, y *engine.Layer, pos []int32) {
	c, s, n := &b.c, b.st, len(pos)
	qd, kvd := c.NHead*c.HeadDim, c.NHeadKV*c.HeadDim
	split := func(qkv []float32) {
		fused := qd + 2*kvd
		for t := 0; t < n; t++ {
			row := qkv[t*fused : (t+1)*fused]
			copy(s.q[t*qd:(t+1)*qd], row[:qd])
			copy(s.k[t*kvd:(t+1)*kvd], row[qd:qd+kvd])
			copy(s.v[t*kvd:(t+1)*kvd], row[qd+kvd:])
		}
	}
	switch {
	case y.Wqkv != nil:
		b.matmul(s.qkv, y.Wqkv, s.xb, n)
		split(s.qkv)
	case b.fusedMatMul(s.fqkv, b.packed.fusedLayer(l).qkv, s.xb, n):
		split(s.fqkv)
	default:
		b.matmul(s.q, y.Wq, s.xb, n)
		b.matmul(s.k, y.Wk, s.xb, n)
		b.matmul(s.v, y.Wv, s.xb, n)
	}
	for t := 0; t < n; t++ {
		q, k, v := s.q[t*qd:(t+1)*qd], s.k[t*kvd:(t+1)*kvd], s.v[t*kvd:(t+1)*kvd]
		addBias(q, b.norms.bq[l])
		addBias(k, b.norms.bk[l])
		addBias(v, b.norms.bv[l])
		cs := s.cs[t*c.NRot : (t+1)*c.NRot]
		b.headNormRope(q, b.norms.q[l], cs)
		b.headNormRope(k, b.norms.k[l], cs)
	}
}

// headNormRope normalizes each head of x (when norm is set: qwen3) and
// rotates it by the angles cs (ropeAngles of the token's position).
func (b *Backend) headNormRope(x, norm []float32, cs []float32) {
	c := &b.c
	for h := 0; h+c.HeadDim <= len(x); h += c.HeadDim {
		head := x[h : h+c.HeadDim]
		if norm != nil {
			rmsnorm(head, head, norm, c.RMSEps)
		}
		ropeRotate(head, cs, c.RopeNeox)
	}
}

// storeKV appends every token's k and v to its sequence's cache.
func (b *Backend) storeKV(l int, batch *engine.Batch) {
	kvd := b.c.NHeadKV * b.c.HeadDim
	for t := range batch.Tokens {
		b.kv.store(l, int(batch.Seq[t]), int(batch.Pos[t]), b.st.k[t*kvd:(t+1)*kvd], b.st.v[t*kvd:(t+1)*kvd])
	}
	if l == len(b.m.Weights.Layers)-1 {
		for t := range batch.Tokens {
			b.kv.lens[batch.Seq[t]] = int(batch.Pos[t]) + 1
		}
	}
}

// attention computes att for every (token, head): causal attention over
// the token's own sequence up to and including its position. Query head h
// reads kv head h / (n_head / n_head_kv) (GQA).
func (b *Backend) attention(l int, batch *engine.Batch) {
	c, s := &b.c, b.st
	hd, nh := c.HeadDim, c.NHead
	group := c.NHead / c.NHeadKV
	n := batch.Len()
	work := n * nh * hd * (int(batch.Pos[n-1]) + 1) * 2
	if activationsQuantized && group%4 == 0 {
		b.attentionGQA4(l, batch, work)
		return
	}
	// An F16 cache on the kernel path goes to the f16 kernels directly;
	// elsewhere its rows are widened first (headRows).
	f16 := activationsQuantized && b.kv.f16() && kernels.F16Attention(hd)
	b.ws.run(n*nh, work, func(worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			// Head-major order: each worker gets whole heads over every
			// token, so causal prefill work (which grows with t) splits
			// evenly and consecutive items share a KV head.
			h, t := i/n, i%n
			seq, npos := int(batch.Seq[t]), int(batch.Pos[t])+1
			q := s.q[t*nh*hd+h*hd : t*nh*hd+(h+1)*hd]
			o := s.att[t*nh*hd+h*hd : t*nh*hd+(h+1)*hd]
			if f16 {
				k16, v16 := b.kv.headRows16(l, seq, h/group, npos)
				attend16(o, q, k16, v16, hd, npos, b.ws.attnBuf[worker])
				continue
			}
			kb, vb := b.ws.kv(worker)
			keys, vals := b.kv.headRows(l, seq, h/group, npos, kb, vb)
			attend(o, q, keys, vals, hd, npos, b.ws.attnBuf[worker])
		}
	})
}

// feedForward fills hb = silu(gate) * up from xb.
func (b *Backend) feedForward(l int, y *engine.Layer, n int) {
	s, ff := b.st, b.c.NFF
	gateUp := func(gu []float32) {
		for t := 0; t < n; t++ {
			row := gu[t*2*ff : (t+1)*2*ff]
			swigluFast(s.hb[t*ff:(t+1)*ff], row[:ff], row[ff:])
		}
	}
	if y.GateUp != nil {
		b.matmul(s.hb2, y.GateUp, s.xb, n)
		gateUp(s.hb2)
		return
	}
	if b.fusedMatMul(s.fgu, b.packed.fusedLayer(l).gateUp, s.xb, n) {
		gateUp(s.fgu)
		return
	}
	b.matmul(s.hb, y.Gate, s.xb, n)
	b.matmul(s.hb2, y.Up, s.xb, n)
	swigluFast(s.hb[:n*ff], s.hb[:n*ff], s.hb2[:n*ff])
}

func addInPlace(x, d []float32) {
	for i := range x {
		x[i] += d[i]
	}
}

func addBias(x, bias []float32) {
	if bias != nil {
		addInPlace(x, bias)
	}
}

func rowBytes(t *gguf.TensorInfo) int {
	n, _ := t.Type.RowBytes(int(t.Dims[0]))
	return n
}
