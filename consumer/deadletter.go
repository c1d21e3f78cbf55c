package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sirupsen/logrus"
)

// Headers of a dead-lettered job. The body is the job exactly as it was
// published, so a requeue publishes it again unchanged.
const (
	HeaderJobID      = "Orcd-Job-Id"
	HeaderJobSubject = "Orcd-Job-Subject" // where the job was queued, and is requeued to
	HeaderLastError  = "Orcd-Last-Error"
	HeaderDeliveries = "Orcd-Deliveries"
	HeaderDeadAt     = "Orcd-Dead-At"
	// HeaderRequeue counts requeues of a job. The terminal event's
	// Nats-Msg-Id carries it, or the events stream would drop a requeued
	// run's terminal event as a duplicate of the first run's.
	HeaderRequeue = "Orcd-Requeue"
)

// DeadLetterStream is the stream of jobs that used up their deliveries.
func (s Subjects) DeadLetterStream() string { return s.name("DLQ") }

// DeadLetter is the subject a dead job is copied to.
func (s Subjects) DeadLetter(jobID string) string { return s.Prefix + ".dlq." + jobID }

// AllDeadLetters is the dead-letter stream's subject filter.
func (s Subjects) AllDeadLetters() string { return s.Prefix + ".dlq.>" }

// terminalMsgID deduplicates a job's terminal event in the events stream:
// <job_id>.terminal, and <job_id>.terminal.r<n> after the n-th requeue.
func terminalMsgID(jobID string, h nats.Header) string {
	if n := h.Get(HeaderRequeue); n != "" {
		return jobID + ".terminal.r" + n
	}
	return jobID + ".terminal"
}

// EnsureDeadLetterStream creates or updates the dead-letter stream. Dead
// jobs are kept until someone requeues or purges them (limits retention,
// bounded in bytes, oldest dropped first).
func EnsureDeadLetterStream(ctx context.Context, js jetstream.JetStream, s Subjects) (jetstream.Stream, error) {
	st, err := createOrUpdateStream(ctx, js, jetstream.StreamConfig{
		Name:        s.DeadLetterStream(),
		Description: "orcd jobs that failed on every allowed delivery, with their last error",
		Subjects:    []string{s.AllDeadLetters()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxBytes:    DefaultJobsMaxBytes,
		Discard:     jetstream.DiscardOld,
		Duplicates:  2 * time.Minute,
		Replicas:    replicas(js),
	})
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", s.DeadLetterStream(), err)
	}
	return st, nil
}

// deadLetter copies a job that will not be delivered again to the
// dead-letter stream. The Nats-Msg-Id makes a second copy of the same
// delivery (two workers handling one advisory) a no-op.
func (w *Worker) deadLetter(ctx context.Context, jobID, subject string, body []byte, seq uint64, deliveries int, lastErr string) error {
	m := nats.NewMsg(w.subj.DeadLetter(jobID))
	m.Data = body
	m.Header.Set(HeaderJobID, jobID)
	m.Header.Set(HeaderJobSubject, subject)
	m.Header.Set(HeaderLastError, truncate(lastErr, 1000))
	m.Header.Set(HeaderDeliveries, strconv.Itoa(deliveries))
	m.Header.Set(HeaderDeadAt, time.Now().UTC().Format(time.RFC3339))
	_, err := w.js.PublishMsg(ctx, m, jetstream.WithMsgID(fmt.Sprintf("%s.dlq.%d", jobID, seq)))
	if err != nil {
		return fmt.Errorf("dead-letter %s: %w", jobID, err)
	}
	return nil
}

// deadLetterRun copies the job of r to the dead-letter stream; a failure is
// only logged, the job still ends.
func (r *jobRun) deadLetter(lastErr string) {
	seq := uint64(0)
	if meta, err := r.msg.Metadata(); err == nil {
		seq = meta.Sequence.Stream
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.w.deadLetter(ctx, r.job.JobID, r.msg.Subject(), r.msg.Data(), seq, r.attempt, lastErr); err != nil {
		r.log.WithError(err).Error("dead-letter copy failed")
	}
}

// maxDeliveriesAdvisory is the part of io.nats.jetstream.advisory.v1.max_deliver we use.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries int    `json:"deliveries"`
}

// watchMaxDeliveries subscribes to the server's MAX_DELIVERIES advisory for
// this model's consumer. It fires when a job's last allowed delivery
// expired without an ack: its worker crashed, or lost NATS, every time.
// Work-queue retention keeps such a message forever and the consumer never
// delivers it again, so without this the job would hang with no terminal
// event. One worker of the queue group ends it.
func (w *Worker) watchMaxDeliveries() (*nats.Subscription, error) {
	subj := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + w.subj.JobsStream() + "." + w.subj.Durable(w.cfg.Model)
	return w.nc.QueueSubscribe(subj, w.subj.Durable(w.cfg.Model)+"_DLQ", func(m *nats.Msg) {
		var adv maxDeliveriesAdvisory
		if err := json.Unmarshal(m.Data, &adv); err != nil || adv.StreamSeq == 0 {
			w.log.WithError(err).Warn("max deliveries advisory: unreadable")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.endAbandoned(ctx, adv); err != nil {
			w.log.WithError(err).WithField("stream_seq", adv.StreamSeq).Error("max deliveries: job not ended")
		}
	})
}

// endAbandoned ends the job at adv.StreamSeq: a final MAX_DELIVERIES error
// event (or, when the job had in fact finished and only its ack was lost,
// its recorded terminal event), a dead-letter copy, and the message
// removed from the jobs stream.
func (w *Worker) endAbandoned(ctx context.Context, adv maxDeliveriesAdvisory) error {
	raw, err := w.res.Jobs.GetMsg(ctx, adv.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // already acked or removed by another worker
	}
	if err != nil {
		return err
	}
	jobID := raw.Header.Get("Nats-Msg-Id")
	job, decErr := DecodeJob(raw.Data, w.info.Context)
	if job != nil && ValidJobID(job.JobID) {
		jobID = job.JobID
	}
	if !ValidJobID(jobID) {
		_ = w.res.Jobs.DeleteMsg(ctx, adv.StreamSeq)
		return fmt.Errorf("job at sequence %d has no valid job_id: %v", adv.StreamSeq, decErr)
	}
	reply := w.subj.Events(jobID)
	if job != nil && job.ReplyTo != "" && validSubject(job.ReplyTo) {
		reply = job.ReplyTo
	}
	log := w.log.WithFields(logrus.Fields{"job_id": jobID, "attempt": adv.Deliveries})
	terminal, lastErr := w.abandonedTerminal(ctx, jobID, adv.Deliveries)
	if lastErr != "" {
		if err := w.deadLetter(ctx, jobID, raw.Subject, raw.Data, adv.StreamSeq, adv.Deliveries, lastErr); err != nil {
			return err
		}
		log.WithField("error", lastErr).Warn("job dead-lettered: no delivery finished")
		w.stats.failed.Add(1)
	}
	core := !w.subj.InEventsStream(reply)
	if err := publishRaw(ctx, w.js, w.nc, reply, core, terminal, terminalMsgID(jobID, raw.Header)); err != nil {
		return fmt.Errorf("publish terminal event: %w", err)
	}
	return w.res.Jobs.DeleteMsg(ctx, adv.StreamSeq)
}

// abandonedTerminal is the terminal event for a job whose deliveries ran
// out: the recorded one if a worker finished it, else a new MAX_DELIVERIES
// error (recorded first), with lastErr the reason for the dead-letter copy.
func (w *Worker) abandonedTerminal(ctx context.Context, jobID string, deliveries int) (terminal []byte, lastErr string) {
	var st jobState
	if e, err := w.res.State.Get(ctx, jobID); err == nil && json.Unmarshal(e.Value(), &st) == nil && st.State == "done" && len(st.Terminal) > 0 {
		return st.Terminal, ""
	}
	lastErr = st.LastError
	if lastErr == "" {
		lastErr = fmt.Sprintf("no delivery finished: the worker (last %q, attempt %d) stopped sending InProgress, crashed or lost NATS", st.WorkerID, st.Attempt)
	}
	ev := &JobEvent{Type: EventError, JobID: jobID, Attempt: deliveries, Code: CodeMaxDeliveries,
		Message: fmt.Sprintf("gave up after %d deliveries: %s", deliveries, lastErr)}
	terminal, _ = json.Marshal(ev)
	data, _ := json.Marshal(&jobState{State: "done", Attempt: deliveries, WorkerID: w.cfg.WorkerID, Terminal: terminal, LastError: lastErr})
	if _, err := w.res.State.Put(ctx, jobID, data); err != nil {
		w.log.WithError(err).WithField("job_id", jobID).Warn("save job state")
	}
	return terminal, lastErr
}
