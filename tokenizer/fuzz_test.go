package tokenizer

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orcd/orcd/gguf"
)

// fuzzRoundTrip checks Decode(Encode(x)) == x for valid UTF-8 x, with
// llama.cpp's vectors as the seed corpus. Decoding renders special text:
// BPE merges can spell a token that llama.cpp marks control (Qwen's
// "</s>"), and its text is what the input held. Where llama.cpp
// normalises, the comparison does too: byte-level BPE sees U+FFFD for each
// invalid byte; SentencePiece escapes spaces as U+2581, so a U+2581 in the
// input decodes as a space, and one whose bytes an invalid lead byte
// swallowed stays U+2581.
func fuzzRoundTrip(f *testing.F, name string) {
	tok := loadVocab(f, name)
	for _, v := range readVectors(f, name) {
		f.Add(v.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ids, err := tok.Encode(text, false, false)
		if err != nil {
			t.Fatalf("Encode(%q): %v", text, err)
		}
		for _, id := range ids {
			if id < 0 || int(id) >= tok.VocabSize() {
				t.Fatalf("Encode(%q) gave id %d outside the vocab", text, id)
			}
		}
		want := text
		if tok.model == modelBPE && !utf8.ValidString(text) {
			var st cpText
			st.decode(text)
			want = st.s
		}
		got := string(tok.Decode(ids, true))
		if tok.model == modelSPM {
			got, want = strings.ReplaceAll(got, "▁", " "), strings.ReplaceAll(want, "▁", " ")
		}
		if got != want {
			t.Fatalf("round trip of %q: got %q (ids %v)", text, got, ids)
		}
		// Streaming gives the same text, only complete characters at a time.
		d := tok.NewDetokenizer()
		d.RenderSpecial(true)
		var streamed []byte
		for _, id := range ids {
			streamed = append(streamed, d.Add(id)...)
		}
		streamed = append(streamed, d.Flush()...)
		full := tok.Decode(ids, true)
		if tok.addSpacePrefix && len(ids) > 0 && bytes.HasPrefix(tok.TokenToPiece(ids[0], true), []byte(" ")) {
			full = append([]byte(" "), full...)
		}
		if utf8.Valid(full) && !bytes.Equal(streamed, full) {
			t.Fatalf("stream of %q: %q, want %q", text, streamed, full)
		}
	})
}

func FuzzRoundTripLlamaSPM(f *testing.F)      { fuzzRoundTrip(f, "llama-spm") }
func FuzzRoundTripPhi3(f *testing.F)          { fuzzRoundTrip(f, "phi-3") }
func FuzzRoundTripGPT2(f *testing.F)          { fuzzRoundTrip(f, "gpt-2") }
func FuzzRoundTripDeepseekCoder(f *testing.F) { fuzzRoundTrip(f, "deepseek-coder") }
func FuzzRoundTripDeepseekLLM(f *testing.F)   { fuzzRoundTrip(f, "deepseek-llm") }
func FuzzRoundTripLlamaBPE(f *testing.F)      { fuzzRoundTrip(f, "llama-bpe") }
func FuzzRoundTripQwen2(f *testing.F)         { fuzzRoundTrip(f, "qwen2") }

// FuzzFromGGUF feeds arbitrary GGUF bytes to FromGGUF and encodes with
// whatever loads: bad metadata must give an error, never a panic.
func FuzzFromGGUF(f *testing.F) {
	var buf bytes.Buffer
	for _, meta := range [][]gguf.KV{
		{{Key: kModel, Value: gguf.MustValue("llama")}, {Key: kTokens, Value: gguf.MustValue([]string{"<unk>", "<s>", "</s>", "▁a", "a", "<0x61>"})},
			{Key: kScores, Value: gguf.MustValue([]float32{0, 0, 0, -1, -2, -3})}, {Key: kTypes, Value: gguf.MustValue([]int32{2, 3, 3, 1, 1, 6})}},
		{{Key: kModel, Value: gguf.MustValue("gpt2")}, {Key: kPre, Value: gguf.MustValue("qwen2")},
			{Key: kTokens, Value: gguf.MustValue([]string{"a", "b", "ab", "Ġ", "<|im_end|>"})},
			{Key: kMerges, Value: gguf.MustValue([]string{"a b", "Ġ ab", "x"})}, {Key: kTypes, Value: gguf.MustValue([]int32{1, 1, 1, 1, 4})}},
	} {
		buf.Reset()
		if err := gguf.Write(&buf, meta, nil); err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Clone(buf.Bytes()), "ab a<|im_end|>b")
	}
	f.Fuzz(func(t *testing.T, file []byte, text string) {
		gf, err := gguf.NewFileBytes(file)
		if err != nil {
			return
		}
		tok, err := FromGGUF(gf)
		if err != nil {
			return
		}
		ids, err := tok.Encode(text, true, true)
		if err != nil {
			return
		}
		tok.Decode(ids, true)
		_, _ = tok.ApplyChatTemplate([]Message{{"user", text}}, true)
	})
}
