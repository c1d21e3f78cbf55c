package consumer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadJob is one job in the dead-letter stream.
type DeadJob struct {
	Seq        uint64    `json:"seq"` // in the dead-letter stream
	JobID      string    `json:"job_id"`
	Subject    string    `json:"subject"` // the jobs subject it was queued on
	LastError  string    `json:"last_error"`
	Deliveries int       `json:"deliveries"`
	DeadAt     time.Time `json:"dead_at"`
	Body       []byte    `json:"-"`
}

// ErrNotDead is returned by Requeue for a job id the dead-letter stream
// does not hold.
var ErrNotDead = errors.New("job is not in the dead-letter stream")

func deadJob(m *jetstream.RawStreamMsg) DeadJob {
	d := DeadJob{Seq: m.Sequence, JobID: m.Header.Get(HeaderJobID), Subject: m.Header.Get(HeaderJobSubject),
		LastError: m.Header.Get(HeaderLastError), Body: m.Data}
	d.Deliveries, _ = strconv.Atoi(m.Header.Get(HeaderDeliveries))
	d.DeadAt, _ = time.Parse(time.RFC3339, m.Header.Get(HeaderDeadAt))
	return d
}

// ListDeadLetters returns the dead-letter stream's jobs, oldest first, at
// most limit of them (0: all).
func ListDeadLetters(ctx context.Context, js jetstream.JetStream, s Subjects, limit int) ([]DeadJob, error) {
	st, err := js.Stream(ctx, s.DeadLetterStream())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream: %w", err)
	}
	var out []DeadJob
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // requeued or purged
		}
		if err != nil {
			return out, fmt.Errorf("dead-letter message %d: %w", seq, err)
		}
		out = append(out, deadJob(m))
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// Requeue puts the dead job jobID back on its jobs subject as a fresh job:
// its per-job state and cancel record are cleared (so the worker runs it
// instead of replaying the old terminal event), its old events are purged
// (so a replay shows only the new run), and the dead-letter copy is
// removed once the job is queued.
func Requeue(ctx context.Context, js jetstream.JetStream, s Subjects, jobID string) (*DeadJob, error) {
	if !ValidJobID(jobID) {
		return nil, fmt.Errorf("%w: job_id %q", ErrInvalidJob, jobID)
	}
	dlq, err := js.Stream(ctx, s.DeadLetterStream())
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream: %w", err)
	}
	m, err := dlq.GetLastMsgForSubject(ctx, s.DeadLetter(jobID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotDead, jobID)
	}
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream: %w", err)
	}
	d := deadJob(m)
	res, err := LookupResources(ctx, js, s)
	if err != nil {
		return nil, err
	}
	for _, kv := range []jetstream.KeyValue{res.State, res.Cancel} {
		if err := kv.Purge(ctx, jobID); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("clear state of %s: %w", jobID, err)
		}
	}
	if err := res.Events.Purge(ctx, jetstream.WithPurgeSubject(s.Events(jobID))); err != nil {
		return nil, fmt.Errorf("purge old events of %s: %w", jobID, err)
	}
	job := nats.NewMsg(d.Subject)
	job.Data = d.Body
	job.Header.Set(HeaderRequeue, strconv.FormatUint(d.Seq, 10))
	if _, err := js.PublishMsg(ctx, job, jetstream.WithMsgID(fmt.Sprintf("%s.requeue.%d", jobID, d.Seq))); err != nil {
		return nil, fmt.Errorf("requeue %s: %w", jobID, PublishError(err))
	}
	if err := dlq.DeleteMsg(ctx, d.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return &d, fmt.Errorf("requeued %s, but its dead-letter copy stays: %w", jobID, err)
	}
	return &d, nil
}
