package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// templateTokenizer is a tokenizer that carries only a chat template and
// its BOS and EOS texts, for the testdata templates.
func templateTokenizer(src, bos, eos string) *Tokenizer {
	return &Tokenizer{texts: []string{bos, eos}, bos: 0, eos: 1, chatTemplate: src}
}

func (c chatCase) tokenizer(t *testing.T) *Tokenizer {
	if c.vocab != "" {
		return loadVocab(t, c.vocab)
	}
	src, err := os.ReadFile(filepath.Join("testdata", c.file))
	if err != nil {
		t.Fatal(err)
	}
	return templateTokenizer(string(src), c.bos, c.eos)
}

func newTestRenderer(t *testing.T, opts ChatRendererOptions) *ChatRenderer {
	r := NewChatRenderer(opts)
	t.Cleanup(func() { r.Close() })
	return r
}

// TestChatRendererMatchesInProcess: the child renders every chat case
// exactly as ApplyChatTemplate does in process, errors included.
func TestChatRendererMatchesInProcess(t *testing.T) {
	r := newTestRenderer(t, ChatRendererOptions{})
	for _, c := range chatCases() {
		t.Run(c.name, func(t *testing.T) {
			tok := c.tokenizer(t)
			want, wantErr := tok.ApplyChatTemplate(c.msgs, c.addGen)
			got, err := r.Apply(tok, c.msgs, c.addGen)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Fatalf("child (%q, %v), in process (%q, %v)", got, err, want, wantErr)
			}
			if err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("child error %q, in process %q", err, wantErr)
			}
		})
	}
	if _, err := r.Apply(loadVocab(t, "gpt-2"), []Message{{"user", "hi"}}, true); !errors.Is(err, ErrNoChatTemplate) {
		t.Fatalf("gpt-2 vocab: err = %v, want ErrNoChatTemplate", err)
	}
}

// TestChatRendererSurvivesHostileTemplates: templates that would crash or
// wedge a worker rendering in process fail with an error each, and the
// renderer serves a good template after every one of them.
func TestChatRendererSurvivesHostileTemplates(t *testing.T) {
	// The crashes take up to a second on a loaded machine: a deadline well
	// past that for them, and a short one for the loop that must hit it.
	r := newTestRenderer(t, ChatRendererOptions{Timeout: 20 * time.Second, MemoryLimit: 512 << 20, MaxOutput: 1 << 20})
	short := newTestRenderer(t, ChatRendererOptions{Timeout: time.Second})
	good := templateTokenizer("{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}", "<s>", "</s>")
	msgs := []Message{{"user", "hi"}}
	cases := []struct {
		name, src string
		want      error  // sentinel, or nil for the template's own error
		words     string // in the error
	}{
		{"macro calling itself", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", ErrChatRendererCrashed, "stack"},
		{"a string past the memory cap", "{{ 'x' * 10000000000 }}", ErrChatRendererCrashed, "memory"},
		{"a list past the memory cap", "{{ range(10000000000) | length }}", ErrChatRendererCrashed, "memory"},
		{"a loop past the deadline", "{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}", ErrChatRenderTimeout, "stopped after 1s"},
		{"output past the cap", "{{ 'x' * 2000000 }}", nil, "more than the limit"},
		{"an engine panic", "{{ 'x' * -1 }}", nil, "panicked"},
		{"a syntax error", "{% for %}", nil, "jinja"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			rr := r
			if c.want == ErrChatRenderTimeout {
				rr = short
			}
			out, err := rr.Apply(templateTokenizer(c.src, "<s>", "</s>"), msgs, true)
			if err == nil {
				t.Fatalf("rendered %d bytes, want an error", len(out))
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.words) && !(raceEnabled && errors.Is(err, ErrChatRendererCrashed)) {
				t.Fatalf("err = %v, want it to say %q", err, c.words)
			}
			t.Logf("%v after %v", err, time.Since(start).Round(time.Millisecond))
			if got, err := rr.Apply(good, msgs, true); err != nil || got != "[user]hi" {
				t.Fatalf("good template after it: (%q, %v)", got, err)
			}
		})
	}
}

// TestChatRendererConcurrentAndClosed: concurrent renders each get their
// own answer; after Close, Apply fails with ErrChatRendererClosed.
func TestChatRendererConcurrentAndClosed(t *testing.T) {
	r := NewChatRenderer(ChatRendererOptions{})
	tok := templateTokenizer("{{ bos_token }}{{ messages[0].content }}", "<s>", "</s>")
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			want := strings.Repeat("y", i)
			got, err := r.Apply(tok, []Message{{"user", want}}, false)
			if err == nil && got != "<s>"+want {
				err = errors.New("got " + got)
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	if _, err := r.Apply(tok, nil, false); !errors.Is(err, ErrChatRendererClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestApplyChatTemplateRecoversPanics: in process, an engine panic is an
// error too.
func TestApplyChatTemplateRecoversPanics(t *testing.T) {
	_, err := templateTokenizer("{{ 'x' * -1 }}", "", "").ApplyChatTemplate(nil, false)
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("err = %v, want the recovered panic", err)
	}
}

// BenchmarkChatRender is the sandbox's cost: the Llama 3 template of the
// llama-bpe vocab over a three-turn chat, rendered in process and through
// the child (one pipe round trip each).
func BenchmarkChatRender(b *testing.B) {
	tok := loadVocab(b, "llama-bpe")
	msgs := []Message{{"system", "You are a helpful assistant."}, {"user", "What is the capital of France?"},
		{"assistant", "Paris."}, {"user", strings.Repeat("And of Germany? ", 20)}}
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			if _, err := tok.ApplyChatTemplate(msgs, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("child", func(b *testing.B) {
		r := NewChatRenderer(ChatRendererOptions{})
		defer r.Close()
		if _, err := r.Apply(tok, msgs, true); err != nil { // starts the child
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := r.Apply(tok, msgs, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
