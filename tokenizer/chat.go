package tokenizer

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ardanlabs/jinja"
)

// ErrNoChatTemplate is wrapped by ApplyChatTemplate when the GGUF file has
// no tokenizer.chat_template. Raw prompts still work through Encode.
var ErrNoChatTemplate = errors.New("tokenizer: model has no chat template")

// Message is one chat turn. Its fields match engine.Message exactly, so the
// two convert to each other.
type Message struct {
	Role, Content string
}

// compiledTemplate is compiled on first use: most callers never chat.
type compiledTemplate struct {
	once sync.Once
	tpl  *jinja.Template
	err  error
}

// HasChatTemplate reports whether the vocab carries a chat template.
func (t *Tokenizer) HasChatTemplate() bool { return t.chatTemplate != "" }

// ChatTemplate returns the Jinja source of the chat template ("" if none).
func (t *Tokenizer) ChatTemplate() string { return t.chatTemplate }

// ApplyChatTemplate renders msgs with the model's Jinja chat template, the
// way HF transformers' apply_chat_template does: the template sees
// messages, add_generation_prompt, bos_token and eos_token (token texts),
// and the raise_exception and strftime_now functions. A template that
// writes bos_token yields text starting with it; Encode that with
// addSpecial and the caller must drop a doubled BOS (the engine does).
//
// It renders in this process: the engine's panics become errors, but a
// template that recurses without end or allocates without bound still
// takes the process down. A server of untrusted model files renders
// through a ChatRenderer instead.
func (t *Tokenizer) ApplyChatTemplate(msgs []Message, addGenerationPrompt bool) (string, error) {
	if t.chatTemplate == "" {
		return "", ErrNoChatTemplate
	}
	t.compiled.once.Do(func() {
		t.compiled.tpl, t.compiled.err = compileChat(t.chatTemplate)
	})
	if t.compiled.err != nil {
		return "", fmt.Errorf("tokenizer: chat template: %w", t.compiled.err)
	}
	out, err := renderChat(t.compiled.tpl, msgs, addGenerationPrompt, t.TokenText(t.bos), t.TokenText(t.eos))
	if err != nil {
		return "", fmt.Errorf("tokenizer: chat template: %w", err)
	}
	return out, nil
}

// compileChat compiles a template, turning an engine panic into an error.
func compileChat(src string) (tpl *jinja.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			tpl, err = nil, fmt.Errorf("the template engine panicked compiling it: %v", r)
		}
	}()
	return jinja.Compile(src)
}

// renderChat renders a compiled template. The engine panics on some
// inputs (a string times a negative number); that is the template's
// error, not the caller's crash.
func renderChat(tpl *jinja.Template, msgs []Message, addGen bool, bos, eos string) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("the template engine panicked: %v", r)
		}
	}()
	list := make([]any, len(msgs))
	for i, m := range msgs {
		list[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	out, err = tpl.Render(map[string]any{
		"messages":              list,
		"add_generation_prompt": addGen,
		"bos_token":             bos,
		"eos_token":             eos,
	})
	if err != nil {
		return "", err
	}
	return out, nil
}
