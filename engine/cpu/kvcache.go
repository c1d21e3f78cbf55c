package cpu

// KVCache holds the keys and values of every layer for MaxSeqs sequences
// of up to ctx positions each, in float32 (like the goldens' F32 cache).
// Layout of k[l] and v[l]: [seq][pos][n_head_kv*head_dim].
type KVCache struct {
	k, v  [][]float32
	lens  []int // cached positions per sequence
	ctx   int
	kvDim int
}

func newKVCache(nLayer, nSeq, ctx, kvDim int) *KVCache {
	c := &KVCache{k: make([][]float32, nLayer), v: make([][]float32, nLayer),
		lens: make([]int, nSeq), ctx: ctx, kvDim: kvDim}
	for l := range c.k {
		c.k[l] = make([]float32, nSeq*ctx*kvDim)
		c.v[l] = make([]float32, nSeq*ctx*kvDim)
	}
	return c
}

// offset is the index of (seq, pos)'s row in a layer's k or v.
func (c *KVCache) offset(seq, pos int) int { return (seq*c.ctx + pos) * c.kvDim }

// store writes the key and value rows of (seq, pos) for layer l.
func (c *KVCache) store(l, seq, pos int, k, v []float32) {
	o := c.offset(seq, pos)
	copy(c.k[l][o:o+c.kvDim], k)
	copy(c.v[l][o:o+c.kvDim], v)
}

// seqRows returns layer l's keys and values of seq from position 0 on.
func (c *KVCache) seqRows(l, seq int) (k, v []float32) {
	o := c.offset(seq, 0)
	end := o + c.ctx*c.kvDim
	return c.k[l][o:end], c.v[l][o:end]
}

// bytes is the cache's size.
func (c *KVCache) bytes() uint64 {
	return uint64(len(c.k)) * 2 * uint64(len(c.lens)*c.ctx*c.kvDim) * 4
}
