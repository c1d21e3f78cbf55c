package engine

// promptCache keeps what each free slot's KV cache still holds when its
// job ends, so that a new job whose prompt starts with the same tokens
// (a shared system prompt, the earlier turns of a conversation) skips
// their prefill: llama.cpp's server does this per slot (cache_prompt),
// vLLM and SGLang across requests. The scheduler's loop owns it.
//
// Reuse is exact where batching is: when a token's keys and values do not
// depend on which other tokens shared its forward pass (the CPU backend),
// a reused prefix holds what a fresh prefill would compute. On CUDA a
// prefix computed by decode steps may differ from a prefill's in float
// rounding, as a batched row does from a lone one.
type promptCache struct {
	trunc  SeqTruncater // nil when the backend cannot keep a prefix, or the cache is off
	copier SeqCopier    // nil when the backend cannot copy a prefix between slots, or the cache is off
	held   [][]int32    // per slot: the tokens at its cached positions, nil when empty
	freed  []uint64     // per slot: when its job ended, for least recently used first
	clock  uint64
}

func newPromptCache(b Backend, off bool) *promptCache {
	c := &promptCache{held: make([][]int32, b.MaxSeqs()), freed: make([]uint64, b.MaxSeqs())}
	if t, ok := b.(SeqTruncater); ok && !off {
		c.trunc = t
	}
	if cp, ok := b.(SeqCopier); ok && !off {
		c.copier = cp
	}
	return c
}

// minReuse is the shortest shared prefix worth choosing a slot for. Below
// it (a BOS, a chat header), a job takes the slot with least to lose, so
// that a cached conversation is not evicted to save a few tokens.
const minReuse = 16

// pick chooses among the free slots the one whose cache shares the longest
// prefix with prompt, the least recently used among equals (a shared system
// prompt then evicts the oldest conversation). When no slot shares
// minReuse tokens, it takes an empty slot, else the least recently used.
// It returns the slot's index in free and how many positions to keep:
// never the prompt's last token, whose logits start the generation.
func (c *promptCache) pick(free []int32, prompt []int32) (i, reuse int) {
	if c.trunc == nil {
		return len(free) - 1, 0
	}
	head := prompt[:max(len(prompt)-1, 0)]
	best, bestLen := -1, -1
	for j, slot := range free {
		n := commonPrefix(c.held[slot], head)
		if n > bestLen || (n == bestLen && c.freed[slot] < c.freed[free[best]]) {
			best, bestLen = j, n
		}
	}
	if bestLen >= minReuse {
		return best, bestLen
	}
	for j, slot := range free {
		if c.leastToLose(slot, free[best]) {
			best = j
		}
	}
	return best, commonPrefix(c.held[free[best]], head)
}

// leastToLose orders slots for eviction: empty ones first, then the least
// recently used.
func (c *promptCache) leastToLose(a, b int32) bool {
	if (c.held[a] == nil) != (c.held[b] == nil) {
		return c.held[a] == nil
	}
	return c.freed[a] < c.freed[b]
}

// share gives q, which is still prefilling, the longest prefix of its
// prompt that another slot holds, a running job's or a free slot's cache,
// when that is more than q has (see consider for when): jobs that
// arrive together with the same system prompt prefill it once, the first
// of them (the others take their prompt chunks after it, in admission
// order, and share when the step's budget reaches them). A copy moves
// those positions' keys and values; prefilling them would run the model
// over each. It runs at the start of a step, when every sequence's fed
// matches its cache. A failed copy leaves q as it was: it prefills the
// prefix itself.
func (c *promptCache) share(q *sequence, running []*sequence, free []int32) {
	if c.copier == nil || len(q.prompt) < 2 {
		return
	}
	head := q.prompt[:len(q.prompt)-1]
	src, best := int32(-1), q.pos
	consider := func(slot int32, held []int32) {
		n := commonPrefix(held, head)
		// A prefix of at least minReuse positions is copied every
		// minReuse positions while it grows (a job prefilling the same
		// prompt), and once more when complete, whatever that adds.
		complete := len(held) > n || n == len(head)
		if n > best && n >= minReuse && (n-q.pos >= minReuse || complete) {
			src, best = slot, n
		}
	}
	for _, r := range running {
		if r != q && r.slot >= 0 {
			consider(r.slot, r.fed)
		}
	}
	for _, slot := range free {
		consider(slot, c.held[slot])
	}
	if src < 0 || c.copier.CopySeq(q.slot, src, best) != nil {
		return
	}
	q.fed = append(q.fed[:0], q.prompt[:best]...)
	q.cachedPrompt += best - q.pos
	q.pos = best
}

// claim readies slot for a job that keeps its first reuse positions.
func (c *promptCache) claim(b Backend, slot int32, reuse int) error {
	c.held[slot] = nil
	if reuse > 0 {
		return c.trunc.TruncateSeq(slot, reuse)
	}
	return b.ClearSeq(slot)
}

// release takes slot back from a job whose cache holds tokens. keep is
// false when the cache's content is undefined (a failed forward pass) or
// there is no cache; the slot is then cleared at once.
func (c *promptCache) release(b Backend, slot int32, tokens []int32, keep bool) {
	c.clock++
	c.freed[slot] = c.clock
	if keep && c.trunc != nil && len(tokens) > 0 {
		c.held[slot] = tokens
		return
	}
	c.held[slot] = nil
	_ = b.ClearSeq(slot) // frees the cells now; claim clears again before reuse
}

// cached is the number of positions free slots hold for reuse.
func (c *promptCache) cached(free []int32) int {
	n := 0
	for _, s := range free {
		n += len(c.held[s])
	}
	return n
}

func commonPrefix(a, b []int32) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
