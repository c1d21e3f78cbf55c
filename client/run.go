package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/consumer"
)

var timeNow = time.Now

// ErrNoTerminal is Run.Err when the events ended (ctx, Close) before the
// job's terminal event.
var ErrNoTerminal = errors.New("job events ended before the terminal event")

// Run is one job's event stream as the caller sees it.
type Run struct {
	JobID  string
	events chan Event
	stop   context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	err      error
	terminal *Event
	text     strings.Builder
}

// Events yields the job's events and is closed after the terminal event
// (or when the Run ends early; see Err). A started event with a higher
// attempt than the last means the job was redelivered: the text so far is
// void, tokens start again from index 0.
func (r *Run) Events() <-chan Event { return r.events }

// Err is nil once the terminal event was delivered, otherwise why the
// events ended. Call it after Events is closed.
func (r *Run) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Terminal is the end or final error event, nil before it arrives.
func (r *Run) Terminal() *Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.terminal
}

// Text is the text of the current attempt so far.
func (r *Run) Text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.text.String()
}

// Wait drains the events and returns the terminal event.
func (r *Run) Wait() (*Event, error) {
	for range r.events {
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return r.Terminal(), nil
}

// Close stops following the job (it does not cancel it).
func (r *Run) Close() {
	r.stop()
	<-r.done
}

// source yields raw event messages until stopped.
type source interface {
	next(ctx context.Context) ([]byte, error)
	close()
}

// follow subscribes to jobID's reply subject: through an ordered consumer
// on the events stream (replay from the start) when the stream captures
// it, else a plain subscription (live only).
func (c *Client) follow(ctx context.Context, jobID, reply string) (*Run, error) {
	if reply == "" {
		reply = c.subj.Events(jobID)
	}
	var src source
	if c.subj.InEventsStream(reply) {
		cons, err := c.js.OrderedConsumer(ctx, c.subj.EventsStream(), jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{reply}, DeliverPolicy: jetstream.DeliverAllPolicy,
			// The server allows 1,000 consumers per stream by default and
			// keeps an idle ordered consumer 5 minutes; a Run deletes its
			// own at the end, and this bounds one that could not.
			InactiveThreshold: 30 * time.Second,
		})
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrNoStreams, c.subj.EventsStream())
		}
		if err != nil {
			return nil, fmt.Errorf("follow %s: %w", jobID, err)
		}
		it, err := cons.Messages()
		if err != nil {
			return nil, fmt.Errorf("follow %s: %w", jobID, err)
		}
		src = &streamSource{it: it, js: c.js, stream: c.subj.EventsStream(), cons: cons}
	} else {
		sub, err := c.nc.SubscribeSync(reply)
		if err != nil {
			return nil, fmt.Errorf("follow %s: %w", jobID, err)
		}
		src = &coreSource{sub: sub}
	}
	ctx, stop := context.WithCancel(ctx)
	r := &Run{JobID: jobID, events: make(chan Event, 64), stop: stop, done: make(chan struct{})}
	go r.loop(ctx, src)
	return r, nil
}

func (r *Run) loop(ctx context.Context, src source) {
	defer close(r.done)
	defer close(r.events)
	defer src.close()
	defer r.stop() // ends the watcher below even if the caller never calls Close
	// The iterator's Next does not take a context: stop it from outside.
	go func() { <-ctx.Done(); src.close() }()
	var f filter
	for {
		data, err := src.next(ctx)
		if err != nil {
			r.setErr(fmt.Errorf("%w: %v", ErrNoTerminal, context.Cause(ctx)))
			if ctx.Err() == nil {
				r.setErr(fmt.Errorf("%w: %v", ErrNoTerminal, err))
			}
			return
		}
		var ev Event
		if json.Unmarshal(data, &ev) != nil || ev.JobID != r.JobID || !f.accept(&ev) {
			continue
		}
		r.mu.Lock()
		if ev.Type == consumer.EventStarted {
			r.text.Reset()
		} else if ev.Type == consumer.EventToken {
			r.text.WriteString(ev.T)
		}
		if ev.Terminal() {
			r.terminal = &ev
		}
		r.mu.Unlock()
		select {
		case r.events <- ev:
		case <-ctx.Done():
			r.setErr(fmt.Errorf("%w: %v", ErrNoTerminal, ctx.Err()))
			return
		}
		if ev.Terminal() {
			return
		}
	}
}

func (r *Run) setErr(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// filter drops what a caller must not see twice: replayed or stale
// events of an older attempt, duplicate tokens, and anything after the
// terminal event.
type filter struct {
	attempt int
	next    int // index of the next expected token
	done    bool
}

func (f *filter) accept(ev *Event) bool {
	if f.done {
		return false
	}
	switch ev.Type {
	case consumer.EventStarted:
		if ev.Attempt <= f.attempt {
			return false
		}
		f.attempt, f.next = ev.Attempt, 0
		return true
	case consumer.EventToken:
		if ev.Attempt < f.attempt || ev.I < f.next {
			return false
		}
		f.next = ev.I + ev.NumTokens()
		return true
	case consumer.EventError, consumer.EventEnd:
		if !ev.Terminal() && ev.Attempt < f.attempt {
			return false
		}
		f.done = ev.Terminal()
		return true
	}
	return false
}

type streamSource struct {
	it     jetstream.MessagesContext
	js     jetstream.JetStream
	stream string
	cons   jetstream.Consumer
	once   sync.Once
}

func (s *streamSource) next(context.Context) ([]byte, error) {
	m, err := s.it.Next()
	if err != nil {
		return nil, err
	}
	return m.Data(), nil
}

// close stops the iterator and deletes the ordered consumer, so that a
// client following many jobs never runs into the per-stream consumer limit.
func (s *streamSource) close() {
	s.once.Do(func() {
		s.it.Stop()
		if info := s.cons.CachedInfo(); info != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = s.js.DeleteConsumer(ctx, s.stream, info.Name)
		}
	})
}

type coreSource struct {
	sub  *nats.Subscription
	once sync.Once
}

func (s *coreSource) next(ctx context.Context) ([]byte, error) {
	m, err := s.sub.NextMsgWithContext(ctx)
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

func (s *coreSource) close() { s.once.Do(func() { _ = s.sub.Unsubscribe() }) }
