package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// buildPieces renders every token once, as llama.cpp's token_to_piece
// cache does (with special text included; TokenToPiece filters it).
func (t *Tokenizer) buildPieces() {
	t.pieces = make([][]byte, len(t.texts))
	for id, text := range t.texts {
		a := t.attrs[id]
		var p []byte
		switch {
		case a&(attrUnknown|attrControl|attrUserDefined) != 0:
			p = []byte(text)
		case a&attrNormal != 0 && t.model == modelSPM:
			p = []byte(strings.ReplaceAll(text, "▁", " "))
		case a&attrNormal != 0:
			p = decodeByteLevel(text)
		case a&attrByte != 0:
			p = []byte{hexByte(text)}
		}
		t.pieces[id] = p[:len(p):len(p)]
	}
}

// decodeByteLevel turns a byte-level BPE spelling back into raw bytes, with
// llama.cpp's marker for code points outside the alphabet.
func decodeByteLevel(text string) []byte {
	var out []byte
	for i := 0; i < len(text); {
		r, n := decodeRune(text, i)
		i += n
		if b, ok := runeToByte[r]; ok {
			out = append(out, b)
			continue
		}
		out = append(out, "[UNK_BYTE_0x"...)
		for _, c := range appendRune(nil, r) {
			out = fmt.Appendf(out, "%02x", c)
		}
		out = append(out, text+"]"...)
	}
	return out
}

// hexByte parses the NN of a <0xNN> token, leniently like strtol.
func hexByte(text string) byte {
	var v byte
	for i := 3; i < len(text) && i < 5; i++ {
		c := text[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return v
		}
	}
	return v
}

// TokenToPiece returns the bytes token id stands for: byte-fallback tokens
// give their byte, byte-level BPE tokens their raw bytes. Control and
// unknown tokens give nothing unless special. Out-of-range ids give nil.
// The result is shared: callers must not modify it.
func (t *Tokenizer) TokenToPiece(id int32, special bool) []byte {
	if id < 0 || int(id) >= len(t.pieces) {
		return nil
	}
	if !special && t.attrs[id]&(attrUnknown|attrControl) != 0 {
		return nil
	}
	return t.pieces[id]
}

// Decode concatenates the pieces of ids. For SentencePiece vocabs it drops
// the one leading space that Encode's dummy prefix added, so that
// Decode(Encode(x)) == x. Out-of-range ids are skipped.
func (t *Tokenizer) Decode(ids []int32, special bool) []byte {
	return t.concat(ids, special, t.addSpacePrefix)
}

// Detokenize is llama_detokenize: Decode, optionally without a leading BOS
// and trailing EOS (removeSpecial), then, for vocabs with CleanSpaces,
// HF's clean_up_tokenization_spaces (" ," -> ",", " 's" -> "'s", ...).
// That clean-up is lossy, so Decode is the inverse of Encode, not this.
func (t *Tokenizer) Detokenize(ids []int32, removeSpecial, unparseSpecial bool) []byte {
	removeSpace := t.addSpacePrefix
	if removeSpecial && t.addBOS && len(ids) > 0 && ids[0] == t.bos {
		removeSpace = false
		ids = ids[1:]
	}
	if removeSpecial && t.addEOS && len(ids) > 0 && ids[len(ids)-1] == t.eos {
		ids = ids[:len(ids)-1]
	}
	out := t.concat(ids, unparseSpecial, removeSpace)
	if t.pre.cleanSpaces {
		out = cleanSpaces(out)
	}
	return out
}

// concat joins the pieces of ids, dropping one leading space of the first
// piece when stripSpace.
func (t *Tokenizer) concat(ids []int32, special, stripSpace bool) []byte {
	var out []byte
	for i, id := range ids {
		p := t.TokenToPiece(id, special)
		if i == 0 && stripSpace && len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		out = append(out, p...)
	}
	return out
}

// cleanSpaces is the three passes of llama.cpp's detokenize clean-up.
func cleanSpaces(b []byte) []byte {
	drop := func(b []byte, keep func(b []byte, i int) (dropPrev, dropNext bool)) []byte {
		if len(b) == 0 {
			return b
		}
		out := b[:1]
		for i := 1; i < len(b); i++ {
			dp, dn := keep(b, i)
			if dp {
				out = out[:len(out)-1]
			}
			out = append(out, b[i])
			if dn { // llama.cpp zeroes the skipped byte, which later tests see
				b[i+1] = 0
				i++
			}
		}
		return out
	}
	// " ?", " !", " .", " ,"
	b = drop(b, func(b []byte, i int) (bool, bool) {
		return b[i-1] == ' ' && strings.IndexByte("?!.,", b[i]) >= 0, false
	})
	// " ' " -> "'"
	b = drop(b, func(b []byte, i int) (bool, bool) {
		ok := b[i] == '\'' && i+1 < len(b) && b[i-1] == ' ' && b[i+1] == ' '
		return ok, ok
	})
	// " 's", " 'm", " 're", " 've"
	return drop(b, func(b []byte, i int) (bool, bool) {
		if b[i-1] != ' ' || b[i] != '\'' || i+1 >= len(b) {
			return false, false
		}
		switch c := b[i+1]; {
		case c == 's' || c == 'm':
			return true, false
		case i+2 < len(b) && (c == 'r' || c == 'v') && b[i+2] == 'e':
			return true, false
		}
		return false, false
	})
}

// Detokenizer turns a stream of generated ids into text, releasing only
// complete UTF-8: a character whose bytes are split across tokens (as with
// byte-fallback or byte-level tokens) is held until its last byte arrives.
type Detokenizer struct {
	t       *Tokenizer
	special bool
	pending []byte
}

// NewDetokenizer starts a stream. Control tokens render as nothing; see
// RenderSpecial.
func (t *Tokenizer) NewDetokenizer() *Detokenizer { return &Detokenizer{t: t} }

// RenderSpecial makes control tokens render as their text.
func (d *Detokenizer) RenderSpecial(on bool) { d.special = on }

// Add appends token id and returns the text that is now complete. Bytes
// that can never become valid UTF-8 come out as U+FFFD.
func (d *Detokenizer) Add(id int32) string {
	d.pending = append(d.pending, d.t.TokenToPiece(id, d.special)...)
	n := len(d.pending) - incompleteTail(d.pending)
	out := strings.ToValidUTF8(string(d.pending[:n]), "\uFFFD")
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out
}

// Flush returns whatever is held back, an unfinished character as U+FFFD,
// and resets the stream.
func (d *Detokenizer) Flush() string {
	out := strings.ToValidUTF8(string(d.pending), "\uFFFD")
	d.pending = d.pending[:0]
	return out
}

// incompleteTail is the length of a trailing UTF-8 sequence that is valid
// so far but unfinished.
func incompleteTail(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		switch c := b[i]; {
		case c < 0x80:
			return 0
		case c >= 0xC0:
			if !utf8.FullRune(b[i:]) {
				return len(b) - i
			}
			return 0
		}
	}
	return 0
}
