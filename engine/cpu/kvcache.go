package cpu

// KVCache holds the keys and values of every layer for MaxSeqs sequences
// of up to ctx positions each, in float32 (like the goldens' F32 cache).
// Layout of k[l] and v[l]: [seq][kv_head][pos][head_dim], so that the rows
// one attention head reads are contiguous: a decode step reads each head's
// cache from memory in one stream, which the CPU's prefetchers follow,
// instead of one short slice per position a whole row apart.
type KVCache struct {
	k, v  [][]float32
	lens  []int // cached positions per sequence
	ctx   int
	nKV   int // KV heads
	hd    int // head_dim
	kvDim int // nKV * hd
}

func newKVCache(nLayer, nSeq, ctx, nKV, hd int) *KVCache {
	c := &KVCache{k: make([][]float32, nLayer), v: make([][]float32, nLayer),
		lens: make([]int, nSeq), ctx: ctx, nKV: nKV, hd: hd, kvDim: nKV * hd}
	for l := range c.k {
		c.k[l] = make([]float32, nSeq*ctx*c.kvDim)
		c.v[l] = make([]float32, nSeq*ctx*c.kvDim)
	}
	return c
}

// offset is the index of (seq, kv head h, pos)'s row in a layer's k or v.
func (c *KVCache) offset(seq, h, pos int) int { return ((seq*c.nKV+h)*c.ctx + pos) * c.hd }

// store writes the key and value rows of (seq, pos) for layer l: k and v
// hold every KV head's head_dim values back to back.
func (c *KVCache) store(l, seq, pos int, k, v []float32) {
	for h := 0; h < c.nKV; h++ {
		o := c.offset(seq, h, pos)
		copy(c.k[l][o:o+c.hd], k[h*c.hd:(h+1)*c.hd])
		copy(c.v[l][o:o+c.hd], v[h*c.hd:(h+1)*c.hd])
	}
}

// headRows returns layer l's keys and values of KV head h of seq from
// position 0 on: rows of head_dim values, one per position.
func (c *KVCache) headRows(l, seq, h int) (k, v []float32) {
	o := c.offset(seq, h, 0)
	end := o + c.ctx*c.hd
	return c.k[l][o:end], c.v[l][o:end]
}

// bytes is the cache's size.
func (c *KVCache) bytes() uint64 {
	return uint64(len(c.k)) * 2 * uint64(len(c.lens)*c.ctx*c.kvDim) * 4
}
