package consumer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orcd/orcd/engine"
)

// Limits of a job body, kept from the ancestor project.
const (
	MaxJobIDLen    = 128
	MaxPromptChars = 32768 // also the cap on the summed content of messages
	MaxMessages    = 256
	MaxStopStrings = 4
	MaxStopChars   = 256
	MaxReplyToLen  = 256
)

// ErrInvalidJob marks a job body that can never succeed. Errors wrapping it
// name the offending field.
var ErrInvalidJob = errors.New("invalid job")

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// ValidJobID reports whether id can be a job_id (and so a subject token and
// a KV key).
func ValidJobID(id string) bool { return jobIDPattern.MatchString(id) }

// Job is the JSON body published to <prefix>.jobs.<model>. Sampling fields
// left out take the defaults listed in the README; pointers tell "absent"
// from an explicit zero.
type Job struct {
	JobID             string           `json:"job_id"`
	Prompt            string           `json:"prompt,omitempty"`
	Messages          []engine.Message `json:"messages,omitempty"`
	MaxTokens         int              `json:"max_tokens,omitempty"`
	Temperature       *float64         `json:"temperature,omitempty"`
	TopK              *int             `json:"top_k,omitempty"`
	TopP              *float64         `json:"top_p,omitempty"`
	MinP              *float64         `json:"min_p,omitempty"`
	RepetitionPenalty *float64         `json:"repetition_penalty,omitempty"`
	PresencePenalty   *float64         `json:"presence_penalty,omitempty"`
	FrequencyPenalty  *float64         `json:"frequency_penalty,omitempty"`
	Seed              *uint64          `json:"seed,omitempty"`
	Stop              []string         `json:"stop,omitempty"`
	ReplyTo           string           `json:"reply_to,omitempty"`
	Deadline          *time.Time       `json:"deadline,omitempty"` // RFC 3339
}

// Default sampling, as llama.cpp's server uses.
const (
	DefaultTemperature = 0.8
	DefaultTopK        = 40
	DefaultTopP        = 0.95
	DefaultMinP        = 0.05
)

// DecodeJob parses and validates a job body. contextLen bounds max_tokens
// (0 skips that check). The error wraps ErrInvalidJob and names the field.
func DecodeJob(data []byte, contextLen int) (*Job, error) {
	var j Job
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("%w: malformed JSON: %v", ErrInvalidJob, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: malformed JSON: data after the object", ErrInvalidJob)
	}
	if err := j.Validate(contextLen); err != nil {
		return &j, err
	}
	return &j, nil
}

// Validate checks every field against the documented ranges.
func (j *Job) Validate(contextLen int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidJob}, args...)...)
	}
	if !ValidJobID(j.JobID) {
		return bad("job_id must be 1-%d characters of [A-Za-z0-9_-], got %q", MaxJobIDLen, truncate(j.JobID, 40))
	}
	if err := j.validateInput(bad); err != nil {
		return err
	}
	if j.MaxTokens < 0 || contextLen > 0 && j.MaxTokens > contextLen {
		return bad("max_tokens must be 0..%d (the context), got %d", contextLen, j.MaxTokens)
	}
	if err := j.validateSampling(bad); err != nil {
		return err
	}
	if len(j.Stop) > MaxStopStrings {
		return bad("stop has %d strings, at most %d allowed", len(j.Stop), MaxStopStrings)
	}
	for i, s := range j.Stop {
		if s == "" || utf8.RuneCountInString(s) > MaxStopChars || !utf8.ValidString(s) {
			return bad("stop[%d] must be 1-%d characters of valid UTF-8", i, MaxStopChars)
		}
	}
	if j.ReplyTo != "" && !validSubject(j.ReplyTo) {
		return bad("reply_to %q is not a valid NATS subject without wildcards", truncate(j.ReplyTo, 40))
	}
	return nil
}

func (j *Job) validateInput(bad func(string, ...any) error) error {
	switch {
	case j.Prompt == "" && len(j.Messages) == 0:
		return bad("one of prompt or messages is required")
	case j.Prompt != "" && len(j.Messages) > 0:
		return bad("prompt and messages are exclusive")
	case !utf8.ValidString(j.Prompt):
		return bad("prompt is not valid UTF-8")
	case utf8.RuneCountInString(j.Prompt) > MaxPromptChars:
		return bad("prompt has %d characters, at most %d allowed", utf8.RuneCountInString(j.Prompt), MaxPromptChars)
	case len(j.Messages) > MaxMessages:
		return bad("messages has %d entries, at most %d allowed", len(j.Messages), MaxMessages)
	}
	total := 0
	for i, m := range j.Messages {
		if m.Role == "" {
			return bad("messages[%d].role is required", i)
		}
		if !utf8.ValidString(m.Content) || !utf8.ValidString(m.Role) {
			return bad("messages[%d] is not valid UTF-8", i)
		}
		total += utf8.RuneCountInString(m.Content)
	}
	if total > MaxPromptChars {
		return bad("messages hold %d characters, at most %d allowed", total, MaxPromptChars)
	}
	return nil
}

func (j *Job) validateSampling(bad func(string, ...any) error) error {
	checks := []struct {
		name     string
		v        *float64
		min, max float64
	}{
		{"temperature", j.Temperature, 0, 2},
		{"top_p", j.TopP, 0, 1},
		{"min_p", j.MinP, 0, 1},
		{"repetition_penalty", j.RepetitionPenalty, 0, 10},
		{"presence_penalty", j.PresencePenalty, -2, 2},
		{"frequency_penalty", j.FrequencyPenalty, -2, 2},
	}
	for _, c := range checks {
		// !(a <= b) also rejects NaN, which JSON cannot carry anyway.
		if c.v != nil && !(*c.v >= c.min && *c.v <= c.max) {
			return bad("%s must be in [%g, %g], got %g", c.name, c.min, c.max, *c.v)
		}
	}
	if j.TopK != nil && (*j.TopK < 0 || *j.TopK > 1<<20) {
		return bad("top_k must be in [0, %d], got %d", 1<<20, *j.TopK)
	}
	return nil
}

// Request converts the job into what the engine runs. An absent seed is
// derived from job_id, so a redelivered job samples the same text.
func (j *Job) Request() *engine.Request {
	f := func(p *float64, def float64) float32 {
		if p == nil {
			return float32(def)
		}
		return float32(*p)
	}
	sp := engine.SamplingParams{
		Temperature:      f(j.Temperature, DefaultTemperature),
		TopK:             DefaultTopK,
		TopP:             f(j.TopP, DefaultTopP),
		MinP:             f(j.MinP, DefaultMinP),
		RepeatPenalty:    f(j.RepetitionPenalty, 0),
		PresencePenalty:  f(j.PresencePenalty, 0),
		FrequencyPenalty: f(j.FrequencyPenalty, 0),
	}
	if j.TopK != nil {
		sp.TopK = *j.TopK
	}
	if j.Seed != nil {
		sp.Seed = *j.Seed
	} else {
		h := fnv.New64a()
		h.Write([]byte(j.JobID))
		sp.Seed = h.Sum64()
	}
	return &engine.Request{
		Prompt:    j.Prompt,
		Messages:  j.Messages,
		MaxTokens: j.MaxTokens,
		Sampling:  sp,
		Stop:      j.Stop,
	}
}

// validSubject accepts a literal subject: dot-separated non-empty tokens,
// no wildcards, no whitespace.
func validSubject(s string) bool {
	if len(s) > MaxReplyToLen || !utf8.ValidString(s) {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n*>") {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
