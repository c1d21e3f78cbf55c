// Package client submits jobs to orcd workers over NATS and follows their
// events, hiding replays and redeliveries: a caller sees each attempt's
// tokens once, in order, and exactly one terminal event.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/orcd/orcd/consumer"
)

// Job is the job body (see consumer.Job).
type Job = consumer.Job

// Event is one job event (see consumer.JobEvent).
type Event = consumer.JobEvent

// Errors Submit returns (wrapped).
var (
	ErrQueueFull = consumer.ErrQueueFull // the jobs stream is at its bound
	ErrTooLarge  = errors.New("job is larger than the server's max_payload")
	ErrNoStreams = errors.New("orcd streams not found: start a worker first")
)

// Client talks to the workers behind one subject prefix.
type Client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	subj consumer.Subjects
}

// Option configures a Client.
type Option func(*Client)

// WithPrefix sets the subject prefix (default "orcd").
func WithPrefix(prefix string) Option {
	return func(c *Client) { c.subj = consumer.NewSubjects(prefix) }
}

// New returns a client on nc; nc stays owned by the caller.
func New(nc *nats.Conn, opts ...Option) (*Client, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	c := &Client{nc: nc, js: js, subj: consumer.NewSubjects("")}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Subjects are the client's subjects.
func (c *Client) Subjects() consumer.Subjects { return c.subj }

// Submit publishes job to model's queue and returns its events. An empty
// JobID is filled with a fresh one. Resubmitting a job_id within two
// minutes is deduplicated by JetStream, and Submit then follows the
// original job. The subscription is made before publishing, so nothing is
// missed; it ends with the terminal event, ctx, or Close.
func (c *Client) Submit(ctx context.Context, model string, job *Job) (*Run, error) {
	if job.JobID == "" {
		job.JobID = nuid.Next()
	}
	if err := job.Validate(0); err != nil {
		return nil, err
	}
	data, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	if max := c.nc.MaxPayload(); max > 0 && int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), max)
	}
	run, err := c.follow(ctx, job.JobID, job.ReplyTo)
	if err != nil {
		return nil, err
	}
	_, err = c.js.Publish(ctx, c.subj.Jobs(model), data, jetstream.WithMsgID(job.JobID))
	if err != nil {
		run.Close()
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			return nil, fmt.Errorf("%w (no stream captures %s)", ErrNoStreams, c.subj.Jobs(model))
		}
		return nil, fmt.Errorf("submit %s: %w", job.JobID, consumer.PublishError(err))
	}
	return run, nil
}

// Watch follows the events of a job submitted earlier (with the default
// reply subject), replaying them from the start.
func (c *Client) Watch(ctx context.Context, jobID string) (*Run, error) {
	if !consumer.ValidJobID(jobID) {
		return nil, fmt.Errorf("%w: job_id %q", consumer.ErrInvalidJob, jobID)
	}
	return c.follow(ctx, jobID, "")
}

// Cancel asks for jobID to stop: running, it ends within a token with
// stop_reason "cancelled"; still queued, it ends so when picked up.
// Cancelling twice, or a finished job, is harmless.
func (c *Client) Cancel(ctx context.Context, jobID string) error {
	if !consumer.ValidJobID(jobID) {
		return fmt.Errorf("%w: job_id %q", consumer.ErrInvalidJob, jobID)
	}
	// Remember it first: a worker picking the job up now checks the bucket.
	if kv, err := c.js.KeyValue(ctx, c.subj.CancelBucket()); err == nil {
		if _, err := kv.Put(ctx, jobID, []byte("1")); err != nil {
			return fmt.Errorf("cancel %s: %w", jobID, err)
		}
	}
	if err := c.nc.Publish(c.subj.Cancel(jobID), nil); err != nil {
		return fmt.Errorf("cancel %s: %w", jobID, err)
	}
	return c.nc.FlushWithContext(ctx)
}

// Workers lists the live workers, by id, from the workers bucket. Records
// older than three heartbeat intervals are left out.
func (c *Client) Workers(ctx context.Context) ([]consumer.Heartbeat, error) {
	kv, err := c.js.KeyValue(ctx, c.subj.WorkersBucket())
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workers bucket: %w", err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("workers bucket: %w", err)
	}
	var out []consumer.Heartbeat
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue // expired or deleted between list and get
		}
		var hb consumer.Heartbeat
		if json.Unmarshal(e.Value(), &hb) != nil || hb.Stale(timeNow()) {
			continue
		}
		out = append(out, hb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].WorkerID < out[j].WorkerID })
	return out, nil
}
