package engine

import (
	"sync"
	"sync/atomic"
	"time"
)

// sequence is one job inside the scheduler. The loop goroutine owns every
// field but cancelled and events, which the job's own goroutine shares.
type sequence struct {
	req     *Request
	prompt  []int32
	reserve int   // KV positions reserved for the job's whole life
	slot    int32 // KV sequence id while admitted, else -1
	// pos is the number of positions in the slot's cache once the current
	// step has run: prompt tokens while prefilling, then one more per
	// generated token fed back.
	pos     int
	sampled int32 // the last sampled token, fed back at the next step
	out     int   // tokens sampled so far
	sampler *Sampler
	text    *textStream
	left    bool // ended; removed from running after the step
	// fed lists the tokens whose keys and values the slot's cache holds,
	// position by position (what the prompt cache keeps when q ends), and
	// cachedPrompt how many of them came from the prompt cache.
	fed          []int32
	cachedPrompt int

	admitted, first time.Time

	cancelled atomic.Bool // the caller stopped listening
	events    tokenQueue
}

func newSequence(req *Request, prompt []int32, context int) *sequence {
	q := &sequence{req: req, prompt: prompt, slot: -1,
		sampler: NewSampler(req.Sampling), text: newTextStream(req.Stop)}
	q.events.ready = make(chan struct{}, 1)
	for _, t := range prompt {
		q.sampler.Accept(t)
	}
	q.reserve = context
	if req.MaxTokens > 0 {
		q.reserve = min(len(prompt)+req.MaxTokens, context)
	}
	return q
}

// decoding reports whether the sequence's prompt is in the cache and it
// has a sampled token to feed back.
func (q *sequence) decoding() bool { return q.out > 0 }

// next turns the token just sampled into its event, and says whether it
// ends the job. An end-of-generation token is still emitted (and counted)
// as the last Token: its Text is whatever text was held back, so the
// streamed Texts always add up to Result.Text.
func (q *sequence) next(tok Tokenizer, context int) (seqEvent, bool) {
	id := q.sampled
	ev := seqEvent{tok: Token{Index: q.out, ID: id}, hasTok: true}
	if tok.IsEOG(id) && !q.req.IgnoreEOS {
		ev.tok.Text, ev.end = q.text.flush(), StopEOS
		return ev, true
	}
	text, stopped := q.text.add(tok.TokenToPiece(id, false))
	ev.tok.Text = text
	switch {
	case stopped:
		ev.end = StopSequence
	case q.req.MaxTokens > 0 && q.out+1 >= q.req.MaxTokens:
		ev.tok.Text, ev.end = text+q.text.flush(), StopMaxTokens
	case q.pos+1 > context: // the token could not be fed back
		ev.tok.Text, ev.end = text+q.text.flush(), StopContextLength
	}
	return ev, ev.end != ""
}

// seqEvent is what the loop tells a job: a token, an end, or an error.
type seqEvent struct {
	tok     Token
	hasTok  bool
	end     StopReason
	err     error
	prefill time.Duration // on the first token: admission to first logits
	cached  int           // on the first token: prompt positions the prompt cache supplied
	decode  time.Duration // on the last event: first token to the end
}

// tokenQueue passes events from the loop to the job's goroutine. push
// never blocks: a client slow to take its tokens must not stall the other
// sequences of the batch. It holds at most one event per context position.
type tokenQueue struct {
	mu    sync.Mutex
	items []seqEvent
	ready chan struct{} // cap 1: items is not empty
}

func (t *tokenQueue) push(e seqEvent) {
	t.mu.Lock()
	t.items = append(t.items, e)
	t.mu.Unlock()
	select {
	case t.ready <- struct{}{}:
	default:
	}
}

// take moves every queued event into buf.
func (t *tokenQueue) take(buf []seqEvent) []seqEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	buf = append(buf[:0], t.items...)
	clear(t.items)
	t.items = t.items[:0]
	return buf
}

// plainGreedy reports whether s picks the argmax of the raw logits:
// temperature 0 and no penalty.
func (s *Sampler) plainGreedy() bool {
	p := s.p
	return p.Temperature <= 0 && (p.RepeatPenalty == 0 || p.RepeatPenalty == 1) &&
		p.FrequencyPenalty == 0 && p.PresencePenalty == 0
}
