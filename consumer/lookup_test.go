package consumer_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/consumer"
)

// lossyJS loses the replies of its first `lose` stream and bucket
// lookups: each waits until its context ends, as a request does whose
// reply a cluster dropped while its routes were re-established.
type lossyJS struct {
	jetstream.JetStream
	lose, calls atomic.Int32
	down        atomic.Int32 // creates answered "temporarily unavailable" first
}

func (l *lossyJS) lost(ctx context.Context) bool {
	l.calls.Add(1)
	if l.lose.Add(-1) < 0 {
		return false
	}
	<-ctx.Done()
	return true
}

// errUnavailable is what a cluster without a meta leader answers.
var errUnavailable = &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}

func (l *lossyJS) Stream(ctx context.Context, name string) (jetstream.Stream, error) {
	if l.lost(ctx) {
		return nil, ctx.Err()
	}
	return l.JetStream.Stream(ctx, name)
}

func (l *lossyJS) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	if l.lost(ctx) {
		return nil, ctx.Err()
	}
	return l.JetStream.KeyValue(ctx, bucket)
}

// fastRetries shortens retryRequest's tries to 50 ms for the test and
// returns a JetStream client of e's server and a 30 s context.
func fastRetries(t *testing.T, e *env) (jetstream.JetStream, context.Context) {
	t.Cleanup(consumer.SetRequestAttempt(50 * time.Millisecond))
	js, err := jetstream.New(e.conn())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return js, ctx
}

// TestLookupResourcesResendsLostRequests: a lookup whose reply is lost is
// sent again instead of waiting out the caller's context; an answer (the
// stream does not exist) returns at once.
func TestLookupResourcesResendsLostRequests(t *testing.T) {
	withServer(t, func(e *env) {
		js, ctx := fastRetries(t, e)
		s := consumer.NewSubjects("")
		if _, err := consumer.EnsureResources(ctx, js, s, consumer.StreamConfig{}, time.Minute); err != nil {
			t.Fatal(err)
		}
		l := &lossyJS{JetStream: js}
		l.lose.Store(4) // the jobs stream's first three tries and the events stream's first
		res, err := consumer.LookupResources(ctx, l, s)
		if err != nil {
			t.Fatalf("with 4 lost replies: %v", err)
		}
		if res.Jobs == nil || res.Events == nil || res.Cancel == nil || res.State == nil || res.Workers == nil {
			t.Fatalf("resources missing: %+v", res)
		}
		if got := l.calls.Load(); got != 9 {
			t.Errorf("%d lookups, want 5 answered and 4 lost", got)
		}

		// A prefix no worker created: the server's answer is final.
		_, err = consumer.LookupResources(ctx, js, consumer.NewSubjects("nobody"))
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Fatalf("lookup of missing streams: %v, want ErrStreamNotFound", err)
		}
		if ctx.Err() != nil {
			t.Fatal("the missing stream's lookup retried until the context ended")
		}
	})
}

// CreateStream and CreateKeyValue act on the server but, for the first
// `lose` calls, lose the reply, as a request does that a cluster's new
// meta leader carried out while the reply's route was down; the first
// `down` calls are refused as "temporarily unavailable" instead.
func (l *lossyJS) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return lossyCreate(l, ctx, func(ctx context.Context) (jetstream.Stream, error) { return l.JetStream.CreateStream(ctx, cfg) })
}

func (l *lossyJS) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return lossyCreate(l, ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return l.JetStream.CreateKeyValue(ctx, cfg) })
}

func lossyCreate[T any](l *lossyJS, ctx context.Context, create func(context.Context) (T, error)) (T, error) {
	var none T
	if l.down.Add(-1) >= 0 {
		l.calls.Add(1)
		return none, errUnavailable
	}
	v, err := create(context.Background())
	if l.lost(ctx) {
		return none, ctx.Err()
	}
	return v, err
}

// TestEnsureResourcesResendsLostRequests: a worker creating its streams
// and buckets sends a request whose reply is lost again instead of
// waiting out its setup's context; the stream the lost request did create
// is then updated, not an error.
func TestEnsureResourcesResendsLostRequests(t *testing.T) {
	withServer(t, func(e *env) {
		js, ctx := fastRetries(t, e)
		l := &lossyJS{JetStream: js}
		l.lose.Store(4) // the jobs stream's first three tries and the events stream's first
		res, err := consumer.EnsureResources(ctx, l, consumer.NewSubjects(""), consumer.StreamConfig{}, time.Minute)
		if err != nil {
			t.Fatalf("with 4 lost replies: %v", err)
		}
		if res.Jobs == nil || res.Events == nil || res.Cancel == nil || res.State == nil || res.Workers == nil {
			t.Fatalf("resources missing: %+v", res)
		}
		if got := l.calls.Load(); got != 9 {
			t.Errorf("%d creates, want 5 answered and 4 lost", got)
		}

		// A cluster still electing its meta leader answers "temporarily
		// unavailable": that is tried again too.
		l = &lossyJS{JetStream: js}
		l.down.Store(2)
		if _, err := consumer.EnsureResources(ctx, l, consumer.NewSubjects("other"), consumer.StreamConfig{}, time.Minute); err != nil {
			t.Fatalf("after 2 answers of %q: %v", errUnavailable.Description, err)
		}
		if got := l.calls.Load(); got != 7 {
			t.Errorf("%d creates, want 5 answered and 2 refused", got)
		}
	})
}
