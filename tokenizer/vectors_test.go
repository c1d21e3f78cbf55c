package tokenizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orcd/orcd/gguf"
)

const vocabDir = "../../shared/testdata/vocab"

// vocabNames are the vocab files shipped in ../shared/testdata/vocab.
var vocabNames = []string{"llama-spm", "phi-3", "gpt-2", "deepseek-coder", "deepseek-llm", "llama-bpe", "qwen2"}

var (
	vocabMu    sync.Mutex
	vocabCache = map[string]*Tokenizer{}
)

func vocabPath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(vocabDir, "ggml-vocab-"+name+".gguf")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("missing test vocab %s: %v", p, err)
	}
	return p
}

// loadVocab opens a test vocab once per test binary.
func loadVocab(t testing.TB, name string) *Tokenizer {
	t.Helper()
	vocabMu.Lock()
	defer vocabMu.Unlock()
	if tok, ok := vocabCache[name]; ok {
		return tok
	}
	f, err := gguf.Open(vocabPath(t, name))
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatalf("FromGGUF %s: %v", name, err)
	}
	vocabCache[name] = tok
	return tok
}

type vector struct {
	text string
	ids  []int32
}

// readVectors parses llama.cpp's .inp/.out pair (format in the README
// next to the files).
func readVectors(t testing.TB, name string) []vector {
	t.Helper()
	base := vocabPath(t, name)
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Fatalf("missing test vectors: %v", err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatalf("missing test vectors: %v", err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] != "" {
		t.Fatalf("%s.inp does not end with the separator", base)
	}
	texts = texts[:len(texts)-1]
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%s: %d inputs but %d outputs", base, len(texts), len(lines))
	}
	vs := make([]vector, len(texts))
	for i, line := range lines {
		vs[i].text = texts[i]
		for _, f := range strings.Fields(line) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s.out line %d: %v", base, i+1, err)
			}
			vs[i].ids = append(vs[i].ids, int32(id))
		}
	}
	return vs
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLlamaCppVectors is the correctness bar: every input of every vocab
// encodes to llama.cpp's ids, and decodes back to the input.
func TestLlamaCppVectors(t *testing.T) {
	for _, name := range vocabNames {
		t.Run(name, func(t *testing.T) {
			tok := loadVocab(t, name)
			vs := readVectors(t, name)
			pass := 0
			for i, v := range vs {
				got, err := tok.Encode(v.text, false, false)
				if err != nil {
					t.Errorf("#%d %q: %v", i, v.text, err)
					continue
				}
				if !equalIDs(got, v.ids) {
					t.Errorf("#%d %q:\n got  %v\n want %v", i, v.text, got, v.ids)
					continue
				}
				if back := string(tok.Decode(got, false)); back != v.text {
					t.Errorf("#%d decode: got %q want %q", i, back, v.text)
					continue
				}
				pass++
			}
			t.Logf("%s: %d/%d vectors pass", name, pass, len(vs))
		})
	}
}
