package engine

import (
	"context"
	"errors"
	"time"
)

// Message is one chat turn, rendered through the model's chat template.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// SamplingParams control how the next token is chosen. Temperature 0 is
// greedy decoding; zero values of the others disable them.
type SamplingParams struct {
	Temperature      float32
	TopK             int
	TopP             float32 // 0 or 1 disables
	MinP             float32
	RepeatPenalty    float32 // 0 or 1 disables
	RepeatLastN      int     // penalty window; 0 means the default (64)
	PresencePenalty  float32
	FrequencyPenalty float32
	Seed             uint64
}

// Request is one generation job as the engine sees it. Exactly one of
// Tokens, Prompt and Messages is used, in that order of precedence.
type Request struct {
	Tokens    []int32   // pre-tokenized prompt, fed as is (no BOS added)
	Prompt    string    // raw prompt text, tokenized with BOS as the vocab says
	Messages  []Message // chat, rendered with the model's template
	MaxTokens int       // 0 means up to the end of the context
	Sampling  SamplingParams
	Stop      []string // stop strings, matched on decoded text, left out of the output
	IgnoreEOS bool     // keep generating through end-of-generation tokens
}

// StopReason says why a generation ended.
type StopReason string

const (
	StopMaxTokens     StopReason = "max_tokens"
	StopEOS           StopReason = "eos"
	StopSequence      StopReason = "stop_sequence"
	StopContextLength StopReason = "context_length"
	StopCancelled     StopReason = "cancelled"
)

// Token is one generated token as delivered to the caller. Text is the
// newly complete UTF-8 text it releases (possibly empty while a multi-byte
// character or a possible stop string is held back).
type Token struct {
	Index int   // 0-based index among generated tokens
	ID    int32 // token id
	Text  string
}

// Result summarises a finished generation.
type Result struct {
	StopReason   StopReason
	PromptTokens int
	PromptCached int // of PromptTokens, those the prompt cache supplied (not prefilled)
	OutputTokens int
	Text         string // the whole generated text, stop string excluded
	Prefill      time.Duration
	Decode       time.Duration
}

// DecodeTokPerSec is the decode speed, 0 when nothing was decoded.
func (r *Result) DecodeTokPerSec() float64 {
	if r.Decode <= 0 || r.OutputTokens <= 1 {
		return 0
	}
	return float64(r.OutputTokens-1) / r.Decode.Seconds()
}

// Errors Generate returns (wrapped). ErrInvalidRequest marks input that will
// never succeed (the job should not be retried); anything else is transient.
var (
	ErrInvalidRequest = errors.New("invalid request")
	ErrPromptTooLong  = errors.New("prompt does not fit in the context") // wraps ErrInvalidRequest via errors.Join at the call site
	ErrNoChatTemplate = errors.New("model has no chat template")
	// ErrTemplateUnavailable: the chat template could not be rendered for
	// a reason that is not the request's (its renderer did not start). A
	// Tokenizer wraps it so; the request may succeed on a retry.
	ErrTemplateUnavailable = errors.New("chat template renderer unavailable")
)

// Info describes a loaded engine for heartbeats and logs.
type Info struct {
	Model   string // file base name without .gguf
	Arch    string
	Quant   string // dominant tensor type, e.g. "Q4_K"
	Engine  string // "cpu", "cuda", "metal"
	Context int    // positions per sequence
	Slots   int    // sequences served at once
}

// Engine generates text for requests. Generate is safe for concurrent use:
// up to Info().Slots requests run at once, further calls wait for a slot
// (or for ctx).
type Engine interface {
	// Generate runs req, calling emit for every generated token in order.
	// If emit returns an error, generation stops and Generate returns it.
	// A cancelled ctx ends generation between tokens with StopCancelled and
	// a nil error, reporting the partial usage.
	Generate(ctx context.Context, req *Request, emit func(Token) error) (*Result, error)
	Info() Info
	Memory() Memory
	Health() error
	Close() error
}
