package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

type goldenPrompts struct {
	ModelFile string `json:"model_file"`
	Cases     []struct {
		Prompt          string  `json:"prompt"`
		PromptTokens    []int32 `json:"prompt_tokens"`
		GeneratedTokens []int32 `json:"generated_tokens"`
		GeneratedText   string  `json:"generated_text"`
	} `json:"cases"`
}

func readGoldenPrompts(t *testing.T, name string) goldenPrompts {
	t.Helper()
	b, err := os.ReadFile(sharedFile(t, "golden/"+name))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenPrompts
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return g
}

// TestGoldenPromptTokens checks the engine's prompt tokenization (BOS as
// the vocab says, special tokens parsed) against llama.cpp's for every
// golden model.
func TestGoldenPromptTokens(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(sharedFile(t, "golden/README.md")), "*.json"))
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range files {
		g := readGoldenPrompts(t, filepath.Base(path))
		f, err := gguf.Open(sharedFile(t, "models/"+g.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := loadTokenizer(f)
		if err != nil {
			t.Fatalf("%s: %v", g.ModelFile, err)
		}
		for _, c := range g.Cases {
			got, err := tok.Encode(c.Prompt, true, true)
			if err != nil || !equalTokens(got, c.PromptTokens) {
				t.Errorf("%s %q: %v %v, llama.cpp %v", g.ModelFile, c.Prompt, got, err, c.PromptTokens)
			}
		}
		f.Close()
	}
}

func equalTokens(a, b []int32) bool {
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

// TestGenerateCommandGreedy is the new user's first command: greedy text
// from stories260K must be llama.cpp's, streamed after the prompt.
func TestGenerateCommandGreedy(t *testing.T) {
	g := readGoldenPrompts(t, "stories260K.json")
	model := sharedFile(t, "models/stories260K.gguf")
	for _, c := range g.Cases[:2] {
		code, out, errOut := runWorker("generate", "--model", model, "--prompt", c.Prompt,
			"--temperature", "0", "--max-tokens", "48", "--threads", "2")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if want := c.Prompt + c.GeneratedText + "\n"; out != want {
			t.Fatalf("stdout %q\nwant   %q", out, want)
		}
	}
	c := g.Cases[0]
	code, out, errOut := runWorker("generate", "--model", model, "--prompt", c.Prompt,
		"--temperature", "0", "--max-tokens", "10", "--json", "--ignore-eos")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res generateOutput
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if !equalTokens(res.PromptTokens, c.PromptTokens) || !equalTokens(res.Tokens, c.GeneratedTokens[:10]) ||
		!strings.HasPrefix(c.GeneratedText, res.Text) || res.Text == "" || res.StopReason != "max_tokens" ||
		res.Timings.PrefillTokS <= 0 || res.Timings.DecodeTokS <= 0 {
		t.Fatalf("--json: %+v", res)
	}
}

func TestGenerateCommandSampledIsSeeded(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	run := func(seed string) []int32 {
		code, out, errOut := runWorker("generate", "--model", model, "--prompt", "Lily wanted to", "--seed", seed,
			"--temperature", "1", "--max-tokens", "24", "--json")
		var res generateOutput
		if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil {
			t.Fatalf("exit %d %v: %s", code, err, errOut)
		}
		return res.Tokens
	}
	a, b, c := run("42"), run("42"), run("43")
	if !equalTokens(a, b) {
		t.Fatalf("same seed gave %v and %v", a, b)
	}
	if equalTokens(a, c) {
		t.Fatalf("seeds 42 and 43 gave the same tokens %v", a)
	}
}

func TestGenerateCommandErrors(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"generate", "--prompt", "x"}, 2, "required"},
		{[]string{"generate", "--model", model, "--prompt", "x", "--temperature", "-1"}, 1, "temperature"},
		{[]string{"generate", "--model", model, "--prompt", "x", "--engine", "cuda"}, 1, "not available"},
		{[]string{"generate", "--model", "nope.gguf", "--prompt", "x"}, 1, "nope.gguf"},
		{[]string{"generate", "--model", model, "--prompt", strings.Repeat("dog ", 40), "--ctx-size", "16"}, 1, "context"},
	} {
		code, _, errOut := runWorker(c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.msg)
		}
	}
}

func TestOpenEngineServesRequests(t *testing.T) {
	e, err := openEngine(engineOptions{ModelPath: sharedFile(t, "models/tiny-qwen2-q8_0.gguf"), Threads: 2, Slots: 2, Context: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if info := e.Info(); info.Arch != "qwen2" || info.Quant != "Q8_0" || info.Slots != 2 || info.Context != 64 || info.Model != "tiny-qwen2-q8_0" {
		t.Fatalf("info %+v", info)
	}
	res, err := e.Generate(context.Background(), &engine.Request{Prompt: "Hello world! 123", MaxTokens: 5}, func(engine.Token) error { return nil })
	if err != nil || res.OutputTokens == 0 || res.PromptTokens != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	// The GPT-2 vocab of this file has no chat template.
	_, err = e.Generate(context.Background(), &engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}}, func(engine.Token) error { return nil })
	if !errors.Is(err, engine.ErrNoChatTemplate) || !errors.Is(err, engine.ErrInvalidRequest) {
		t.Fatalf("chat without a template: %v", err)
	}
}

// TestChatPromptHasOneBOS renders a chat with tiny-llama3's Llama 3
// template, which writes <|begin_of_text|> itself: the prompt must start
// with exactly one BOS.
func TestChatPromptHasOneBOS(t *testing.T) {
	f, err := gguf.Open(sharedFile(t, "models/tiny-llama3-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, tok, err := newCPUGenerator(f, engineOptions{ModelPath: "tiny-llama3-q8_0.gguf", Threads: 2, Slots: 1, Context: 128})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close() // closes f too; the deferred f.Close is then a no-op
	if !tok.HasChatTemplate() {
		t.Fatal("tiny-llama3 should carry the llama-bpe chat template")
	}
	msgs := []engine.Message{{Role: "user", Content: "Hello"}}
	text, err := tok.ApplyChatTemplate(msgs, true)
	if err != nil || !strings.HasPrefix(text, "<|begin_of_text|>") || !strings.Contains(text, "Hello") {
		t.Fatalf("rendered %q, %v", text, err)
	}
	want, _ := tok.Encode(strings.TrimPrefix(text, "<|begin_of_text|>"), true, true)
	res, err := g.Generate(context.Background(), &engine.Request{Messages: msgs, MaxTokens: 2}, func(engine.Token) error { return nil })
	if err != nil || res.PromptTokens != len(want) || want[0] != 128000 || want[1] == 128000 {
		t.Fatalf("chat: %v, %d prompt tokens, want %d (%v)", err, res.PromptTokens, len(want), want[:3])
	}
}
