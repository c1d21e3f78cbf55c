package cpu

import "github.com/orcd/orcd/engine/kernels"

// KVCache holds the keys and values of every layer for MaxSeqs sequences
// of up to ctx positions each, in float32 (like the goldens' F32 cache)
// or in f16 (llama.cpp's default: half the memory, and half the bytes a
// decode step reads at long contexts, for values rounded to f16).
// Layout of k[l] and v[l]: [seq][kv_head][pos][head_dim], so that the rows
// one attention head reads are contiguous: a decode step reads each head's
// cache from memory in one stream, which the CPU's prefetchers follow,
// instead of one short slice per position a whole row apart.
type KVCache struct {
	k, v     [][]float32 // F32: per layer
	k16, v16 [][]uint16  // F16: per layer (k and v are nil)
	lens     []int       // cached positions per sequence
	ctx      int
	nKV      int // KV heads
	hd       int // head_dim
	kvDim    int // nKV * hd
}

func newKVCache(nLayer, nSeq, ctx, nKV, hd int, f16 bool) *KVCache {
	c := &KVCache{lens: make([]int, nSeq), ctx: ctx, nKV: nKV, hd: hd, kvDim: nKV * hd}
	n := nSeq * ctx * c.kvDim
	for range nLayer {
		if f16 {
			c.k16, c.v16 = append(c.k16, make([]uint16, n)), append(c.v16, make([]uint16, n))
		} else {
			c.k, c.v = append(c.k, make([]float32, n)), append(c.v, make([]float32, n))
		}
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
		kh, vh := k[h*c.hd:(h+1)*c.hd], v[h*c.hd:(h+1)*c.hd]
		if c.k16 != nil {
			kernels.F32ToF16Slice(c.k16[l][o:o+c.hd], kh)
			kernels.F32ToF16Slice(c.v16[l][o:o+c.hd], vh)
			continue
		}
		copy(c.k[l][o:o+c.hd], kh)
		copy(c.v[l][o:o+c.hd], vh)
	}
}

// headRows returns layer l's keys and values of KV head h of seq for
// positions [0, n): rows of head_dim values, one per position. An F32
// cache returns its own rows; an F16 cache widens them into kbuf and vbuf
// (n*head_dim each). The kernel path reads an F16 cache through
// headRows16 and the f16 attention kernels instead, where the CPU has them.
func (c *KVCache) headRows(l, seq, h, n int, kbuf, vbuf []float32) (k, v []float32) {
	o, end := c.offset(seq, h, 0), c.offset(seq, h, n)
	if c.k16 == nil {
		return c.k[l][o:end], c.v[l][o:end]
	}
	k, v = kbuf[:end-o], vbuf[:end-o]
	kernels.F16ToF32Slice(k, c.k16[l][o:end])
	kernels.F16ToF32Slice(v, c.v16[l][o:end])
	return k, v
}

// headRows16 is headRows of an F16 cache, unwidened.
func (c *KVCache) headRows16(l, seq, h, n int) (k, v []uint16) {
	o, end := c.offset(seq, h, 0), c.offset(seq, h, n)
	return c.k16[l][o:end], c.v16[l][o:end]
}

// copySeq makes dst's cache the first n positions of src's: per layer
// and KV head, one contiguous run of n rows.
func (c *KVCache) copySeq(dst, src, n int) {
	for l := range max(len(c.k), len(c.k16)) {
		for h := range c.nKV {
			d, s := c.offset(dst, h, 0), c.offset(src, h, 0)
			if c.f16() {
				copy(c.k16[l][d:d+n*c.hd], c.k16[l][s:s+n*c.hd])
				copy(c.v16[l][d:d+n*c.hd], c.v16[l][s:s+n*c.hd])
				continue
			}
			copy(c.k[l][d:d+n*c.hd], c.k[l][s:s+n*c.hd])
			copy(c.v[l][d:d+n*c.hd], c.v[l][s:s+n*c.hd])
		}
	}
	c.lens[dst] = n
}

// f16 reports whether the cache holds halves.
func (c *KVCache) f16() bool { return c.k16 != nil }

// bytes is the cache's size.
func (c *KVCache) bytes() uint64 {
	elt := uint64(4)
	if c.f16() {
		elt = 2
	}
	return uint64(max(len(c.k), len(c.k16))) * 2 * uint64(len(c.lens)*c.ctx*c.kvDim) * elt
}
