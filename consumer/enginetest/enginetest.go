// Package enginetest provides a scripted engine.Engine for testing the NATS
// side without loading a model. Its output is a pure function of the
// request, so tests can check every event.
package enginetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/orcd/orcd/engine"
)

// Prompts that script a failure.
const (
	PromptTransient = "FAIL_TRANSIENT" // every attempt fails with a transient error
	PromptInvalid   = "FAIL_INVALID"   // fails with engine.ErrInvalidRequest
	PromptHang      = "HANG"           // blocks, deaf to ctx, until Unhang: a wedged forward pass
	PromptOOM       = "FAIL_OOM"       // fails with engine.ErrOutOfMemory, as a GPU backend would
)

// Engine generates MaxTokens tokens (Default when 0): token i has id 100+i
// and text " t<i>". It sleeps Delay before each token and honours ctx
// between tokens like the real engine.
type Engine struct {
	Delay   time.Duration
	Default int // tokens when MaxTokens is 0, default 8
	NSlots  int // default 2
	Ctx     int // context length, default 512

	once  sync.Once
	slots chan struct{}

	mu     sync.Mutex
	calls  map[string][]time.Time // when Generate ran, by prompt
	health error
	hang   chan struct{} // closed by Unhang
}

// Unhang releases every PromptHang generation, now and later.
func (e *Engine) Unhang() {
	e.init()
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.hang:
	default:
		close(e.hang)
	}
}

// SetHealth makes Health return err (nil: healthy).
func (e *Engine) SetHealth(err error) {
	e.mu.Lock()
	e.health = err
	e.mu.Unlock()
}

// TokenText is the text of token i.
func TokenText(i int) string { return fmt.Sprintf(" t%d", i) }

// Text is the whole text of an n-token generation.
func Text(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(TokenText(i))
	}
	return b.String()
}

func (e *Engine) init() {
	e.once.Do(func() {
		if e.NSlots <= 0 {
			e.NSlots = 2
		}
		if e.Ctx <= 0 {
			e.Ctx = 512
		}
		if e.Default <= 0 {
			e.Default = 8
		}
		e.slots = make(chan struct{}, e.NSlots)
		e.calls = map[string][]time.Time{}
		e.hang = make(chan struct{})
	})
}

// Calls is how many times Generate ran for prompt.
func (e *Engine) Calls(prompt string) int {
	e.init()
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls[prompt])
}

// CallTimes is when each Generate call for prompt began (the engine's own
// clock, so redelivery gaps are measured where JetStream keeps them, not
// where a client happens to receive events).
func (e *Engine) CallTimes(prompt string) []time.Time {
	e.init()
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Time(nil), e.calls[prompt]...)
}

// Generate implements engine.Engine.
func (e *Engine) Generate(ctx context.Context, req *engine.Request, emit func(engine.Token) error) (*engine.Result, error) {
	e.init()
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return &engine.Result{StopReason: engine.StopCancelled}, nil
	}
	defer func() { <-e.slots }()
	e.mu.Lock()
	e.calls[req.Prompt] = append(e.calls[req.Prompt], time.Now())
	e.mu.Unlock()

	switch req.Prompt {
	case PromptTransient:
		return nil, errors.New("enginetest: scripted transient failure")
	case PromptInvalid:
		return nil, fmt.Errorf("%w: scripted", engine.ErrInvalidRequest)
	case PromptOOM:
		return nil, fmt.Errorf("enginetest: scripted KV allocation: %w", engine.ErrOutOfMemory)
	case PromptHang:
		<-e.hang
	}
	n := req.MaxTokens
	if n == 0 {
		n = e.Default
	}
	res := &engine.Result{StopReason: engine.StopMaxTokens, PromptTokens: len(strings.Fields(req.Prompt)) + 1}
	start := time.Now()
	var text strings.Builder
	for i := range n {
		select {
		case <-ctx.Done():
			res.StopReason = engine.StopCancelled
			res.Text, res.Decode = text.String(), time.Since(start)
			return res, nil
		case <-time.After(e.Delay):
		}
		tok := engine.Token{Index: i, ID: int32(100 + i), Text: TokenText(i)}
		if err := emit(tok); err != nil {
			return nil, err
		}
		text.WriteString(tok.Text)
		res.OutputTokens++
	}
	res.Text, res.Decode = text.String(), time.Since(start)
	return res, nil
}

// Info implements engine.Engine.
func (e *Engine) Info() engine.Info {
	e.init()
	return engine.Info{Model: "fake", Arch: "llama", Quant: "F32", Engine: "cpu", Context: e.Ctx, Slots: e.NSlots}
}

// Memory implements engine.Engine.
func (e *Engine) Memory() engine.Memory {
	return engine.Memory{Kind: "ram", Device: "test", Total: 1 << 30, Used: 1 << 20}
}

// Health implements engine.Engine.
func (e *Engine) Health() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.health
}

// Close implements engine.Engine.
func (e *Engine) Close() error { return nil }
