package tokenizer

import (
	"fmt"
	"strings"
)

// spmModel is SentencePiece BPE as llama.cpp runs it (llm_tokenizer_spm):
// start from UTF-8 characters, repeatedly merge the adjacent pair whose
// concatenation is the highest-scoring token, and spell leftovers that are
// not tokens with byte-fallback <0xNN> tokens.
type spmModel struct {
	ids     map[string]int32
	scores  []float32
	byteTok [256]int32 // <0xNN> (or the raw byte as a token), -1 if neither
	// wordSplit is true when no token holds "▁" right after another
	// character: then no merge can cross the start of a "▁word", and
	// words can be merged one at a time with small heaps, which gives the
	// same tokens as merging the whole text at once (llama.cpp's way).
	wordSplit bool
}

func newSPM(t *Tokenizer) *spmModel {
	m := &spmModel{ids: t.ids, scores: t.scores}
	for b := 0; b < 256; b++ {
		id := lookup(t.ids, fmt.Sprintf("<0x%02X>", b))
		if id < 0 {
			id = lookup(t.ids, string([]byte{byte(b)}))
		}
		m.byteTok[b] = id
	}
	m.wordSplit = true
	for _, text := range t.texts {
		for i := 1; i < len(text); i++ {
			if strings.HasPrefix(text[i:], "▁") && !strings.HasSuffix(text[:i], "▁") {
				m.wordSplit = false
			}
		}
	}
	return m
}

type spmSym struct {
	start, n   int32
	prev, next int32
}

// spmBigram is a candidate merge; the heap pops the highest score, then
// the leftmost.
type spmBigram struct {
	score       float32
	left, right int32
	size        int32
}

// encode appends the tokens of one text fragment. prefix adds the
// dummy-prefix space SentencePiece puts before text that starts a sequence
// or follows a special token.
func (m *spmModel) encode(st *encodeState, frag string, prefix bool, out []int32) ([]int32, error) {
	var b strings.Builder
	b.Grow(len(frag) + 3)
	if prefix {
		b.WriteString("▁")
	}
	for i := 0; i < len(frag); i++ {
		if frag[i] == ' ' {
			b.WriteString("▁")
		} else {
			b.WriteByte(frag[i])
		}
	}
	text := b.String()
	if !m.wordSplit {
		return m.encodeRun(text, out)
	}
	// Cut only where llama.cpp's character walk starts a symbol, so that
	// invalid UTF-8 (whose lead byte swallows what follows) is split alike.
	var err error
	start, prev := 0, ""
	for p := 0; p < len(text); {
		n := min(utf8Len(text[p]), len(text)-p)
		if p > start && prev != "▁" && strings.HasPrefix(text[p:], "▁") {
			if out, err = m.encodeWord(st, text[start:p], out); err != nil {
				return nil, err
			}
			start = p
		}
		prev = text[p : p+n]
		p += n
	}
	return m.encodeWord(st, text[start:], out)
}

// encodeWord is encodeRun through the state's cache of recent words.
func (m *spmModel) encodeWord(st *encodeState, word string, out []int32) ([]int32, error) {
	if len(word) > maxCachedLen {
		return m.encodeRun(word, out)
	}
	if ids, ok := st.cache[word]; ok {
		return append(out, ids...), nil
	}
	n := len(out)
	out, err := m.encodeRun(word, out)
	if err != nil {
		return nil, err
	}
	if len(st.cache) >= maxCacheWords {
		clear(st.cache)
	}
	st.cache[strings.Clone(word)] = append([]int32(nil), out[n:]...)
	return out, nil
}

// encodeRun merges one run of escaped text.
func (m *spmModel) encodeRun(text string, out []int32) ([]int32, error) {
	if text == "" {
		return out, nil
	}
	var syms []spmSym
	for i := 0; i < len(text); {
		n := min(utf8Len(text[i]), len(text)-i)
		syms = append(syms, spmSym{start: int32(i), n: int32(n), prev: int32(len(syms) - 1), next: int32(len(syms) + 1)})
		i += n
	}
	syms[len(syms)-1].next = -1

	var h []spmBigram
	push := func(l, r int32) {
		if l < 0 || r < 0 {
			return
		}
		s := text[syms[l].start : syms[r].start+syms[r].n]
		id, ok := m.ids[s]
		if !ok {
			return
		}
		h = heapPush(h, spmBigram{score: m.scores[id], left: l, right: r, size: int32(len(s))}, spmLess)
	}
	for i := 1; i < len(syms); i++ {
		push(int32(i-1), int32(i))
	}
	for len(h) > 0 {
		var bg spmBigram
		bg, h = heapPop(h, spmLess)
		l, r := &syms[bg.left], &syms[bg.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != bg.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = bg.left
		}
		push(l.prev, bg.left)
		push(bg.left, l.next)
	}

	for i := int32(0); i >= 0; i = syms[i].next {
		s := text[syms[i].start : syms[i].start+syms[i].n]
		if id, ok := m.ids[s]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(s); j++ {
			id := m.byteTok[s[j]]
			if id < 0 {
				return nil, fmt.Errorf("tokenizer: vocab has no byte token for 0x%02X", s[j])
			}
			out = append(out, id)
		}
	}
	return out, nil
}

func spmLess(a, b spmBigram) bool {
	return a.score > b.score || (a.score == b.score && a.left < b.left)
}

// heapPush and heapPop keep h a binary heap with the least element first.
func heapPush[T any](h []T, x T, less func(a, b T) bool) []T {
	h = append(h, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop[T any](h []T, less func(a, b T) bool) (T, []T) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if r := c + 1; r < len(h) && less(h[r], h[c]) {
			c = r
		}
		if !less(h[c], h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	return top, h
}
