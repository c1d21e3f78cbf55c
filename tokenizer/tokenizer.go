// Package tokenizer encodes and decodes text with the vocabulary stored in
// a GGUF file's tokenizer.ggml.* metadata, producing the same token ids as
// llama.cpp. It implements SentencePiece-style BPE (tokenizer.ggml.model
// "llama") and GPT-2 byte-level BPE ("gpt2") with the pre-tokenizers that
// tokenizer.ggml.pre names, plus streaming detokenization and chat
// templates.
//
// A Tokenizer is immutable after FromGGUF and safe for concurrent use.
package tokenizer

import (
	"sync"
)

// Token attributes, as llama.cpp's llama_token_attr bits.
const (
	attrUnknown     uint16 = 1 << 0
	attrUnused      uint16 = 1 << 1
	attrNormal      uint16 = 1 << 2
	attrControl     uint16 = 1 << 3
	attrUserDefined uint16 = 1 << 4
	attrByte        uint16 = 1 << 5
	attrLStrip      uint16 = 1 << 7
	attrRStrip      uint16 = 1 << 8
)

// Model kinds (tokenizer.ggml.model).
const (
	modelSPM = iota // "llama"
	modelBPE        // "gpt2"
)

// Tokenizer is a loaded vocabulary.
type Tokenizer struct {
	model int
	pre   preTokenizer

	texts  []string  // id -> token text
	scores []float32 // id -> SPM score
	attrs  []uint16  // id -> attr bits
	ids    map[string]int32
	pieces [][]byte // id -> bytes the token renders to (special=true)

	bos, eos, eot, eom, unk, pad int32
	addBOS, addEOS               bool
	addSpacePrefix               bool
	eogs                         []int32 // sorted
	eogSet                       map[int32]bool

	special    []int32     // control/user-defined/unknown ids, longest text first
	specialMat specialTrie // finds which of them occur in a text

	bpe   *bpeModel // gpt2 only
	spm   *spmModel // llama only
	state sync.Pool // *encodeState

	chatTemplate string
	compiled     compiledTemplate
}

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.texts) }

// BOS is the beginning-of-sequence id, -1 when the vocab has none.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS is the end-of-sequence id, -1 when the vocab has none.
func (t *Tokenizer) EOS() int32 { return t.eos }

// EOT is the end-of-turn id, -1 when the vocab has none.
func (t *Tokenizer) EOT() int32 { return t.eot }

// PAD is the padding id, -1 when the vocab has none.
func (t *Tokenizer) PAD() int32 { return t.pad }

// AddBOS reports whether Encode with addSpecial prepends BOS.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddEOS reports whether Encode with addSpecial appends EOS.
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// CleanSpaces reports whether llama.cpp tidies spaces before punctuation
// when detokenizing (see Detokenize).
func (t *Tokenizer) CleanSpaces() bool { return t.pre.cleanSpaces }

// IsEOG reports whether id ends generation (EOS, EOT, EOM and the
// turn-ending tokens llama.cpp recognises by their text).
func (t *Tokenizer) IsEOG(id int32) bool { return t.eogSet[id] }

// EOGs returns the end-of-generation ids in ascending order.
func (t *Tokenizer) EOGs() []int32 { return append([]int32(nil), t.eogs...) }

// TokenText is the raw vocabulary string of id ("" when out of range).
func (t *Tokenizer) TokenText(id int32) string {
	if id < 0 || int(id) >= len(t.texts) {
		return ""
	}
	return t.texts[id]
}

// IsControl reports whether id is a control token (rendered only when
// special text is asked for).
func (t *Tokenizer) IsControl(id int32) bool {
	return id >= 0 && int(id) < len(t.attrs) && t.attrs[id]&attrControl != 0
}

// Encode turns text into token ids as llama_tokenize(text, addSpecial,
// parseSpecial) does. addSpecial adds BOS/EOS as the vocab asks;
// parseSpecial makes control-token text in the input (e.g.
// "<|eot_id|>") become that token instead of being spelled out.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) ([]int32, error) {
	st := t.getState()
	defer t.state.Put(st)

	var frags []fragment
	if text != "" {
		frags = t.partition(text, parseSpecial, st)
	}
	out := make([]int32, 0, len(text)/3+2)
	if addSpecial && t.addBOS {
		out = append(out, t.bos)
	}
	var err error
	switch t.model {
	case modelSPM:
		out, err = t.encodeSPM(frags, text, out, st)
	case modelBPE:
		out = t.encodeBPE(frags, text, out, st)
	}
	if err != nil {
		return nil, err
	}
	if addSpecial && t.addEOS {
		out = append(out, t.eos)
	}
	return out, nil
}

func (t *Tokenizer) encodeSPM(frags []fragment, text string, out []int32, st *encodeState) ([]int32, error) {
	prevSpecial := true // the dummy prefix goes before the first text
	var err error
	for _, f := range frags {
		if f.tok >= 0 {
			out = append(out, f.tok)
			prevSpecial = true
			continue
		}
		out, err = t.spm.encode(st, text[f.lo:f.hi], t.addSpacePrefix && prevSpecial, out)
		if err != nil {
			return nil, err
		}
		prevSpecial = false
	}
	return out, nil
}

func (t *Tokenizer) encodeBPE(frags []fragment, text string, out []int32, st *encodeState) []int32 {
	for _, f := range frags {
		if f.tok >= 0 {
			out = append(out, f.tok)
			continue
		}
		out = t.bpe.encode(st, t.pre.passes, text[f.lo:f.hi], out)
	}
	return out
}

func (t *Tokenizer) getState() *encodeState {
	if st, ok := t.state.Get().(*encodeState); ok {
		return st
	}
	return &encodeState{cache: make(map[string][]int32)}
}
