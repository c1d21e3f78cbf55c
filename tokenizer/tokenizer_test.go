package tokenizer

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// synthVocab builds an in-memory vocab-only GGUF from metadata pairs.
func synthVocab(t testing.TB, kv ...any) *gguf.File {
	t.Helper()
	var meta []gguf.KV
	for i := 0; i < len(kv); i += 2 {
		meta = append(meta, gguf.KV{Key: kv[i].(string), Value: gguf.MustValue(kv[i+1])})
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, meta, nil); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.NewFileBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFromGGUFErrors(t *testing.T) {
	toks := []string{"a", "b", "ab"}
	for _, tc := range []struct {
		name string
		kv   []any
		want string
	}{
		{"unknown model", []any{kModel, "bert", kTokens, toks}, `"bert"`},
		{"unknown pre", []any{kModel, "gpt2", kPre, "falcon-x", kTokens, toks, kMerges, []string{"a b"}}, `"falcon-x"`},
		{"no model", []any{kTokens, toks}, kModel},
		{"no tokens", []any{kModel, "llama"}, kTokens},
		{"no merges", []any{kModel, "gpt2", kPre, "gpt-2", kTokens, toks}, "merges"},
		{"duplicate token", []any{kModel, "llama", kTokens, []string{"a", "a"}}, "duplicate token"},
		{"short scores", []any{kModel, "llama", kTokens, toks, kScores, []float32{1}}, kScores},
		{"short types", []any{kModel, "llama", kTokens, toks, kTypes, []int32{1}}, kTypes},
		{"add_eos without eos", []any{kModel, "gpt2", kPre, "gpt-2", kTokens, toks, kMerges, []string{"a b"}, kAddEOS, true}, kAddEOS},
	} {
		_, err := FromGGUF(synthVocab(t, tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %s", tc.name, err, tc.want)
		}
	}
	_, err := FromGGUF(synthVocab(t, kModel, "gpt2", kPre, "nope", kTokens, toks, kMerges, []string{"a b"}))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown pre: %v does not wrap ErrUnsupported", err)
	}
}

// TestSpecialIDs pins BOS/EOS/EOT, add_bos and the EOG set of each vocab to
// what llama.cpp derives from the same metadata.
func TestSpecialIDs(t *testing.T) {
	for _, tc := range []struct {
		name          string
		bos, eos, eot int32
		addBOS        bool
		eog           []int32
	}{
		{"llama-spm", 1, 2, -1, true, []int32{2}},
		{"phi-3", 1, 32000, 32007, true, []int32{2, 32000, 32007}},
		{"gpt-2", 50256, 50256, 50256, false, []int32{50256}},
		{"deepseek-coder", 32013, 32014, 32014, true, []int32{32014}},
		{"deepseek-llm", 100000, 100001, 100001, true, []int32{100001}},
		{"llama-bpe", 128000, 128001, 128009, true, []int32{128001, 128009}},
		// Qwen: <|endoftext|>, <|im_end|>, the FIM pad/repo/file-sep tokens,
		// and "</s>", which llama.cpp's EOG text list now includes.
		{"qwen2", 151643, 151645, 151645, false, []int32{128247, 151643, 151645, 151662, 151663, 151664}},
	} {
		tok := loadVocab(t, tc.name)
		if tok.BOS() != tc.bos || tok.EOS() != tc.eos || tok.EOT() != tc.eot || tok.AddBOS() != tc.addBOS {
			t.Errorf("%s: bos %d eos %d eot %d addBOS %v, want %d %d %d %v", tc.name,
				tok.BOS(), tok.EOS(), tok.EOT(), tok.AddBOS(), tc.bos, tc.eos, tc.eot, tc.addBOS)
		}
		if !slices.Equal(tok.EOGs(), tc.eog) {
			t.Errorf("%s: EOGs %v, want %v", tc.name, tok.EOGs(), tc.eog)
		}
		for _, id := range tc.eog {
			if !tok.IsEOG(id) {
				t.Errorf("%s: IsEOG(%d) false", tc.name, id)
			}
		}
		if tok.IsEOG(tc.bos) && tok.TokenText(tc.bos) != "<|endoftext|>" && tc.bos != tc.eos {
			t.Errorf("%s: BOS counted as EOG", tc.name)
		}
	}
}

func TestParseSpecial(t *testing.T) {
	tok := loadVocab(t, "llama-bpe")
	text := "<|start_header_id|>user<|end_header_id|>"
	got, _ := tok.Encode(text, true, true)
	if want := []int32{128000, 128006, 882, 128007}; !slices.Equal(got, want) {
		t.Errorf("parseSpecial: %v, want %v", got, want)
	}
	// Without parseSpecial the markers are spelled out, never a control id.
	got, _ = tok.Encode(text, false, false)
	for _, id := range got {
		if tok.IsControl(id) {
			t.Errorf("control id %d produced without parseSpecial: %v", id, got)
		}
	}
	if string(tok.Decode(got, false)) != text {
		t.Errorf("spelled-out markers do not decode back: %q", tok.Decode(got, false))
	}
	// User-defined tokens are matched even without parseSpecial (llama.cpp).
	q := loadVocab(t, "qwen2")
	got, _ = q.Encode("<think>x</think>", false, false)
	if len(got) != 3 || q.TokenText(got[0]) != "<think>" || q.TokenText(got[2]) != "</think>" {
		t.Errorf("qwen2 <think>: %v", got)
	}
	// Phi-3 strips whitespace after special tokens (rstrip attribute) and
	// SentencePiece starts the next text with a dummy-prefix space.
	p := loadVocab(t, "phi-3")
	got, _ = p.Encode("<|user|>\nHi<|end|>", true, true)
	if want := []int32{1, 32010, 6324, 32007}; !slices.Equal(got, want) {
		t.Errorf("phi-3: %v, want %v", got, want)
	}
}

func TestAddSpecial(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []int32
	}{
		{"llama-spm", []int32{1}}, {"llama-bpe", []int32{128000}}, {"qwen2", nil}, {"gpt-2", nil},
	} {
		got, err := loadVocab(t, tc.name).Encode("", true, false)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Encode(\"\", addSpecial) = %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestDetokenizerStreaming(t *testing.T) {
	for _, name := range []string{"llama-spm", "llama-bpe"} {
		tok := loadVocab(t, name)
		text := " 🦙 and 😶‍🌫️ ok"
		ids, _ := tok.Encode(text, false, false)
		d := tok.NewDetokenizer()
		var out strings.Builder
		for _, id := range ids {
			s := d.Add(id)
			if !strings.Contains(s, "\uFFFD") && strings.ToValidUTF8(s, "?") != s {
				t.Fatalf("%s: Add released invalid UTF-8 %q", name, s)
			}
			if strings.Contains(s, "\uFFFD") {
				t.Fatalf("%s: Add released a replacement character mid-stream: %q", name, s)
			}
			out.WriteString(s)
		}
		out.WriteString(d.Flush())
		want := text
		if name == "llama-spm" {
			want = " " + text // the dummy prefix is real text to a stream
		}
		if out.String() != want {
			t.Errorf("%s: streamed %q, want %q", name, out.String(), want)
		}
	}
	// A character cut short comes out of Flush as U+FFFD.
	tok := loadVocab(t, "llama-spm")
	d := tok.NewDetokenizer()
	first := tok.ids["<0xF0>"]
	if s := d.Add(first); s != "" {
		t.Errorf("lone lead byte released: %q", s)
	}
	if s := d.Flush(); s != "\uFFFD" {
		t.Errorf("Flush = %q, want U+FFFD", s)
	}
	// Control tokens are silent unless asked for.
	d.RenderSpecial(true)
	if s := d.Add(tok.EOS()); s != "</s>" {
		t.Errorf("RenderSpecial: %q", s)
	}
	if s := tok.NewDetokenizer().Add(tok.EOS()); s != "" {
		t.Errorf("EOS rendered without special: %q", s)
	}
}

func TestDetokenizeCleanSpaces(t *testing.T) {
	tok := loadVocab(t, "llama-bpe")
	ids, _ := tok.Encode("Hello , world ' x 're", false, false)
	if got := string(tok.Decode(ids, false)); got != "Hello , world ' x 're" {
		t.Errorf("Decode changed the text: %q", got)
	}
	if got := string(tok.Detokenize(ids, false, false)); got != "Hello, world'x're" { // " ," then " ' " then " 're"
		t.Errorf("Detokenize = %q", got)
	}
	ids, _ = tok.Encode("Hi", true, false)
	if got := string(tok.Detokenize(ids, false, true)); got != "<|begin_of_text|>Hi" {
		t.Errorf("Detokenize keeping BOS = %q", got)
	}
	if got := string(tok.Detokenize(ids, true, true)); got != "Hi" {
		t.Errorf("Detokenize removing BOS = %q", got)
	}
}

func TestInvalidUTF8(t *testing.T) {
	// SentencePiece byte fallback keeps every byte.
	spm := loadVocab(t, "llama-spm")
	ids, err := spm.Encode("a\xffb\xe2\x82", false, false)
	if err != nil || string(spm.Decode(ids, false)) != "a\xffb\xe2\x82" {
		t.Errorf("spm: %v %q", err, spm.Decode(ids, false))
	}
	// Byte-level BPE sees llama.cpp's U+FFFD for each invalid byte.
	bpe := loadVocab(t, "llama-bpe")
	ids, err = bpe.Encode("a\xffb", false, false)
	if err != nil || string(bpe.Decode(ids, false)) != "a\uFFFDb" {
		t.Errorf("bpe: %v %q", err, bpe.Decode(ids, false))
	}
	if bpe.TokenToPiece(-1, true) != nil || bpe.TokenToPiece(1<<30, true) != nil {
		t.Error("out-of-range ids must give nil pieces")
	}
}

// TestSPMWordSplit checks that merging word by word (the fast path) gives
// exactly what merging the whole text at once gives, as llama.cpp does.
func TestSPMWordSplit(t *testing.T) {
	for _, name := range []string{"llama-spm", "phi-3"} {
		tok := loadVocab(t, name)
		if !tok.spm.wordSplit {
			t.Fatalf("%s: expected no token with an inner ▁", name)
		}
		text := genText(mixedWords, 20000, 7) + "  a\n \t  b \xe3\x82 c\xf0 \x80 " + genText(englishWords, 20000, 8)
		split, err := tok.spm.encode(tok.getState(), text, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := tok.spm.encodeRun("▁"+strings.ReplaceAll(text, " ", "▁"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(split, whole) {
			t.Fatalf("%s: word-by-word merge differs from whole-text merge", name)
		}
	}
}

// TestConcurrentEncode shares one Tokenizer between goroutines, as the
// worker does; run under -race it also checks the pooled scratch state.
func TestConcurrentEncode(t *testing.T) {
	tok := loadVocab(t, "qwen2")
	texts := []string{genText(englishWords, 3000, 11), genText(mixedWords, 3000, 12), "<think>x</think> 1234"}
	want := make([][]int32, len(texts))
	for i, s := range texts {
		want[i], _ = tok.Encode(s, true, true)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			var err error
			for r := 0; r < 20 && err == nil; r++ {
				i := (g + r) % len(texts)
				if got, _ := tok.Encode(texts[i], true, true); !slices.Equal(got, want[i]) {
					err = errors.New("concurrent Encode gave different ids")
				}
				if _, cerr := tok.ApplyChatTemplate([]Message{{"user", texts[i]}}, true); cerr != nil {
					err = cerr
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
