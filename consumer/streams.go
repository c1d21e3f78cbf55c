package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig bounds the JetStream resources orcd creates.
type StreamConfig struct {
	JobsMaxMsgs   int64         // queued jobs; a full queue refuses new ones
	JobsMaxBytes  int64         // bytes of queued jobs
	EventsMaxAge  time.Duration // how long a job's events can be replayed
	EventsMaxSize int64         // bytes of events kept
	StateTTL      time.Duration // per-job state (finished or not) and remembered cancels
	WorkersTTL    time.Duration // a worker's record outlives its last heartbeat this long
	// Replicas of every stream and bucket; 0 means 3 when the server is
	// part of a cluster (so that losing one server loses nothing), else 1.
	Replicas int
}

// Defaults for StreamConfig's zero fields.
const (
	DefaultJobsMaxMsgs   = 10000
	DefaultJobsMaxBytes  = 256 << 20
	DefaultEventsMaxAge  = time.Hour
	DefaultEventsMaxSize = 1 << 30
	DefaultStateTTL      = 24 * time.Hour
)

func (c *StreamConfig) fill(heartbeat time.Duration) {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.JobsMaxMsgs, DefaultJobsMaxMsgs)
	def(&c.JobsMaxBytes, DefaultJobsMaxBytes)
	def(&c.EventsMaxSize, DefaultEventsMaxSize)
	if c.EventsMaxAge <= 0 {
		c.EventsMaxAge = DefaultEventsMaxAge
	}
	if c.StateTTL <= 0 {
		c.StateTTL = DefaultStateTTL
	}
	if c.WorkersTTL <= 0 {
		c.WorkersTTL = 3 * heartbeat
	}
}

// Resources are the streams and buckets a worker and a client use.
type Resources struct {
	Jobs    jetstream.Stream
	Events  jetstream.Stream
	Cancel  jetstream.KeyValue // job_id -> cancel requested (TTL)
	State   jetstream.KeyValue // job_id -> jobState (TTL)
	Workers jetstream.KeyValue // worker_id -> Heartbeat (TTL)
}

// EnsureResources creates or updates the jobs and events streams and the
// three buckets so that they match cfg.
func EnsureResources(ctx context.Context, js jetstream.JetStream, s Subjects, cfg StreamConfig, heartbeat time.Duration) (*Resources, error) {
	cfg.fill(heartbeat)
	if cfg.Replicas <= 0 {
		cfg.Replicas = replicas(js)
	}
	var r Resources
	var err error
	r.Jobs, err = createOrUpdateStream(ctx, js, jetstream.StreamConfig{
		Name:        s.JobsStream(),
		Description: "orcd jobs waiting for a worker",
		Subjects:    []string{s.AllJobs()},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxMsgs:     cfg.JobsMaxMsgs,
		MaxBytes:    cfg.JobsMaxBytes,
		Discard:     jetstream.DiscardNew,
		Duplicates:  2 * time.Minute,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs stream %s: %w", s.JobsStream(), err)
	}
	r.Events, err = createOrUpdateStream(ctx, js, jetstream.StreamConfig{
		Name:        s.EventsStream(),
		Description: "orcd job events, kept for replay",
		Subjects:    []string{s.AllEvents()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      cfg.EventsMaxAge,
		MaxBytes:    cfg.EventsMaxSize,
		Discard:     jetstream.DiscardOld,
		Duplicates:  2 * time.Minute,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("events stream %s: %w", s.EventsStream(), err)
	}
	kv := func(name, desc string, ttl time.Duration) (jetstream.KeyValue, error) {
		b, err := createOrUpdateKeyValue(ctx, js, jetstream.KeyValueConfig{
			Bucket: name, Description: desc, TTL: ttl, Storage: jetstream.FileStorage, History: 1, Replicas: cfg.Replicas,
		})
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
		return b, nil
	}
	if r.Cancel, err = kv(s.CancelBucket(), "orcd cancel requests", cfg.StateTTL); err != nil {
		return nil, err
	}
	if r.State, err = kv(s.StateBucket(), "orcd per-job state", cfg.StateTTL); err != nil {
		return nil, err
	}
	if r.Workers, err = kv(s.WorkersBucket(), "orcd worker heartbeats", cfg.WorkersTTL); err != nil {
		return nil, err
	}
	return &r, nil
}

// replicas is how many copies of a stream or bucket to keep: 3 when the
// server is part of a cluster, so that losing one server loses nothing,
// else 1.
func replicas(js jetstream.JetStream) int {
	if js.Conn().ConnectedClusterName() != "" {
		return 3
	}
	return 1
}

// createOrUpdateStream creates the stream, or updates it when it exists
// with another configuration. Create comes first because nats.go's
// CreateOrUpdateStream (update, then create) hangs until its context ends
// when two workers start at once on a cluster and the stream has replicas.
// It is sent again (retryRequest) when no reply comes: a stream that the
// lost request did create is then updated to the same config.
func createOrUpdateStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return retryRequest(ctx, func(ctx context.Context) (jetstream.Stream, error) {
		s, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return js.UpdateStream(ctx, cfg)
		}
		return s, err
	})
}

// createOrUpdateKeyValue is createOrUpdateStream for a bucket.
func createOrUpdateKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return retryRequest(ctx, func(ctx context.Context) (jetstream.KeyValue, error) {
		kv, err := js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			return js.UpdateKeyValue(ctx, cfg)
		}
		return kv, err
	})
}

// LookupResources binds to resources that a worker already created. Each
// lookup is one JetStream API request, sent again (retryRequest) when no
// reply comes or no server answers, until ctx ends; an answer, such as
// jetstream.ErrStreamNotFound, returns at once.
func LookupResources(ctx context.Context, js jetstream.JetStream, s Subjects) (*Resources, error) {
	var r Resources
	var err error
	stream := func(name string) (jetstream.Stream, error) {
		return retryRequest(ctx, func(ctx context.Context) (jetstream.Stream, error) { return js.Stream(ctx, name) })
	}
	if r.Jobs, err = stream(s.JobsStream()); err != nil {
		return nil, fmt.Errorf("jobs stream %s (is a worker running?): %w", s.JobsStream(), err)
	}
	if r.Events, err = stream(s.EventsStream()); err != nil {
		return nil, fmt.Errorf("events stream %s: %w", s.EventsStream(), err)
	}
	for _, b := range []struct {
		name string
		dst  *jetstream.KeyValue
	}{{s.CancelBucket(), &r.Cancel}, {s.StateBucket(), &r.State}, {s.WorkersBucket(), &r.Workers}} {
		*b.dst, err = retryRequest(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.KeyValue(ctx, b.name) })
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", b.name, err)
		}
	}
	return &r, nil
}

// requestAttempt bounds one try of retryRequest. A JetStream API
// request's reply can be lost while a cluster's routes are re-established
// or its meta leader is elected (seen in deploy's tests: a stream lookup
// waited out its whole minute, and a worker's stream create the 30 s of
// its setup on a cluster just started); sending it again gets an answer.
var requestAttempt = 5 * time.Second

// retryRequest runs op, an idempotent JetStream API request, with a
// deadline of requestAttempt (or ctx's, if sooner) until it returns
// anything but a timeout, nats.ErrNoResponders or JetStream's "temporarily
// unavailable", with backoff between tries, or ctx ends.
func retryRequest[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	var last error
	try := func() (T, error) {
		actx, cancel := context.WithTimeout(ctx, requestAttempt)
		defer cancel()
		v, err := op(actx)
		if err == nil || ctx.Err() != nil {
			return v, err
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) || unavailable(err) {
			last = err
			return v, err
		}
		return v, backoff.Permanent(err)
	}
	v, err := backoff.RetryWithData(try, backoff.WithContext(newBackoff(100*time.Millisecond, time.Second), ctx))
	if err != nil && ctx.Err() != nil && last != nil {
		err = fmt.Errorf("%w (retried after: %v)", err, last)
	}
	return v, err
}

// jsClusterNotAvail is nats-server's JSClusterNotAvailErr, "JetStream
// system temporarily unavailable": a cluster without a meta leader yet.
const jsClusterNotAvail jetstream.ErrorCode = 10008

// unavailable reports whether err says JetStream is temporarily down.
func unavailable(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == jsClusterNotAvail
}

// ErrQueueFull is returned when the jobs stream is at its bound and
// refuses a new job.
var ErrQueueFull = errors.New("job queue is full")

// errCodeStreamStoreFailed is the server's JSStreamStoreFailedF (10077):
// "maximum messages exceeded" or "maximum bytes exceeded" under DiscardNew.
const errCodeStreamStoreFailed jetstream.ErrorCode = 10077

// PublishError maps JetStream's refusal of a full stream to ErrQueueFull.
func PublishError(err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStreamStoreFailed {
		return fmt.Errorf("%w: %s", ErrQueueFull, apiErr.Description)
	}
	return err
}
