package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ardanlabs/jinja"
)

// chatCase is a template, a conversation and the render written out by
// hand from the template's semantics.
type chatCase struct {
	name     string
	vocab    string // vocab whose own template is used, or
	file     string // testdata template (common shapes of public models)
	bos, eos string // token texts for file templates
	msgs     []Message
	addGen   bool
	want     string // exact render, or
	wantErr  string // substring of the expected error
}

func chatCases() []chatCase {
	sys := Message{"system", "You are helpful."}
	date := time.Now().Format("02 Jan 2006")
	return []chatCase{
		{name: "llama-bpe vocab", vocab: "llama-bpe", msgs: []Message{sys, {"user", " Hi there \n"}}, addGen: true,
			want: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>" +
				"<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{name: "phi-3 vocab", vocab: "phi-3", msgs: []Message{sys, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}}, addGen: true,
			want: "<s><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
		{name: "qwen2 vocab (Qwen3 template)", vocab: "qwen2", msgs: []Message{{"system", "S"}, {"user", "U1"}, {"assistant", "A1"}, {"user", "U2"}}, addGen: true,
			want: "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n" +
				"<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n"},
		{name: "qwen2 vocab, reasoning split", vocab: "qwen2", msgs: []Message{{"user", "U"}, {"assistant", "<think>\nR\n</think>\n\nA"}},
			want: "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\nR\n</think>\n\nA<|im_end|>\n"},
		{name: "llama 3.1 shape", file: "llama31.jinja", bos: "<|begin_of_text|>", msgs: []Message{{"system", " S "}, {"user", "U"}}, addGen: true,
			want: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: " + date +
				"\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{name: "llama 3.1 shape, bad role", file: "llama31.jinja", msgs: []Message{{"robot", "x"}}, wantErr: "unknown role robot"},
		{name: "qwen2.5 shape, tool turns", file: "qwen25.jinja", msgs: []Message{{"user", "U"}, {"assistant", "A"}, {"tool", "R1"}, {"tool", "R2"}}, addGen: true,
			want: "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
				"<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n" +
				"<|im_start|>user\n<tool_response>\nR1\n</tool_response>\n<tool_response>\nR2\n</tool_response><|im_end|>\n<|im_start|>assistant\n"},
		{name: "mistral shape", file: "mistral.jinja", bos: "<s>", eos: "</s>", msgs: []Message{{"user", "U1"}, {"assistant", "A1"}, {"user", "U2"}},
			want: "<s>[INST] U1 [/INST]A1</s>[INST] U2 [/INST]"},
		{name: "mistral shape, roles must alternate", file: "mistral.jinja", msgs: []Message{{"assistant", "A"}},
			wantErr: "Conversation roles must alternate"},
		{name: "phi-3 mini shape", file: "phi3-mini.jinja", eos: "<|endoftext|>", msgs: []Message{{"system", "S"}, {"user", "U"}},
			want: "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|endoftext|>"},
		{name: "phi-3 mini shape, generation prompt", file: "phi3-mini.jinja", msgs: []Message{{"user", "U"}}, addGen: true,
			want: "<|user|>\nU<|end|>\n<|assistant|>\n"},
	}
}

func (c chatCase) render(t *testing.T) (string, error) {
	if c.vocab != "" {
		return loadVocab(t, c.vocab).ApplyChatTemplate(c.msgs, c.addGen)
	}
	src, err := os.ReadFile(filepath.Join("testdata", c.file))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := jinja.Compile(string(src))
	if err != nil {
		return "", err
	}
	return renderChat(tpl, c.msgs, c.addGen, c.bos, c.eos)
}

func TestChatTemplates(t *testing.T) {
	for _, c := range chatCases() {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.render(t)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got (%q, %v), want error containing %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("render mismatch\n got  %q\n want %q", got, c.want)
			}
		})
	}
}

func TestNoChatTemplate(t *testing.T) {
	tok := loadVocab(t, "gpt-2")
	if tok.HasChatTemplate() {
		t.Fatal("gpt-2 vocab has no template")
	}
	_, err := tok.ApplyChatTemplate([]Message{{"user", "hi"}}, true)
	if !errors.Is(err, ErrNoChatTemplate) {
		t.Fatalf("err = %v, want ErrNoChatTemplate", err)
	}
	// A raw prompt still works.
	if ids, err := tok.Encode("hi", true, false); err != nil || len(ids) == 0 {
		t.Fatalf("Encode: %v %v", ids, err)
	}
}

// TestChatPromptTokens checks the path the engine takes: render, then
// encode with special-token parsing, so turn markers become single tokens.
func TestChatPromptTokens(t *testing.T) {
	tok := loadVocab(t, "llama-bpe")
	text, err := tok.ApplyChatTemplate([]Message{{"user", "Hello"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode(text, false, true)
	if err != nil {
		t.Fatal(err)
	}
	// <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n
	want := []int32{128000, 128006, 882, 128007, 271, 9906, 128009, 128006, 78191, 128007, 271}
	if !equalIDs(ids, want) {
		t.Fatalf("got %v\nwant %v", ids, want)
	}
}
