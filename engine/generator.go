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
	ApplyChatTemplate(msgs []Message, addGeneration bool) (string, error)
}

// Generator implements Engine on top of a Backend: it tokenizes, runs the
// prompt through the backend in one batch, then samples and feeds back one
// token at a time until a stop condition.
//
// Each concurrent Generate owns one KV sequence (a slot) for its whole
// life; forward passes of different slots are serialized by a lock, so
// requests interleave token by token.
type Generator struct {
	b      Backend
	tok    Tokenizer
	info   Info
	nVocab int
	slots  chan int32 // free sequence ids
	fwd    sync.Mutex // one Forward at a time: a Backend is single-threaded
	closed chan struct{}
	once   sync.Once
}

var _ Engine = (*Generator)(nil)

// NewGenerator serves requests on b with b.MaxSeqs() slots. info.Slots and
// info.Context are filled from b.
func NewGenerator(b Backend, tok Tokenizer, nVocab int, info Info) *Generator {
	info.Slots, info.Context = b.MaxSeqs(), b.Context()
	g := &Generator{b: b, tok: tok, info: info, nVocab: nVocab,
		slots: make(chan int32, b.MaxSeqs()), closed: make(chan struct{})}
	for s := 0; s < b.MaxSeqs(); s++ {
		g.slots <- int32(s)
	}
	return g
}

func (g *Generator) Info() Info     { return g.info }
func (g *Generator) Memory() Memory { return g.b.Memory() }
func (g *Generator) Health() error  { return g.b.Health() }

// Close waits for running generations to give their slots back, then
// closes the backend.
func (g *Generator) Close() error {
	var err error
	g.once.Do(func() {
		close(g.closed)
		for i := 0; i < cap(g.slots); i++ {
			<-g.slots
		}
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
	var seq int32
	select {
	case <-g.closed:
		return nil, errors.New("engine: closed")
	case <-ctx.Done():
		return &Result{StopReason: StopCancelled, PromptTokens: len(prompt)}, nil
	case seq = <-g.slots:
	}
	defer func() { g.slots <- seq }()
	if err := g.b.ClearSeq(seq); err != nil {
		return nil, err
	}
	r := &run{g: g, req: req, seq: seq, emit: emit, res: &Result{PromptTokens: len(prompt)},
		sampler: NewSampler(req.Sampling), text: newTextStream(req.Stop),
		logits: make([]float32, g.nVocab)}
	return r.generate(ctx, prompt)
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

// forward runs one batch under the backend lock.
func (g *Generator) forward(ctx context.Context, b *Batch, logits []float32) error {
	g.fwd.Lock()
	defer g.fwd.Unlock()
	return g.b.Forward(ctx, b, logits)
}

// run is the state of one generation.
type run struct {
	g       *Generator
	req     *Request
	seq     int32
	emit    func(Token) error
	res     *Result
	sampler *Sampler
	text    *textStream
	logits  []float32
	out     []byte // all released text
}

// generate prefills the prompt in one batch, then loops: sample, emit,
// check the stop conditions, feed the token back.
func (r *run) generate(ctx context.Context, prompt []int32) (*Result, error) {
	start := time.Now()
	n := len(prompt)
	batch := &Batch{Tokens: prompt, Pos: make([]int32, n), Seq: make([]int32, n), Logits: make([]bool, n)}
	for i, t := range prompt {
		batch.Pos[i], batch.Seq[i] = int32(i), r.seq
		r.sampler.Accept(t)
	}
	batch.Logits[n-1] = true
	if err := r.g.forward(ctx, batch, r.logits); err != nil {
		return r.fail(ctx, err)
	}
	r.res.Prefill = time.Since(start)
	start = time.Now()
	defer func() { r.res.Decode = time.Since(start) }()

	one := &Batch{Tokens: make([]int32, 1), Pos: make([]int32, 1), Seq: []int32{r.seq}, Logits: []bool{true}}
	for pos := n; ; pos++ {
		if ctx.Err() != nil {
			return r.finish(StopCancelled)
		}
		tok := r.sampler.Sample(r.logits)
		r.sampler.Accept(tok)
		reason, text := r.next(tok, pos+1)
		if err := r.send(tok, text); err != nil {
			return nil, err
		}
		if reason != "" {
			return r.finish(reason)
		}
		one.Tokens[0], one.Pos[0] = tok, int32(pos)
		if err := r.g.forward(ctx, one, r.logits); err != nil {
			return r.fail(ctx, err)
		}
	}
}

// next decides what token tok releases and whether it ends the run; used
// is the number of positions the sequence would hold after feeding it.
// An end-of-generation token is still emitted (and counted) as the last
// Token: its Text is whatever text was held back, so the streamed Texts
// always add up to Result.Text.
func (r *run) next(tok int32, used int) (StopReason, string) {
	if r.g.tok.IsEOG(tok) && !r.req.IgnoreEOS {
		return StopEOS, r.text.flush()
	}
	text, stopped := r.text.add(r.g.tok.TokenToPiece(tok, false))
	switch {
	case stopped:
		return StopSequence, text
	case r.req.MaxTokens > 0 && r.res.OutputTokens+1 >= r.req.MaxTokens:
		return StopMaxTokens, text + r.text.flush()
	case used > r.g.b.Context():
		return StopContextLength, text + r.text.flush()
	}
	return "", text
}

func (r *run) send(tok int32, text string) error {
	t := Token{Index: r.res.OutputTokens, ID: tok, Text: text}
	r.res.OutputTokens++
	r.out = append(r.out, text...)
	return r.emit(t)
}

func (r *run) finish(reason StopReason) (*Result, error) {
	r.res.StopReason = reason
	r.res.Text = string(r.out)
	return r.res, nil
}

// fail turns a forward error into the result: cancellation is a normal
// end with partial usage, anything else is an error.
func (r *run) fail(ctx context.Context, err error) (*Result, error) {
	if ctx.Err() != nil {
		return r.finish(StopCancelled)
	}
	if errors.Is(err, ErrContextFull) {
		return r.finish(StopContextLength)
	}
	return nil, err
}
