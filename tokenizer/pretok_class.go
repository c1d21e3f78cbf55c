package tokenizer

import "sort"

// Passes for pre-tokenizers that llama.cpp runs through std::regex rather
// than a hand-written splitter. matchAt gives the length of the match that
// ECMAScript search would find starting at p (0 for none); matchPass turns
// it into regex_iterator chunks, unmatched gaps included.

type matchFunc func(t *cpText, p, hi int) int

func matchPass(m matchFunc) pass {
	return func(t *cpText, lo, hi int, out []span) []span {
		gap := lo
		for p := lo; p < hi; {
			n := m(t, p, hi)
			if n == 0 {
				p++
				continue
			}
			if p > gap {
				out = append(out, span{int32(gap), int32(p)})
			}
			out = append(out, span{int32(p), int32(p + n)})
			p += n
			gap = p
		}
		if gap < hi {
			out = append(out, span{int32(gap), int32(hi)})
		}
		return out
	}
}

// runOf counts code points from p satisfying in, up to max (0 = no limit).
func runOf(t *cpText, p, hi, max int, in func(c rune, f uint8) bool) int {
	n := 0
	for p+n < hi && (max == 0 || n < max) && in(t.cps[p+n], t.flags[p+n]) {
		n++
	}
	return n
}

// optSpaceRun is \s?X+: the optional space is taken only if X follows.
func optSpaceRun(in func(c rune, f uint8) bool) matchFunc {
	return func(t *cpText, p, hi int) int {
		if t.flags[p]&fSpace != 0 {
			if n := runOf(t, p+1, hi, 0, in); n > 0 {
				return n + 1
			}
		}
		return runOf(t, p, hi, 0, in)
	}
}

func runMatch(max int, in func(c rune, f uint8) bool) matchFunc {
	return func(t *cpText, p, hi int) int { return runOf(t, p, hi, max, in) }
}

// passTrailingSpace is \s+$ : the whitespace run that ends the chunk.
func passTrailingSpace(t *cpText, lo, hi int, out []span) []span {
	q := hi
	for q > lo && t.flags[q-1]&fSpace != 0 {
		q--
	}
	if q > lo {
		out = append(out, span{int32(lo), int32(q)})
	}
	if q < hi {
		out = append(out, span{int32(q), int32(hi)})
	}
	return out
}

// runeClass is an explicit [...] class of a std::wregex pattern. llama.cpp
// rewrites non-ASCII whitespace to U+000B before such patterns run, so it
// can never match one of them.
type runeClass [][2]rune

func (rc runeClass) has(c rune, f uint8) bool {
	if c > 0x7F && f&fSpace != 0 {
		return false
	}
	i := sort.Search(len(rc), func(i int) bool { return rc[i][1] >= c })
	return i < len(rc) && rc[i][0] <= c
}

func isSpaceF(_ rune, f uint8) bool  { return f&fSpace != 0 }
func isLetterF(_ rune, f uint8) bool { return f&fLetter != 0 }
func isNumberF(_ rune, f uint8) bool { return f&fNumber != 0 }
func isPunctF(_ rune, f uint8) bool  { return f&fPunct != 0 }
func isRNF(c rune, _ uint8) bool     { return isRN(c) }
func isASCIIDigit(c rune, _ uint8) bool {
	return c >= '0' && c <= '9'
}

// The classes of DeepSeek's pre-tokenizer regexes, as code point ranges
// (sorted, non-overlapping) so that the table is unambiguous to read.
var (
	// Cased Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee, ... letters.
	deepseekLetters = runeClass{
		{0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6},
		{0xF8, 0x1BA}, {0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF},
		{0x370, 0x373}, {0x376, 0x377}, {0x37B, 0x37D}, {0x37F, 0x37F},
		{0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1},
		{0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
		{0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA},
		{0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
		{0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D},
		{0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D},
		{0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
		{0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB},
		{0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102},
		{0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D},
		{0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D},
		{0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
		{0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4},
		{0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B},
		{0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF},
		{0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
		{0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
		{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF},
		{0x1E900, 0x1E943},
	}
	// ASCII and full-width punctuation, curly quotes, ideographic space/comma/stop.
	deepseekPunct = runeClass{
		{0x21, 0x2F}, {0x3A, 0x7E}, {0x2018, 0x201F}, {0x3000, 0x3002},
		{0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
	}
	// [一-龥ࠀ-一가-퟿]: CJK ideographs, everything from U+0800 up to them, Hangul.
	deepseekCJK = runeClass{{0x800, 0x9FA5}, {0xAC00, 0xD7FF}}
)

var (
	passNewline        = matchPass(runMatch(1, isRNF))
	passDigit          = matchPass(runMatch(1, isNumberF))
	passDigits         = matchPass(runMatch(0, isNumberF))
	passCJK            = matchPass(runMatch(0, deepseekCJK.has))
	passDeepseekLetter = matchPass(optSpaceRun(deepseekLetters.has))
	passDeepseekPunct  = matchPass(optSpaceRun(deepseekPunct.has))
	passSpaceLetters   = matchPass(optSpaceRun(isLetterF))
	passSpacePunct     = matchPass(optSpaceRun(isPunctF))
	// [\p{P}\$\+<=>\^~\|]+ of the BPE "default" pre-tokenizer.
	passPunctSymbols = matchPass(runMatch(0, func(c rune, f uint8) bool {
		switch c {
		case '$', '+', '<', '=', '>', '^', '~', '|':
			return true
		}
		return f&fPunct != 0
	}))
	// [0-9][0-9][0-9]
	passThreeDigits = matchPass(func(t *cpText, p, hi int) int {
		if runOf(t, p, hi, 3, isASCIIDigit) == 3 {
			return 3
		}
		return 0
	})
)
