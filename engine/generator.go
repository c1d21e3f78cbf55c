package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Tokenizer is what the Generator needs from a vocabulary. The tokenizer
// package implements it (through a small adapter for the message type).
type Tokenizer interface {
	// Encode turns text into ids, adding BOS/EOS as the vocab says when
	// addSpecial, and matching control tokens written in the text when
	// parseSpecial.
	Encode(text string, addSpecial, parseSpecial bool) ([]int32, error)
	// TokenToPiece is the raw bytes a token stands for; control tokens
	// give nothing unless special.
	TokenToPiece(id int32, special bool) []byte
	IsEOG(id int32) bool
	HasChatTemplate() bool
	// ApplyChatTemplate renders msgs. Its errors are the request's (the
	// template refuses the conversation, or fails on it) unless they wrap
	// ErrTemplateUnavailable.
	ApplyChatTemplate(msgs []Message, addGeneration bool) (string, error)
}

// Generator implements Engine on top of a Backend: it tokenizes, and its
// scheduler runs every request's prompt and generated tokens through the
// backend, batched with the other requests (see scheduler).
//
// Each request holds one KV sequence (a slot) from admission to its end;
// up to MaxSeqs requests advance together, one token each per forward
// pass, and further requests wait in arrival order.
type Generator struct {
	b      Backend
	tok    Tokenizer
	info   Info
	nVocab int
	sched  *scheduler
	once   sync.Once
}

var _ Engine = (*Generator)(nil)

// NewGenerator serves requests on b with b.MaxSeqs() slots and the
// default scheduler options. info.Slots and info.Context are filled from b.
func NewGenerator(b Backend, tok Tokenizer, nVocab int, info Info) *Generator {
	return NewGeneratorWith(b, tok, nVocab, info, SchedOptions{})
}

// NewGeneratorWith is NewGenerator with scheduler options. The Generator
// owns b from here on: its scheduler goroutine is the only caller of
// Forward and ClearSeq.
func NewGeneratorWith(b Backend, tok Tokenizer, nVocab int, info Info, opts SchedOptions) *Generator {
	info.Slots, info.Context = b.MaxSeqs(), b.Context()
	return &Generator{b: b, tok: tok, info: info, nVocab: nVocab,
		sched: newScheduler(b, tok, nVocab, opts)}
}

func (g *Generator) Info() Info    { return g.info }
func (g *Generator) Health() error { return g.b.Health() }

// Memory is the backend's report as the scheduler last sampled it (at
// most a quarter second old while busy), with the KV use and batch size of
// its last step. It never waits for a forward pass.
func (g *Generator) Memory() Memory {
	m := *g.sched.mem.Load()
	m.KVUsed = int(g.sched.kvUsed.Load())
	m.KVCached = int(g.sched.kvCached.Load())
	if m.KVTotal == 0 {
		m.KVTotal = g.b.MaxSeqs() * g.b.Context()
	}
	m.BatchSeqs = int(g.sched.batchSeqs.Load())
	m.BatchTokens = int(g.sched.batchTokens.Load())
	return m
}

// Close refuses new requests and those still waiting for a slot, waits
// for running generations to end, then closes the backend.
func (g *Generator) Close() error {
	var err error
	g.once.Do(func() {
		g.sched.close()
		err = g.b.Close()
	})
	return err
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Generate implements Engine.
func (g *Generator) Generate(ctx context.Context, req *Request, emit func(Token) error) (*Result, error) {
	if err := g.validate(req); err != nil {
		return nil, err
	}
	prompt, err := g.promptTokens(req)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return &Result{StopReason: StopCancelled, PromptTokens: len(prompt)}, nil
	}
	q := newSequence(req, prompt, g.b.Context())
	if err := g.sched.submit(q); err != nil {
		return nil, err
	}
	return g.stream(ctx, q, emit)
}

// stream hands q's tokens to emit as the scheduler produces them. Result
// counts what was emitted: when ctx is cancelled or emit fails, tokens the
// scheduler sampled after that are dropped, and q leaves the batch at the
// next step.
func (g *Generator) stream(ctx context.Context, q *sequence, emit func(Token) error) (*Result, error) {
	res := &Result{PromptTokens: len(q.prompt)}
	var out []byte
	var first time.Time
	stop := func(reason StopReason) (*Result, error) {
		res.StopReason, res.Text = reason, string(out)
		return res, nil
	}
	cancel := func() (*Result, error) {
		q.cancelled.Store(true)
		g.sched.poke()
		if !first.IsZero() {
			res.Decode = time.Since(first)
		}
		return stop(StopCancelled)
	}
	var evs []seqEvent
	for {
		select {
		case <-ctx.Done():
			return cancel()
		case <-q.events.ready:
		}
		evs = q.events.take(evs)
		for _, e := range evs {
			if e.err != nil {
				q.cancelled.Store(true)
				return nil, e.err
			}
			if e.hasTok {
				if res.OutputTokens == 0 {
					first, res.Prefill, res.PromptCached = time.Now(), e.prefill, e.cached
				}
				res.OutputTokens++
				out = append(out, e.tok.Text...)
				if err := emit(e.tok); err != nil {
					q.cancelled.Store(true)
					g.sched.poke()
					return nil, err
				}
			}
			if e.end != "" {
				res.Decode = e.decode
				return stop(e.end)
			}
			if ctx.Err() != nil {
				return cancel()
			}
		}
	}
}

func (g *Generator) validate(req *Request) error {
	if req.MaxTokens < 0 {
		return invalid("max_tokens %d is negative", req.MaxTokens)
	}
	return ValidateSampling(req.Sampling)
}

// promptTokens tokenizes the request like llama.cpp's tools: BOS as the
// vocab says and control tokens written in the text are parsed.
func (g *Generator) promptTokens(req *Request) ([]int32, error) {
	var toks []int32
	switch {
	case len(req.Tokens) > 0:
		toks = req.Tokens
	case req.Prompt != "":
		var err error
		if toks, err = g.tok.Encode(req.Prompt, true, true); err != nil {
			return nil, invalid("tokenizing prompt: %v", err)
		}
	case len(req.Messages) > 0:
		var err error
		if toks, err = g.chatTokens(req.Messages); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("empty prompt")
	}
	if len(toks) == 0 {
		return nil, invalid("prompt has no tokens")
	}
	for _, t := range toks {
		if t < 0 || int(t) >= g.nVocab {
			return nil, invalid("token id %d outside the vocabulary of %d", t, g.nVocab)
		}
	}
	if len(toks) > g.b.Context() {
		return nil, fmt.Errorf("%w: %w: %d tokens, context holds %d", ErrInvalidRequest, ErrPromptTooLong, len(toks), g.b.Context())
	}
	return toks, nil
}

// chatTokens renders messages with the model's template. Templates write
// the BOS text themselves, so a BOS that Encode also adds is dropped.
func (g *Generator) chatTokens(msgs []Message) ([]int32, error) {
	if !g.tok.HasChatTemplate() {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, ErrNoChatTemplate)
	}
	text, err := g.tok.ApplyChatTemplate(msgs, true)
	if errors.Is(err, ErrTemplateUnavailable) {
		return nil, fmt.Errorf("rendering chat template: %w", err)
	}
	if err != nil {
		return nil, invalid("rendering chat template: %v", err)
	}
	toks, err := g.tok.Encode(text, true, true)
	if err != nil {
		return nil, invalid("tokenizing chat: %v", err)
	}
	bos, _ := g.tok.Encode("", true, false)
	if len(bos) == 1 && len(toks) >= 2 && toks[0] == bos[0] && toks[1] == bos[0] {
		toks = toks[1:]
	}
	return toks, nil
}
