package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/engine"
)

// maxCoalesce caps the tokens carried by one event; past it the decode
// loop waits for an ack rather than growing a message without bound.
const maxCoalesce = 256

// tokenStream publishes one job's token events. It never waits for an ack
// on the decode path while fewer than maxPending publishes are in flight;
// when they are, tokens accumulate and go out together in one event once an
// ack frees a place. At low token rates every token is its own event; at
// high rates events grow, and the overhead per token falls.
type tokenStream struct {
	js         jetstream.JetStream
	nc         *nats.Conn
	subject    string
	core       bool // reply subject outside the events stream: core publish
	sync       bool // one synchronous publish per token (measurement only)
	maxPending int
	base       JobEvent // job_id and attempt

	buf      []engine.Token
	inflight []jetstream.PubAckFuture
	sent     int // tokens handed to NATS
	events   int // token events published
	err      error
}

// add queues tok and publishes what the in-flight bound allows.
func (s *tokenStream) add(tok engine.Token) error {
	if s.err != nil {
		return s.err
	}
	s.buf = append(s.buf, tok)
	if s.sync {
		return s.flushSync()
	}
	s.reap()
	if len(s.inflight) >= s.maxPending && len(s.buf) >= maxCoalesce {
		s.waitOldest(context.Background())
	}
	if len(s.inflight) < s.maxPending {
		s.publish()
	}
	return s.err
}

// event builds the token event for the buffered tokens.
func (s *tokenStream) event() JobEvent {
	ev := s.base
	ev.Type = EventToken
	ev.I = s.buf[0].Index
	ev.ID = s.buf[0].ID
	if len(s.buf) == 1 {
		ev.T = s.buf[0].Text
		return ev
	}
	n := 0
	for _, t := range s.buf {
		n += len(t.Text)
	}
	text := make([]byte, 0, n)
	ev.IDs = make([]int32, len(s.buf))
	for i, t := range s.buf {
		text = append(text, t.Text...)
		ev.IDs[i] = t.ID
	}
	ev.T = string(text)
	return ev
}

func (s *tokenStream) publish() {
	if len(s.buf) == 0 || s.err != nil {
		return
	}
	data, err := json.Marshal(s.event())
	if err != nil {
		s.err = err
		return
	}
	if s.core {
		s.err = s.nc.Publish(s.subject, data)
	} else {
		var f jetstream.PubAckFuture
		f, err = s.js.PublishAsync(s.subject, data)
		if err != nil {
			s.err = fmt.Errorf("publish token event: %w", err)
			return
		}
		s.inflight = append(s.inflight, f)
	}
	s.sent += len(s.buf)
	s.events++
	s.buf = s.buf[:0]
}

func (s *tokenStream) flushSync() error {
	data, err := json.Marshal(s.event())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.js.Publish(ctx, s.subject, data); err != nil {
		s.err = fmt.Errorf("publish token event: %w", err)
	}
	s.sent += len(s.buf)
	s.events++
	s.buf = s.buf[:0]
	return s.err
}

// reap drops acknowledged publishes from the front without blocking.
func (s *tokenStream) reap() {
	for len(s.inflight) > 0 {
		select {
		case <-s.inflight[0].Ok():
		case err := <-s.inflight[0].Err():
			s.err = fmt.Errorf("publish token event: %w", err)
		default:
			return
		}
		s.inflight = s.inflight[1:]
	}
}

func (s *tokenStream) waitOldest(ctx context.Context) {
	if len(s.inflight) == 0 {
		return
	}
	select {
	case <-s.inflight[0].Ok():
	case err := <-s.inflight[0].Err():
		s.err = fmt.Errorf("publish token event: %w", err)
	case <-ctx.Done():
		s.err = fmt.Errorf("publish token event: %w", ctx.Err())
		return
	}
	s.inflight = s.inflight[1:]
}

// close publishes what is buffered and waits until every token event is
// stored, so that the terminal event is never stored before a token.
func (s *tokenStream) close(ctx context.Context) error {
	if s.sync {
		if len(s.buf) > 0 && s.err == nil {
			return s.flushSync()
		}
		return s.err
	}
	s.publish()
	for len(s.inflight) > 0 && s.err == nil {
		s.waitOldest(ctx)
	}
	if s.core && s.err == nil {
		s.err = s.nc.FlushWithContext(ctx)
	}
	return s.err
}

// publishEvent publishes a non-token event and waits for it to be stored.
// msgID, when set, lets the events stream drop a republished duplicate.
func publishEvent(ctx context.Context, js jetstream.JetStream, nc *nats.Conn, subject string, core bool, ev *JobEvent, msgID string) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return publishRaw(ctx, js, nc, subject, core, data, msgID)
}

func publishRaw(ctx context.Context, js jetstream.JetStream, nc *nats.Conn, subject string, core bool, data []byte, msgID string) error {
	if core {
		if err := nc.Publish(subject, data); err != nil {
			return err
		}
		return nc.FlushWithContext(ctx)
	}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	_, err := js.Publish(ctx, subject, data, opts...)
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("events stream does not capture %s: %w", subject, err)
	}
	return err
}
