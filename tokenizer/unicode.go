package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes the pre-tokenizers test. A code point has at most one
// of fLetter, fNumber, fPunct; whitespace wins over everything else, as in
// llama.cpp's flag tables.
const (
	fSpace  uint8 = 1 << iota // Unicode White_Space
	fLetter                   // \p{L}
	fNumber                   // \p{N}
	fPunct                    // \p{P}
)

var (
	bmpFlagsOnce sync.Once
	bmpFlags     []uint8 // flags of every BMP code point, built on first use
)

func computeFlags(r rune) uint8 {
	switch {
	case unicode.IsSpace(r):
		return fSpace
	case unicode.IsLetter(r):
		return fLetter
	case unicode.IsNumber(r):
		return fNumber
	case unicode.IsPunct(r):
		return fPunct
	}
	return 0
}

// flagsOf classifies r. The BMP is tabled because mixed-script text spends
// most of its pre-tokenization time here.
func flagsOf(r rune) uint8 {
	if r < 0x10000 {
		bmpFlagsOnce.Do(func() {
			bmpFlags = make([]uint8, 0x10000)
			for c := range bmpFlags {
				bmpFlags[c] = computeFlags(rune(c))
			}
		})
		return bmpFlags[r]
	}
	return computeFlags(r)
}

// decodeRune reads one code point the way llama.cpp's unicode_cpt_from_utf8
// does: it checks only lead-byte shape and continuation bytes (so overlong
// forms and surrogates decode), and anything else is U+FFFD for one byte.
// Code points above U+10FFFF, which llama.cpp cannot re-encode, are also
// treated as invalid.
func decodeRune(s string, i int) (rune, int) {
	b := s[i]
	cont := func(k int) bool { return i+k < len(s) && s[i+k]&0xC0 == 0x80 }
	switch {
	case b < 0x80:
		return rune(b), 1
	case b&0x40 == 0:
	case b&0x20 == 0:
		if cont(1) {
			return rune(b&0x1F)<<6 | rune(s[i+1]&0x3F), 2
		}
	case b&0x10 == 0:
		if cont(1) && cont(2) {
			return rune(b&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
		}
	case b&0x08 == 0:
		if cont(1) && cont(2) && cont(3) {
			r := rune(b&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F)
			if r <= unicode.MaxRune {
				return r, 4
			}
		}
	}
	return utf8.RuneError, 1
}

// appendRune encodes r like llama.cpp's unicode_cpt_to_utf8, which (unlike
// utf8.AppendRune) writes surrogate code points as three bytes.
func appendRune(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
	case r < 0x10000:
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	}
	return append(b, 0xF0|byte(r>>18), 0x80|byte(r>>12&0x3F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
}

// utf8Len is the sequence length a lead byte announces (1 for stray
// continuation bytes), as unicode_len_utf8 computes it.
func utf8Len(b byte) int {
	switch b >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// GPT-2's byte-level alphabet: every byte is shown as a printable code
// point so that merges never see raw control bytes or spaces.
var byteToRune, runeToByte = buildByteAlphabet()

func buildByteAlphabet() ([256]rune, map[rune]byte) {
	var enc [256]rune
	dec := make(map[rune]byte, 256)
	printable := func(b int) bool {
		return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !printable(b) {
			r = rune(256 + n)
			n++
		}
		enc[b], dec[r] = r, byte(b)
	}
	return enc, dec
}

// byteEncode maps raw bytes to their byte-level alphabet spelling.
func byteEncode(dst []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		dst = utf8.AppendRune(dst, byteToRune[raw[i]])
	}
	return dst
}

// byteDecode inverts byteEncode; ok is false when text holds a code point
// outside the alphabet (such tokens can never come out of the merges).
func byteDecode(text string) (raw []byte, ok bool) {
	raw = make([]byte, 0, len(text))
	for _, r := range text {
		b, found := runeToByte[r]
		if !found {
			return nil, false
		}
		raw = append(raw, b)
	}
	return raw, true
}
