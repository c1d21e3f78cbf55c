package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SchedOptions tune the Generator's scheduler. Zero values pick defaults.
type SchedOptions struct {
	// PrefillChunk is the most prompt tokens one step takes while other
	// sequences are decoding. Every decoding sequence waits for the whole
	// step, so this bounds their time between tokens while new jobs
	// arrive. Default 32 (about 0.15 s of prefill on two Zen 4 cores for
	// a 1B Q4_0 model, measured at 230 tok/s; nothing on a GPU).
	PrefillChunk int
	// IdlePrefill is the most prompt tokens one step takes when no
	// sequence is decoding (nobody is waiting for a token). Default 512.
	IdlePrefill int
	// KVCells caps the KV cache positions that running jobs may reserve
	// together. A job reserves its prompt plus max_tokens (the whole
	// context when max_tokens is 0), capped at the context. A job that
	// does not fit waits; one that could never fit is refused. Default:
	// every slot's whole context (MaxSeqs × Context).
	KVCells int
	// NoPromptCache clears a slot when its job ends instead of keeping its
	// cache for a later prompt that starts with the same tokens (see
	// promptCache). The cache needs a backend that is a SeqTruncater.
	NoPromptCache bool
}

// ErrKVCacheTooSmall: a job needs more KV cache positions than the
// scheduler may ever give it (wrapped with ErrInvalidRequest).
var ErrKVCacheTooSmall = errors.New("job's context does not fit in the KV cache")

// errClosed is what a job gets when the Generator closes before it starts.
var errClosed = errors.New("engine: closed")

func (o *SchedOptions) fill(b Backend) {
	if o.PrefillChunk <= 0 {
		o.PrefillChunk = 32
	}
	if o.IdlePrefill <= 0 {
		o.IdlePrefill = 512
	}
	o.IdlePrefill = max(o.IdlePrefill, o.PrefillChunk)
	if o.KVCells <= 0 {
		o.KVCells = b.MaxSeqs() * b.Context()
	}
}

// scheduler is continuous batching: one goroutine (loop) owns the backend.
// Each step it builds one batch from the next token of every decoding
// sequence plus chunks of prompts still being prefilled, runs one Forward,
// and samples every sequence that produced logits. Sequences join and
// leave between steps. Tokens go to each job's goroutine through a queue
// that never blocks the loop, so a slow client delays only itself.
type scheduler struct {
	b      Backend
	tok    Tokenizer
	nVocab int
	opts   SchedOptions

	mu       sync.Mutex
	incoming []*sequence // submitted, not yet seen by the loop
	closing  bool
	wake     chan struct{} // cap 1: something for the loop to look at
	done     chan struct{} // closed when the loop has exited

	// Owned by the loop goroutine.
	waiting    []*sequence // FIFO of jobs waiting for a slot and KV room
	running    []*sequence // admitted, in admission order
	free       []int32     // free sequence ids
	cache      *promptCache
	kvReserved int
	batch      Batch
	rows       []*sequence // the sequence of each logits row of the step
	logits     []float32   // [MaxSeqs][nVocab]: at most one row per sequence
	argmaxer   Argmaxer    // the backend's, if it has one
	argmax     []int32     // [MaxSeqs]: ForwardArgmax's output

	// Published by the loop for Memory, read from any goroutine. The
	// backend's own report is sampled here, between steps, so that
	// Generator.Memory never runs concurrently with a Forward.
	kvUsed, kvCached, batchSeqs, batchTokens atomic.Int64
	mem                                      atomic.Pointer[Memory]
	memAt                                    time.Time
}

// memEvery is how often the loop samples the backend's memory report
// while busy; it samples it again whenever it goes idle.
const memEvery = 250 * time.Millisecond

func newScheduler(b Backend, tok Tokenizer, nVocab int, opts SchedOptions) *scheduler {
	opts.fill(b)
	s := &scheduler{b: b, tok: tok, nVocab: nVocab, opts: opts,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		logits: make([]float32, b.MaxSeqs()*nVocab), cache: newPromptCache(b, opts.NoPromptCache)}
	for i := b.MaxSeqs() - 1; i >= 0; i-- {
		s.free = append(s.free, int32(i))
	}
	if a, ok := b.(Argmaxer); ok {
		s.argmaxer, s.argmax = a, make([]int32, b.MaxSeqs())
	}
	s.sampleMemory(true)
	go s.loop()
	return s
}

func (s *scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// submit queues q for the loop, or refuses it.
func (s *scheduler) submit(q *sequence) error {
	if q.reserve > s.opts.KVCells {
		gen := fmt.Sprintf("max_tokens %d", q.req.MaxTokens)
		if q.req.MaxTokens == 0 {
			gen = "generation up to the context"
		}
		return fmt.Errorf("%w: %w: %d prompt tokens + %s need %d positions, the KV budget is %d",
			ErrInvalidRequest, ErrKVCacheTooSmall, len(q.prompt), gen, q.reserve, s.opts.KVCells)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return errClosed
	}
	s.incoming = append(s.incoming, q)
	s.poke()
	return nil
}

// close stops taking jobs and returns once running jobs have ended and
// the loop has exited. Jobs still waiting for a slot get errClosed.
func (s *scheduler) close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.poke()
	<-s.done
}

func (s *scheduler) loop() {
	defer close(s.done)
	for {
		s.mu.Lock()
		s.waiting = append(s.waiting, s.incoming...)
		clear(s.incoming) // drop the references: ended jobs must not stay reachable
		s.incoming = s.incoming[:0]
		closing := s.closing
		s.mu.Unlock()

		s.reap()
		if closing {
			for _, q := range s.waiting {
				q.events.push(seqEvent{err: errClosed})
			}
			s.waiting = s.waiting[:0]
		}
		s.admit()
		if len(s.running) == 0 {
			s.publish(0, 0)
			s.sampleMemory(true)
			if closing {
				return
			}
			<-s.wake
			continue
		}
		s.step()
	}
}

// reap drops the jobs whose callers went away (cancelled ctx, emit error).
func (s *scheduler) reap() {
	s.waiting = deleteIf(s.waiting, func(q *sequence) bool { return q.cancelled.Load() })
	for _, q := range s.running {
		if q.cancelled.Load() {
			s.leave(q, seqEvent{end: StopCancelled}, false)
		}
	}
	s.running = deleteIf(s.running, func(q *sequence) bool { return q.left })
}

// admit starts waiting jobs in arrival order while a slot and KV room
// are free. The head waits for room rather than being overtaken, so a
// large job is never starved by a stream of small ones.
func (s *scheduler) admit() {
	for len(s.waiting) > 0 && len(s.free) > 0 {
		q := s.waiting[0]
		if s.kvReserved+q.reserve > s.opts.KVCells {
			return
		}
		s.waiting[0] = nil
		s.waiting = s.waiting[1:]
		i, reuse := s.cache.pick(s.free, q.prompt)
		q.slot = s.free[i]
		s.free[i] = s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		s.kvReserved += q.reserve
		q.admitted = time.Now()
		if err := s.cache.claim(s.b, q.slot, reuse); err != nil {
			s.leave(q, seqEvent{err: err}, true)
			continue
		}
		q.pos, q.cachedPrompt = reuse, reuse
		q.fed = append(q.fed, q.prompt[:reuse]...)
		s.running = append(s.running, q)
	}
}

// leave ends q with its last event and gives its slot and KV room back.
func (s *scheduler) leave(q *sequence, last seqEvent, failed bool) {
	if !q.first.IsZero() {
		last.decode = time.Since(q.first)
	}
	q.events.push(last)
	q.left = true
	if q.slot >= 0 {
		// A failed step leaves the cache undefined; anything else leaves
		// it holding exactly q.fed.
		s.cache.release(s.b, q.slot, q.fed, !failed)
		q.fed = nil
		s.free = append(s.free, q.slot)
		s.kvReserved -= q.reserve
		q.slot = -1
	}
}

// step runs one batched forward pass and samples every sequence that got
// logits from it.
func (s *scheduler) step() {
	seqs := s.build()
	err := s.forward()
	s.publish(seqs, s.batch.Len())
	if err != nil {
		// The KV state of the batch's sequences is undefined now, and a
		// backend error is rarely about one sequence: end them all.
		for _, q := range s.running {
			s.leave(q, seqEvent{err: err}, true)
		}
		s.running = s.running[:0]
		return
	}
	now := time.Now()
	for _, q := range s.rows {
		if q.cancelled.Load() {
			continue // reaped at the next step
		}
		if q.first.IsZero() {
			q.first = now
		}
		ev, end := q.next(s.tok, s.b.Context())
		if q.out == 0 {
			ev.prefill, ev.cached = now.Sub(q.admitted), q.cachedPrompt
		}
		q.out++
		if end {
			s.leave(q, ev, false)
			continue
		}
		q.events.push(ev)
	}
	s.running = deleteIf(s.running, func(q *sequence) bool { return q.left })
	s.publishKV()
	s.sampleMemory(false)
}

// sampleMemory refreshes the backend's memory report, when due or forced.
func (s *scheduler) sampleMemory(force bool) {
	if !force && time.Since(s.memAt) < memEvery {
		return
	}
	m := s.b.Memory()
	s.mem.Store(&m)
	s.memAt = time.Now()
}

// build fills s.batch: first the token each decoding sequence sampled
// last step, then prompt chunks in admission order within the step's
// prompt budget. s.rows lists the sequences whose rows ask for logits, in
// batch order (the order Forward writes them). It returns the number of
// sequences the batch advances.
func (s *scheduler) build() int {
	b := &s.batch
	b.Tokens, b.Pos, b.Seq, b.Logits = b.Tokens[:0], b.Pos[:0], b.Seq[:0], b.Logits[:0]
	add := func(q *sequence, tok int32, pos int, logits bool) {
		q.fed = append(q.fed, tok)
		b.Tokens = append(b.Tokens, tok)
		b.Pos = append(b.Pos, int32(pos))
		b.Seq = append(b.Seq, q.slot)
		b.Logits = append(b.Logits, logits)
	}
	s.rows = s.rows[:0]
	budget := s.opts.IdlePrefill
	for _, q := range s.running {
		if q.decoding() {
			budget = s.opts.PrefillChunk
			break
		}
	}
	// Jobs this step's prompt budget reaches take what other slots hold
	// first, while every fed still matches its cache; a job further back
	// shares when its turn comes, from a source then likely complete.
	left := budget
	for _, q := range s.running {
		if left <= 0 {
			break
		}
		if !q.decoding() && q.pos < len(q.prompt) {
			s.cache.share(q, s.running, s.free)
			left -= len(q.prompt) - q.pos
		}
	}
	seqs := 0
	for _, q := range s.running {
		if q.decoding() {
			seqs++
			add(q, q.sampled, q.pos, true)
			q.pos++
			s.rows = append(s.rows, q)
		}
	}
	for _, q := range s.running {
		if q.decoding() || budget == 0 {
			continue
		}
		n := min(len(q.prompt)-q.pos, budget)
		if n == 0 {
			continue // sampled in a step it was cancelled in: reaped next
		}
		seqs++
		for i := q.pos; i < q.pos+n; i++ {
			add(q, q.prompt[i], i, i == len(q.prompt)-1)
		}
		q.pos += n
		budget -= n
		if q.pos == len(q.prompt) {
			s.rows = append(s.rows, q)
		}
	}
	return seqs
}

// forward runs the step's batch and sets every row's sampled token. When
// each row is plain greedy and the backend can take the argmax itself
// (a GPU), only the token ids come back instead of whole logit rows.
func (s *scheduler) forward() error {
	ctx, n := context.Background(), len(s.rows)
	if s.argmaxer != nil && n > 0 && s.allGreedy() {
		if err := s.argmaxer.ForwardArgmax(ctx, &s.batch, s.argmax[:n]); err != nil {
			return err
		}
		for i, q := range s.rows {
			q.sampled = s.argmax[i]
			q.sampler.Accept(q.sampled)
		}
		return nil
	}
	if err := s.b.Forward(ctx, &s.batch, s.logits[:n*s.nVocab]); err != nil {
		return err
	}
	s.sampleRows()
	return nil
}

func (s *scheduler) allGreedy() bool {
	for _, q := range s.rows {
		if !q.sampler.plainGreedy() {
			return false
		}
	}
	return true
}

// sampleRows picks every row's next token with the row's own sampler.
// Rows are independent, so large vocabularies sample in parallel.
func (s *scheduler) sampleRows() {
	sample := func(i int) {
		q := s.rows[i]
		row := s.logits[i*s.nVocab : (i+1)*s.nVocab]
		q.sampled = q.sampler.Sample(row)
		q.sampler.Accept(q.sampled)
	}
	if len(s.rows) < 2 || s.nVocab < 16<<10 {
		for i := range s.rows {
			sample(i)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range s.rows {
		wg.Go(func() { sample(i) })
	}
	wg.Wait()
}

func (s *scheduler) publish(seqs, tokens int) {
	s.batchSeqs.Store(int64(seqs))
	s.batchTokens.Store(int64(tokens))
	s.publishKV()
}

func (s *scheduler) publishKV() {
	used := 0
	for _, q := range s.running {
		used += q.pos
	}
	s.kvUsed.Store(int64(used))
	s.kvCached.Store(int64(s.cache.cached(s.free)))
}

func deleteIf(qs []*sequence, drop func(*sequence) bool) []*sequence {
	out := qs[:0]
	for _, q := range qs {
		if !drop(q) {
			out = append(out, q)
		}
	}
	clear(qs[len(out):])
	return out
}
