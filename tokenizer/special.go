package tokenizer

import "strings"

// fragment is a run of raw text s[lo:hi] (tok < 0) or one special token.
type fragment struct {
	tok    int32
	lo, hi int
}

// specialTrie finds which special tokens occur anywhere in a text with one
// scan, so that partition only searches for those. Without it, a prompt
// would be searched once per special token (256 for Llama 3).
type specialTrie struct {
	next  []map[byte]int32 // node -> byte -> child
	id    []int32          // node -> token ending here, or -1
	first [256]bool        // bytes that start some token
}

func newSpecialTrie(texts []string, ids []int32) specialTrie {
	tr := specialTrie{next: []map[byte]int32{{}}, id: []int32{-1}}
	for _, id := range ids {
		s := texts[id]
		node := int32(0)
		for i := 0; i < len(s); i++ {
			child, ok := tr.next[node][s[i]]
			if !ok {
				child = int32(len(tr.id))
				tr.next = append(tr.next, map[byte]int32{})
				tr.id = append(tr.id, -1)
				tr.next[node][s[i]] = child
			}
			node = child
		}
		tr.id[node] = id
		tr.first[s[0]] = true
	}
	return tr
}

// present marks in seen every special token that occurs in s.
func (tr *specialTrie) present(s string, seen map[int32]bool) {
	for i := 0; i < len(s); i++ {
		if !tr.first[s[i]] {
			continue
		}
		node := int32(0)
		for j := i; j < len(s); j++ {
			child, ok := tr.next[node][s[j]]
			if !ok {
				break
			}
			node = child
			if id := tr.id[node]; id >= 0 {
				seen[id] = true
			}
		}
	}
}

// isCSpace is C's isspace in the "C" locale, which llama.cpp uses to strip.
func isCSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// partition splits text around special tokens like llama.cpp's
// tokenizer_st_partition: longer tokens claim their occurrences first.
// Control and unknown tokens are only matched when parseSpecial; user-
// defined tokens always are.
func (t *Tokenizer) partition(text string, parseSpecial bool, st *encodeState) []fragment {
	frags := append(st.frags[:0], fragment{tok: -1, lo: 0, hi: len(text)})
	if len(t.special) == 0 {
		return frags
	}
	clear(st.seen)
	if st.seen == nil {
		st.seen = map[int32]bool{}
	}
	t.specialMat.present(text, st.seen)
	if len(st.seen) == 0 {
		return frags
	}
	tmp := st.frags2[:0]
	for _, id := range t.special {
		if !st.seen[id] {
			continue
		}
		attr := t.attrs[id]
		if !parseSpecial && attr&(attrControl|attrUnknown) != 0 {
			continue
		}
		tmp = t.splitOn(text, id, attr, frags, tmp[:0])
		frags, tmp = tmp, frags
	}
	st.frags, st.frags2 = frags, tmp
	return frags
}

// splitOn replaces every raw fragment of in by the pieces around each
// occurrence of token id.
func (t *Tokenizer) splitOn(text string, id int32, attr uint16, in, out []fragment) []fragment {
	tok := t.texts[id]
	for _, f := range in {
		if f.tok >= 0 {
			out = append(out, f)
			continue
		}
		lo := f.lo
		for lo < f.hi {
			i := strings.Index(text[lo:f.hi], tok)
			if i < 0 {
				break
			}
			m := lo + i
			left := m
			if attr&attrLStrip != 0 {
				for left > lo && isCSpace(text[left-1]) {
					left--
				}
			}
			if left > lo {
				out = append(out, fragment{tok: -1, lo: lo, hi: left})
			}
			out = append(out, fragment{tok: id})
			lo = m + len(tok)
			if attr&attrRStrip != 0 {
				for lo < f.hi && isCSpace(text[lo]) {
					lo++
				}
			}
		}
		if lo < f.hi {
			out = append(out, fragment{tok: -1, lo: lo, hi: f.hi})
		}
	}
	return out
}
