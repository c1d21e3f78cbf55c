package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
)

const testdata = "../../shared/testdata"

// pieceTokenizer is a stand-in vocabulary for these tests: it detokenizes
// a SentencePiece vocab straight from the GGUF token list and cannot
// encode, so every request here passes token ids.
type pieceTokenizer struct {
	pieces [][]byte
	eog    map[int32]bool
}

func newPieceTokenizer(t testing.TB, f *gguf.File) *pieceTokenizer {
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil {
		t.Fatal(err)
	}
	p := &pieceTokenizer{eog: map[int32]bool{2: true}}
	for _, s := range toks {
		if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
			b, _ := strconv.ParseUint(s[3:5], 16, 8)
			p.pieces = append(p.pieces, []byte{byte(b)})
			continue
		}
		if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
			s = "" // control tokens print nothing
		}
		p.pieces = append(p.pieces, []byte(strings.ReplaceAll(s, "\u2581", " ")))
	}
	return p
}

func (p *pieceTokenizer) Encode(string, bool, bool) ([]int32, error) {
	return nil, errors.New("test tokenizer cannot encode")
}
func (p *pieceTokenizer) TokenToPiece(id int32, _ bool) []byte { return p.pieces[id] }
func (p *pieceTokenizer) IsEOG(id int32) bool                  { return p.eog[id] }
func (p *pieceTokenizer) HasChatTemplate() bool                { return false }
func (p *pieceTokenizer) ApplyChatTemplate([]engine.Message, bool) (string, error) {
	return "", engine.ErrNoChatTemplate
}

type storyCase struct {
	Prompt          string  `json:"prompt"`
	PromptTokens    []int32 `json:"prompt_tokens"`
	GeneratedTokens []int32 `json:"generated_tokens"`
	GeneratedText   string  `json:"generated_text"`
}

func storiesGolden(t *testing.T) []storyCase {
	path := filepath.Join(testdata, "golden", "stories260K.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var g struct{ Cases []storyCase }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g.Cases
}

func newStoriesGenerator(t testing.TB, opts cpu.Options) (*engine.Generator, *pieceTokenizer) {
	path := filepath.Join(testdata, "models", "stories260K.gguf")
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := engine.LoadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Context == 0 {
		opts.Context = 512
	}
	b, err := cpu.New(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok := newPieceTokenizer(t, f)
	g := engine.NewGenerator(b, tok, m.Config.NVocab, engine.Info{Model: "stories260K", Engine: "cpu"})
	t.Cleanup(func() { g.Close() })
	return g, tok
}

// collect runs req and returns the result and the emitted tokens.
func collect(t *testing.T, g *engine.Generator, ctx context.Context, req *engine.Request) (*engine.Result, []engine.Token) {
	t.Helper()
	var toks []engine.Token
	res, err := g.Generate(ctx, req, func(tk engine.Token) error {
		if tk.Index != len(toks) {
			t.Errorf("token index %d, want %d", tk.Index, len(toks))
		}
		toks = append(toks, tk)
		return nil
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	var text strings.Builder
	for _, tk := range toks {
		text.WriteString(tk.Text)
	}
	if text.String() != res.Text || res.OutputTokens != len(toks) {
		t.Fatalf("streamed %d tokens %q, result says %d tokens %q", len(toks), text.String(), res.OutputTokens, res.Text)
	}
	return res, toks
}

func ids(toks []engine.Token) []int32 {
	out := make([]int32, len(toks))
	for i, tk := range toks {
		out[i] = tk.ID
	}
	return out
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

func TestGenerateGreedyMatchesLlamaCpp(t *testing.T) {
	g, _ := newStoriesGenerator(t, cpu.Options{Threads: 2})
	for _, c := range storiesGolden(t) {
		res, toks := collect(t, g, context.Background(), &engine.Request{Tokens: c.PromptTokens, MaxTokens: len(c.GeneratedTokens), IgnoreEOS: true})
		if !equalIDs(ids(toks), c.GeneratedTokens) {
			t.Fatalf("%q: tokens %v\nllama.cpp %v", c.Prompt, ids(toks), c.GeneratedTokens)
		}
		if res.Text != c.GeneratedText || res.StopReason != engine.StopMaxTokens || res.PromptTokens != len(c.PromptTokens) {
			t.Fatalf("%q: %q (%s, %d prompt tokens)\nwant %q", c.Prompt, res.Text, res.StopReason, res.PromptTokens, c.GeneratedText)
		}
	}
}

func TestGenerateConcurrentSlots(t *testing.T) {
	g, _ := newStoriesGenerator(t, cpu.Options{Threads: 2, MaxSeqs: 2})
	cases := storiesGolden(t)
	var wg sync.WaitGroup
	for _, c := range cases[:4] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := g.Generate(context.Background(), &engine.Request{Tokens: c.PromptTokens, MaxTokens: 48, IgnoreEOS: true},
				func(engine.Token) error { return nil })
			if err != nil || res.Text != c.GeneratedText {
				t.Errorf("%q concurrently: %v %q", c.Prompt, err, res.Text)
			}
		}()
	}
	wg.Wait()
}

func TestGenerateStops(t *testing.T) {
	g, tok := newStoriesGenerator(t, cpu.Options{Threads: 2, Context: 16})
	c := storiesGolden(t)[0] // ", there was a little girl named Lily. ..."
	ctx := context.Background()

	res, _ := collect(t, g, ctx, &engine.Request{Tokens: c.PromptTokens, Stop: []string{"Lily"}, IgnoreEOS: true})
	if res.StopReason != engine.StopSequence || res.Text != ", there was a little girl named " {
		t.Fatalf("stop string: %s %q", res.StopReason, res.Text)
	}

	// The 16-position context holds 5 prompt + 11 fed tokens; the 12th
	// generated token cannot be fed and ends the run.
	res, toks := collect(t, g, ctx, &engine.Request{Tokens: c.PromptTokens, IgnoreEOS: true})
	if res.StopReason != engine.StopContextLength || len(toks) != 16-len(c.PromptTokens)+1 {
		t.Fatalf("context end: %s after %d tokens", res.StopReason, len(toks))
	}

	tok.eog[c.GeneratedTokens[4]] = true
	defer delete(tok.eog, c.GeneratedTokens[4])
	res, toks = collect(t, g, ctx, &engine.Request{Tokens: c.PromptTokens})
	if res.StopReason != engine.StopEOS || len(toks) != 5 {
		t.Fatalf("eog: %s after %d tokens", res.StopReason, len(toks))
	}
	res, toks = collect(t, g, ctx, &engine.Request{Tokens: c.PromptTokens, MaxTokens: 7, IgnoreEOS: true})
	if res.StopReason != engine.StopMaxTokens || len(toks) != 7 {
		t.Fatalf("ignore eos: %s after %d tokens", res.StopReason, len(toks))
	}
}

func TestGenerateCancel(t *testing.T) {
	g, _ := newStoriesGenerator(t, cpu.Options{Threads: 2})
	c := storiesGolden(t)[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	res, err := g.Generate(ctx, &engine.Request{Tokens: c.PromptTokens, IgnoreEOS: true}, func(engine.Token) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if err != nil || res.StopReason != engine.StopCancelled || res.OutputTokens != 3 || res.PromptTokens != len(c.PromptTokens) {
		t.Fatalf("cancel: %v %+v", err, res)
	}
}

func TestGenerateBadRequests(t *testing.T) {
	g, _ := newStoriesGenerator(t, cpu.Options{Threads: 2, Context: 4})
	ctx := context.Background()
	emit := func(engine.Token) error { return nil }
	_, err := g.Generate(ctx, &engine.Request{Tokens: []int32{1, 2, 3, 4, 5}}, emit)
	if !errors.Is(err, engine.ErrInvalidRequest) || !errors.Is(err, engine.ErrPromptTooLong) {
		t.Fatalf("long prompt: %v", err)
	}
	for _, req := range []*engine.Request{
		{},
		{Tokens: []int32{1, 600}},
		{Tokens: []int32{1}, MaxTokens: -1},
		{Tokens: []int32{1}, Sampling: engine.SamplingParams{TopP: 2}},
	} {
		if _, err := g.Generate(ctx, req, emit); !errors.Is(err, engine.ErrInvalidRequest) {
			t.Errorf("%+v: %v, want ErrInvalidRequest", req, err)
		}
	}
	_, err = g.Generate(ctx, &engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}}, emit)
	if !errors.Is(err, engine.ErrNoChatTemplate) || !errors.Is(err, engine.ErrInvalidRequest) {
		t.Fatalf("chat without template: %v", err)
	}
	boom := errors.New("client gone")
	if _, err := g.Generate(ctx, &engine.Request{Tokens: []int32{1}}, func(engine.Token) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("emit error: %v", err)
	}
}

// BenchmarkGenerateGreedy measures a whole request through the Generator
// (prefill, sampling, text streaming), to compare with the backend's own
// decode benchmark in engine/cpu: the difference is the per-token cost
// of the generation loop.
func BenchmarkGenerateGreedy(b *testing.B) {
	g, _ := newStoriesGenerator(b, cpu.Options{Threads: 2})
	req := &engine.Request{Tokens: []int32{1, 403, 407, 261, 378}, MaxTokens: 64, IgnoreEOS: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Generate(context.Background(), req, func(engine.Token) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "tok/s")
}
