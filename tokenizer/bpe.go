package tokenizer

import (
	"fmt"
	"strings"

	"github.com/orcd/orcd/gguf"
)

// bpeModel is GPT-2 style byte-level BPE. Symbols are tracked by token id
// so that a merge lookup is one map probe on an integer pair; merges whose
// sides are not tokens themselves (possible in a hand-made vocab) fall back
// to a lookup by spelling, which keeps the result identical to llama.cpp's
// string-keyed bpe_ranks.
type bpeModel struct {
	ids          map[string]int32    // token text -> id
	byteTok      [256]int32          // raw byte -> id of its one-character token, or -1
	merges       map[uint64]bpeMerge // (left id, right id) -> merge
	textMerges   map[string]bpeMerge // "left right" spelling -> merge, when a side is not a token
	rawIDs       map[string]int32    // raw bytes -> id, for ignoreMerges
	ignoreMerges bool
	noCache      bool // benchmarks measure the merges without the word cache
}

type bpeMerge struct {
	rank int32
	id   int32 // token of the merged spelling, or -1
}

func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

func newBPE(t *Tokenizer, f *gguf.File) (*bpeModel, error) {
	lines, err := f.Strings(kMerges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: gpt2 vocab needs merges: %w", err)
	}
	m := &bpeModel{
		ids:          t.ids,
		merges:       make(map[uint64]bpeMerge, len(lines)),
		textMerges:   map[string]bpeMerge{},
		ignoreMerges: t.pre.ignoreMerges,
	}
	var buf []byte
	for b := 0; b < 256; b++ {
		buf = byteEncode(buf[:0], string([]byte{byte(b)}))
		m.byteTok[b] = lookup(t.ids, string(buf))
	}
	for i, line := range lines {
		// llama.cpp splits at the first space after the first byte; a line
		// without one becomes the empty pair.
		first, second := "", ""
		if p := strings.IndexByte(line[min(1, len(line)):], ' '); p >= 0 {
			p += min(1, len(line))
			first, second = line[:p], line[p+1:]
		}
		mg := bpeMerge{rank: int32(i), id: lookup(t.ids, first+second)}
		l, lok := t.ids[first]
		r, rok := t.ids[second]
		if lok && rok {
			if _, dup := m.merges[pairKey(l, r)]; !dup {
				m.merges[pairKey(l, r)] = mg
			}
			continue
		}
		if _, dup := m.textMerges[first+" "+second]; !dup {
			m.textMerges[first+" "+second] = mg
		}
	}
	if m.ignoreMerges {
		m.rawIDs = make(map[string]int32, len(t.texts))
		for id, s := range t.texts {
			if raw, ok := byteDecode(s); ok {
				m.rawIDs[string(raw)] = int32(id)
			}
		}
	}
	return m, nil
}

func lookup(ids map[string]int32, s string) int32 {
	if id, ok := ids[s]; ok {
		return id
	}
	return -1
}

// encodeState is per-call scratch space, pooled so that encoding does not
// allocate per word, with a cache of recently encoded words.
type encodeState struct {
	text   cpText
	spans  [2][]span
	syms   []bpeSym
	heap   []bigram
	cache  map[string][]int32
	frags  []fragment
	frags2 []fragment
	seen   map[int32]bool
	enc    []byte
}

const (
	maxCacheWords = 1 << 15
	maxCachedLen  = 64 // bytes; longer words are rare and cost more to key
)

// encode appends the tokens of one raw-text fragment.
func (m *bpeModel) encode(st *encodeState, passes []pass, s string, out []int32) []int32 {
	st.text.decode(s)
	words := split(&st.text, passes, &st.spans)
	for _, w := range words {
		word := st.text.word(w)
		if m.ignoreMerges {
			if id, ok := m.rawIDs[word]; ok {
				out = append(out, id)
				continue
			}
		}
		cacheable := len(word) <= maxCachedLen && !m.noCache
		if cacheable {
			if ids, ok := st.cache[word]; ok {
				out = append(out, ids...)
				continue
			}
		}
		n := len(out)
		out = m.encodeWord(st, word, out)
		if cacheable {
			if len(st.cache) >= maxCacheWords {
				clear(st.cache)
			}
			// Clone: the key must not pin the caller's whole text.
			st.cache[strings.Clone(word)] = append([]int32(nil), out[n:]...)
		}
	}
	st.text.s = "" // the pooled state must not pin the caller's text either
	return out
}

// bpeSym is one symbol of a word: raw bytes word[start:start+n].
type bpeSym struct {
	start, n   int32
	id         int32 // token spelling this symbol, or -1
	prev, next int32
}

// encodeWord runs the merges on one word (after encode has tried the
// whole word as a token when ignoreMerges): repeatedly merge the adjacent
// pair with the lowest rank (leftmost first), as llm_tokenizer_bpe_session.
func (m *bpeModel) encodeWord(st *encodeState, word string, out []int32) []int32 {
	syms := st.syms[:0]
	for i := 0; i < len(word); i++ {
		syms = append(syms, bpeSym{start: int32(i), n: 1, id: m.byteTok[word[i]], prev: int32(i - 1), next: int32(i + 1)})
	}
	syms[len(syms)-1].next = -1
	st.syms = syms
	h := st.heap[:0]
	for i := 1; i < len(syms); i++ {
		h = m.pushPair(st, word, h, int32(i-1), int32(i))
	}
	for len(h) > 0 {
		var b bigram
		b, h = heapPop(h, bigramLess)
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue // stale: one side has merged since
		}
		l.n += r.n
		l.id = b.id
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		if l.prev >= 0 {
			h = m.pushPair(st, word, h, l.prev, b.left)
		}
		if l.next >= 0 {
			h = m.pushPair(st, word, h, b.left, l.next)
		}
	}
	st.heap = h
	for i := int32(0); i >= 0; i = syms[i].next {
		s := syms[i]
		if s.id >= 0 {
			out = append(out, s.id)
			continue
		}
		// Not a token: llama.cpp emits the single bytes of its spelling
		// that happen to be tokens.
		st.enc = byteEncode(st.enc[:0], word[s.start:s.start+s.n])
		for _, c := range st.enc {
			if id, ok := m.ids[string([]byte{c})]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}

func (m *bpeModel) pushPair(st *encodeState, word string, h []bigram, li, ri int32) []bigram {
	l, r := st.syms[li], st.syms[ri]
	var mg bpeMerge
	var ok bool
	if l.id >= 0 && r.id >= 0 {
		mg, ok = m.merges[pairKey(l.id, r.id)]
	} else if len(m.textMerges) > 0 {
		key := byteEncode(nil, word[l.start:l.start+l.n])
		key = append(key, ' ')
		key = byteEncode(key, word[r.start:r.start+r.n])
		mg, ok = m.textMerges[string(key)]
	}
	if !ok {
		return h
	}
	return heapPush(h, bigram{rank: mg.rank, left: li, right: ri, size: l.n + r.n, id: mg.id}, bigramLess)
}

// bigram is a candidate merge of symbols left and right.
type bigram struct {
	rank, left, right, size, id int32
}

func bigramLess(a, b bigram) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
}
