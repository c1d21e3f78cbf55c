package tokenizer

import (
	"slices"
	"unicode/utf8"
)

// Pre-tokenization splits text into words before BPE merges run, the way
// llama.cpp's unicode_regex_split does for each tokenizer.ggml.pre. Go's
// regexp has no lookahead, so each regex is written out by hand as a scan
// over code-point classes; every pass is linear in its input.
//
// A pre-tokenizer is a list of passes. Each pass refines every chunk of the
// previous one: text a pass's pattern matches becomes a chunk, and so does
// each gap between matches (std::regex_iterator semantics). Patterns never
// see across chunk borders, so `$` and lookahead stop at a chunk's end.

// cpText is one fragment decoded to code points.
type cpText struct {
	s     string  // UTF-8 text the words are cut from
	cps   []rune  // code points of s
	flags []uint8 // flagsOf each code point
	off   []int32 // byte offset in s of each code point, plus len(s)
}

// span is a chunk [lo, hi) in code-point indices.
type span struct{ lo, hi int32 }

// pass appends the chunks of cps[lo:hi] to out.
type pass func(t *cpText, lo, hi int, out []span) []span

// decode fills t from s. Invalid UTF-8 becomes U+FFFD, as llama.cpp's
// decoder makes it, so the words are cut from a re-encoded copy.
func (t *cpText) decode(s string) {
	t.cps, t.flags, t.off = t.cps[:0], t.flags[:0], t.off[:0]
	if !utf8.ValidString(s) {
		var b []byte
		for i := 0; i < len(s); {
			r, n := decodeRune(s, i)
			b = appendRune(b, r)
			i += n
		}
		s = string(b)
	}
	t.s = s
	t.cps = slices.Grow(t.cps, len(s))
	t.flags = slices.Grow(t.flags, len(s))
	t.off = slices.Grow(t.off, len(s)+1)
	for i := 0; i < len(s); {
		r, n := decodeRune(s, i)
		t.cps = append(t.cps, r)
		t.flags = append(t.flags, flagsOf(r))
		t.off = append(t.off, int32(i))
		i += n
	}
	t.off = append(t.off, int32(len(s)))
}

func (t *cpText) word(sp span) string { return t.s[t.off[sp.lo]:t.off[sp.hi]] }

// at returns the code point and flags at p, or (-1, 0) outside [lo, hi):
// the custom splitters treat a chunk's edge like an unclassified character.
func (t *cpText) at(p, hi int) (rune, uint8) {
	if p >= hi {
		return -1, 0
	}
	return t.cps[p], t.flags[p]
}

// split runs passes over the whole of t, ping-ponging between the two
// scratch buffers in bufs (kept for the next call).
func split(t *cpText, passes []pass, bufs *[2][]span) []span {
	a, b := bufs[0][:0], bufs[1][:0]
	if len(t.cps) == 0 {
		return a
	}
	a = append(a, span{0, int32(len(t.cps))})
	for _, p := range passes {
		b = b[:0]
		for _, c := range a {
			b = p(t, int(c.lo), int(c.hi), b)
		}
		a, b = b, a
	}
	bufs[0], bufs[1] = a, b
	return a
}

func isRN(r rune) bool { return r == '\r' || r == '\n' }

func lowerASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// contraction matches 's 't 're 've 'm 'll 'd at p and returns its length.
func contraction(t *cpText, p, hi int, fold bool) int {
	if t.cps[p] != '\'' || p+1 >= hi {
		return 0
	}
	c1 := t.cps[p+1]
	if fold {
		c1 = lowerASCII(c1)
	}
	switch c1 {
	case 's', 't', 'm', 'd':
		return 2
	}
	if p+2 >= hi {
		return 0
	}
	c2 := t.cps[p+2]
	if fold {
		c2 = lowerASCII(c2)
	}
	if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
		return 3
	}
	return 0
}

// spaceRun measures the whitespace run at p and where its last \r or \n
// ends (0 if none).
func spaceRun(t *cpText, p, hi int) (n, lastRN int) {
	for p+n < hi && t.flags[p+n]&fSpace != 0 {
		if isRN(t.cps[p+n]) {
			lastRN = p + n + 1
		}
		n++
	}
	return n, lastRN
}

// passGPT2 is  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
func passGPT2(t *cpText, lo, hi int, out []span) []span {
	for p := lo; p < hi; {
		start := p
		if n := contraction(t, p, hi, false); n > 0 {
			out = append(out, span{int32(p), int32(p + n)})
			p += n
			continue
		}
		c, f := t.at(p, hi)
		f2 := f
		if c == ' ' {
			_, f2 = t.at(p+1, hi)
		}
		other := func(f uint8, c rune) bool { return f&(fSpace|fLetter|fNumber) == 0 && c >= 0 }
		var cls func(f uint8, c rune) bool
		switch {
		case f2&fLetter != 0:
			cls = func(f uint8, _ rune) bool { return f&fLetter != 0 }
		case f2&fNumber != 0:
			cls = func(f uint8, _ rune) bool { return f&fNumber != 0 }
		case c == ' ' && p+1 < hi && other(f2, t.cps[p+1]), c != ' ' && other(f, c):
			cls = other
		}
		if cls != nil {
			if c == ' ' {
				p++
			}
			for p < hi && cls(t.flags[p], t.cps[p]) {
				p++
			}
			out = append(out, span{int32(start), int32(p)})
			continue
		}
		n, _ := spaceRun(t, p, hi)
		switch {
		case n > 1 && p+n < hi: // \s+(?!\S): leave the last space to the next word
			p += n - 1
		case n > 0:
			p += n
		default:
			p++
		}
		out = append(out, span{int32(start), int32(p)})
	}
	return out
}

// passLlama3 is the Llama 3 pattern, and Qwen2's with maxDigits 1:
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//
//	?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func passLlama3(maxDigits int) pass {
	return func(t *cpText, lo, hi int, out []span) []span {
		for p := lo; p < hi; {
			start := p
			if n := contraction(t, p, hi, true); n > 0 {
				out = append(out, span{int32(p), int32(p + n)})
				p += n
				continue
			}
			c, f := t.cps[p], t.flags[p]
			if !isRN(c) && f&fNumber == 0 {
				if _, f1 := t.at(p+1, hi); f&fLetter != 0 || f1&fLetter != 0 {
					p++
					for p < hi && t.flags[p]&fLetter != 0 {
						p++
					}
					out = append(out, span{int32(start), int32(p)})
					continue
				}
			}
			if f&fNumber != 0 {
				for p < hi && t.flags[p]&fNumber != 0 {
					q := p
					for p < hi && p-q < maxDigits && t.flags[p]&fNumber != 0 {
						p++
					}
					out = append(out, span{int32(q), int32(p)})
				}
				continue
			}
			f2, next := f, p
			if c == ' ' {
				_, f2 = t.at(p+1, hi)
				next = p + 1
			}
			if f2&(fSpace|fLetter|fNumber) == 0 && next < hi {
				p = next
				for p < hi && t.flags[p]&(fSpace|fLetter|fNumber) == 0 {
					p++
				}
				for p < hi && isRN(t.cps[p]) {
					p++
				}
				out = append(out, span{int32(start), int32(p)})
				continue
			}
			n, lastRN := spaceRun(t, p, hi)
			switch {
			case lastRN > 0:
				p = lastRN
			case n > 1 && p+n < hi:
				p += n - 1
			case n > 0:
				p += n
			default:
				p++
			}
			out = append(out, span{int32(start), int32(p)})
		}
		return out
	}
}
