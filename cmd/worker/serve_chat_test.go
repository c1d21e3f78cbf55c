package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/tokenizer"
)

// withChatTemplate copies stories260K with tpl as its chat template.
func withChatTemplate(t *testing.T, tpl string) string {
	t.Helper()
	f, err := gguf.Open(sharedFile(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta := append([]gguf.KV(nil), f.Metadata...)
	meta = append(meta, gguf.KV{Key: "tokenizer.chat_template", Value: gguf.MustValue(tpl)})
	path := filepath.Join(t.TempDir(), "stories260K-chat.gguf")
	if err := gguf.WriteFile(path, meta, f.Tensors); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeSurvivesHostileChatTemplate: a model whose chat template calls
// itself without end fails its chat jobs with INVALID_REQUEST (rendering
// in process, the stack overflow would have killed the worker, and every
// worker the job was redelivered to), and the worker goes on serving.
func TestServeSurvivesHostileChatTemplate(t *testing.T) {
	model := withChatTemplate(t, "{% macro turn(n) %}{{ turn(n + 1) }}{% endmacro %}{{ turn(0) }}")
	url, stop := startServe(t, model)
	defer stop()
	for range 2 {
		code, _, errOut := runWorker("submit", "--nats-url", url, "--model", "stories260K-chat",
			"--messages", `[{"role":"user","content":"hi"}]`)
		if code != 1 || !strings.Contains(errOut, "INVALID_REQUEST") || !strings.Contains(errOut, "stack overflow") {
			t.Fatalf("chat job: exit %d, stderr %q", code, errOut)
		}
	}
	code, out, errOut := runWorker("submit", "--nats-url", url, "--model", "stories260K-chat", "--prompt", "Once upon a time",
		"--temperature", "0", "--max-tokens", "8")
	if code != 0 || out == "" {
		t.Fatalf("prompt job after it: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if w := waitWorker(t, url, 1); w.JobsFailed != 2 || !w.Healthy {
		t.Errorf("worker record %+v", w)
	}
}

// TestServeChatTemplateInChild: a well-formed template renders through
// the child: a chat whose template writes the message alone continues
// exactly as the same text sent as a prompt.
func TestServeChatTemplateInChild(t *testing.T) {
	model := withChatTemplate(t, "{% for m in messages %}{{ m.content }}{% endfor %}")
	url, stop := startServe(t, model)
	defer stop()
	code, chat, errOut := runWorker("submit", "--nats-url", url, "--model", "stories260K-chat",
		"--messages", `[{"role":"user","content":"Once upon a time"}]`, "--temperature", "0", "--max-tokens", "16")
	if code != 0 {
		t.Fatalf("chat job: exit %d: %s", code, errOut)
	}
	code, prompt, errOut := runWorker("submit", "--nats-url", url, "--model", "stories260K-chat",
		"--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "16")
	if code != 0 || chat != prompt || len(chat) < 16 {
		t.Fatalf("chat %q, prompt %q (exit %d: %s)", chat, prompt, code, errOut)
	}
}

// TestChatRendererUnavailableIsTransient: when the renderer's child cannot
// start, a chat job fails with a transient error (retried, not refused as
// INVALID_REQUEST): nothing is wrong with the job.
func TestChatRendererUnavailableIsTransient(t *testing.T) {
	saved := chatRenderer
	chatRenderer = tokenizer.NewChatRenderer(tokenizer.ChatRendererOptions{Path: "/nonexistent/worker"})
	defer func() { chatRenderer.Close(); chatRenderer = saved }()
	g, _, err := openGenerator(engineOptions{ModelPath: withChatTemplate(t, "{{ messages[0].content }}"), Threads: 1, Slots: 1, Context: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, err = g.Generate(context.Background(), &engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}, MaxTokens: 2},
		func(engine.Token) error { return nil })
	if !errors.Is(err, engine.ErrTemplateUnavailable) || errors.Is(err, engine.ErrInvalidRequest) || !strings.Contains(err.Error(), "/nonexistent/worker") {
		t.Fatalf("err = %v, want a transient ErrTemplateUnavailable naming the binary", err)
	}
}
