package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/engine"
)

// Causes of a job context's cancellation.
var (
	errCancelled = errors.New("cancelled by request")
	errShutdown  = errors.New("worker shutting down")
	errDeadline  = errors.New("job deadline passed")
)

type runningJob struct {
	cancel context.CancelCauseFunc
}

// jobState is the per-job record in the state bucket. Once Done, the
// terminal event is kept so that a redelivery (the worker died between
// publishing it and acking) republishes it under the same Nats-Msg-Id and
// acks, instead of running the job again.
type jobState struct {
	State    string          `json:"state"` // running or done
	Attempt  int             `json:"attempt"`
	WorkerID string          `json:"worker_id"`
	Terminal json.RawMessage `json:"terminal,omitempty"`
	// LastError is the last transient failure, for the dead-letter copy.
	LastError string `json:"last_error,omitempty"`
}

// jobRun is one delivery of one job.
type jobRun struct {
	w       *Worker
	msg     jetstream.Msg
	job     *Job
	attempt int
	reply   string
	core    bool // reply outside the events stream
	log     *logrus.Entry
}

func (w *Worker) runJob(msg jetstream.Msg) {
	attempt, queued := 1, time.Duration(0)
	if meta, err := msg.Metadata(); err == nil {
		attempt, queued = int(meta.NumDelivered), time.Since(meta.Timestamp)
	}
	job, err := DecodeJob(msg.Data(), w.info.Context)
	if err != nil {
		w.reject(msg, job, attempt, err)
		return
	}
	r := w.newRun(msg, job, attempt)
	r.run(queued)
}

func (w *Worker) newRun(msg jetstream.Msg, job *Job, attempt int) *jobRun {
	r := &jobRun{w: w, msg: msg, job: job, attempt: attempt, reply: job.ReplyTo}
	if r.reply == "" {
		r.reply = w.subj.Events(job.JobID)
	}
	r.core = !w.subj.InEventsStream(r.reply)
	r.log = w.log.WithFields(logrus.Fields{"job_id": job.JobID, "attempt": attempt})
	return r
}

// reject ends a job whose body is invalid: an INVALID_REQUEST event when
// there is an id to address it by, then Term so it is never redelivered.
func (w *Worker) reject(msg jetstream.Msg, job *Job, attempt int, cause error) {
	id := ""
	if job != nil && ValidJobID(job.JobID) {
		id = job.JobID
	} else if h := msg.Headers().Get("Nats-Msg-Id"); ValidJobID(h) {
		id = h
	}
	if id == "" {
		w.log.WithError(cause).Warn("job rejected, no job_id to report to")
		_ = msg.TermWithReason("invalid job: " + truncate(cause.Error(), 200))
		w.stats.failed.Add(1)
		return
	}
	fixed := Job{JobID: id}
	if job != nil && job.ReplyTo != "" && validSubject(job.ReplyTo) {
		fixed.ReplyTo = job.ReplyTo
	}
	r := w.newRun(msg, &fixed, attempt)
	r.log.WithError(cause).Warn("job rejected")
	r.finish(r.errorEvent(CodeInvalidRequest, cause.Error()), "invalid job")
}

func (r *jobRun) errorEvent(code, message string) *JobEvent {
	return &JobEvent{Type: EventError, JobID: r.job.JobID, Attempt: r.attempt, Code: code, Message: message}
}

func (r *jobRun) run(queued time.Duration) {
	w := r.w
	st := r.loadState()
	if st != nil && st.State == "done" {
		r.log.Info("job already finished, acking redelivery")
		r.finishRaw(st.Terminal, "")
		return
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	if !w.register(r.job.JobID, cancel) {
		// Redelivered to us while we still run it: the running copy acks.
		_ = r.msg.NakWithDelay(w.cfg.AckWait)
		return
	}
	defer w.unregister(r.job.JobID)
	stopTicker := r.keepAlive()
	defer stopTicker()

	if r.cancelRequested() {
		r.log.Info("job cancelled before it started")
		r.finish(&JobEvent{Type: EventEnd, JobID: r.job.JobID, Attempt: r.attempt, StopReason: string(engine.StopCancelled), Timings: &Timings{}}, "")
		return
	}
	if d := r.job.Deadline; d != nil {
		if time.Now().After(*d) {
			r.finish(r.errorEvent(CodeDeadlineExceeded, "deadline "+d.Format(time.RFC3339)+" passed before the job started"), "deadline passed")
			return
		}
		var stop context.CancelFunc
		ctx, stop = context.WithDeadlineCause(ctx, *d, errDeadline)
		defer stop()
	}
	running := &jobState{State: "running", Attempt: r.attempt, WorkerID: w.cfg.WorkerID}
	if st != nil {
		running.LastError = st.LastError // an earlier attempt's, for a dead-letter copy
	}
	r.saveState(running)
	started := &JobEvent{Type: EventStarted, JobID: r.job.JobID, Attempt: r.attempt,
		WorkerID: w.cfg.WorkerID, Model: w.cfg.Model, QueueMS: queued.Milliseconds()}
	if err := r.publish(started, ""); err != nil {
		r.transient(fmt.Errorf("publish started: %w", err), 0)
		return
	}
	r.log.WithField("queue_ms", queued.Milliseconds()).Info("job started")
	r.generate(ctx)
}

// generate runs the engine and ends the job according to how it stopped.
func (r *jobRun) generate(ctx context.Context) {
	w := r.w
	ts := &tokenStream{js: w.js, nc: w.nc, subject: r.reply, core: r.core, sync: w.cfg.SyncTokens,
		maxPending: w.cfg.TokenMaxPending, base: JobEvent{JobID: r.job.JobID, Attempt: r.attempt}}
	res, err := w.watch.generate(ctx, w.eng, r.job.Request(), ts.add)
	flushCtx, cancel := context.WithTimeout(context.Background(), w.cfg.AckWait)
	flushErr := ts.close(flushCtx)
	cancel()
	w.stats.tokens.Add(uint64(ts.sent))

	cause := context.Cause(ctx)
	stoppedByCtx := ctx.Err() != nil && (err != nil || res == nil || res.StopReason == engine.StopCancelled)
	switch {
	case stoppedByCtx && errors.Is(cause, errShutdown):
		r.handBack()
	case stoppedByCtx && errors.Is(cause, errDeadline):
		r.finish(r.errorEvent(CodeDeadlineExceeded, fmt.Sprintf("deadline passed after %d tokens", ts.sent)), "deadline passed")
	case err != nil && isInvalid(err):
		r.finish(r.errorEvent(CodeInvalidRequest, err.Error()), "invalid request")
	case err != nil && !stoppedByCtx:
		r.transient(err, ts.sent)
	case flushErr != nil:
		r.transient(flushErr, ts.sent)
	default:
		r.finish(r.endEvent(res, ts.sent), "")
	}
}

func isInvalid(err error) bool {
	return errors.Is(err, engine.ErrInvalidRequest) || errors.Is(err, engine.ErrPromptTooLong) ||
		errors.Is(err, engine.ErrNoChatTemplate) || errors.Is(err, ErrInvalidJob)
}

func (r *jobRun) endEvent(res *engine.Result, sent int) *JobEvent {
	ev := &JobEvent{Type: EventEnd, JobID: r.job.JobID, Attempt: r.attempt,
		StopReason: string(engine.StopCancelled), TokensOut: sent, Timings: &Timings{}}
	if res != nil {
		ev.StopReason = string(res.StopReason)
		ev.TokensIn, ev.TokensOut, ev.TokensCached = res.PromptTokens, res.OutputTokens, res.PromptCached
		ev.Timings = &Timings{PrefillMS: ms(res.Prefill), DecodeMS: ms(res.Decode), DecodeTokS: res.DecodeTokPerSec()}
	}
	return ev
}

// finish ends the job for good: record the terminal event in the state
// bucket, publish it, and only then Ack (or Term when termReason is set).
func (r *jobRun) finish(ev *JobEvent, termReason string) {
	data, err := json.Marshal(ev)
	if err != nil {
		r.log.WithError(err).Error("encode terminal event")
		return
	}
	if ev.Type == EventEnd {
		r.w.stats.done.Add(1)
	} else {
		r.w.stats.failed.Add(1)
	}
	r.saveState(&jobState{State: "done", Attempt: r.attempt, WorkerID: r.w.cfg.WorkerID, Terminal: data})
	r.logEnd(ev)
	r.finishRaw(data, termReason)
}

func (r *jobRun) finishRaw(terminal []byte, termReason string) {
	// Retry while NATS is away; keepAlive's InProgress holds the job meanwhile.
	op := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return publishRaw(ctx, r.w.js, r.w.nc, r.reply, r.core, terminal, terminalMsgID(r.job.JobID, r.msg.Headers()))
	}
	b := backoff.WithMaxRetries(newBackoff(100*time.Millisecond, 2*time.Second), 10)
	if err := backoff.Retry(op, b); err != nil {
		// Not acked: the job is redelivered, finds its state done and
		// republishes the terminal event.
		r.log.WithError(err).Error("terminal event not published; leaving the job for redelivery")
		return
	}
	testHookAfterTerminal()
	if termReason != "" {
		_ = r.msg.TermWithReason(termReason)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.msg.DoubleAck(ctx); err != nil {
		r.log.WithError(err).Warn("ack failed; a redelivery will ack from the state bucket")
	}
}

// transient ends this attempt with a retriable error and a delayed Nak,
// or for good with MAX_DELIVERIES on the last allowed delivery.
func (r *jobRun) transient(cause error, sent int) {
	if r.attempt >= r.w.cfg.MaxDeliver {
		msg := fmt.Sprintf("failed on delivery %d of %d: %v", r.attempt, r.w.cfg.MaxDeliver, cause)
		r.deadLetter(cause.Error())
		r.finish(r.errorEvent(CodeMaxDeliveries, msg), "max deliveries")
		return
	}
	r.w.stats.failed.Add(1)
	code := CodeEngine
	if errors.Is(cause, engine.ErrOutOfMemory) {
		code = CodeVRAMOOM
	}
	ev := r.errorEvent(code, cause.Error())
	ev.Retriable = true
	delay := r.w.cfg.RetryDelay << (r.attempt - 1)
	r.log.WithError(cause).WithFields(logrus.Fields{"tokens_out": sent, "retry_in": delay}).Warn("job failed, will retry")
	r.saveState(&jobState{State: "running", Attempt: r.attempt, WorkerID: r.w.cfg.WorkerID, LastError: cause.Error()})
	r.publishBestEffort(ev)
	_ = r.msg.NakWithDelay(delay)
}

// handBack gives an interrupted job to another worker at once.
func (r *jobRun) handBack() {
	ev := r.errorEvent(CodeWorkerShutdown, "worker "+r.w.cfg.WorkerID+" shut down; the job is redelivered")
	ev.Retriable = true
	r.log.Warn("job handed back at shutdown")
	r.publishBestEffort(ev)
	_ = r.msg.Nak()
}

func (r *jobRun) publish(ev *JobEvent, msgID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return publishEvent(ctx, r.w.js, r.w.nc, r.reply, r.core, ev, msgID)
}

func (r *jobRun) publishBestEffort(ev *JobEvent) {
	if err := r.publish(ev, ""); err != nil {
		r.log.WithError(err).Warn("publish error event")
	}
}

func (r *jobRun) logEnd(ev *JobEvent) {
	f := logrus.Fields{"tokens_in": ev.TokensIn, "tokens_out": ev.TokensOut}
	if ev.Timings != nil {
		f["prefill_ms"], f["decode_ms"], f["decode_tok_s"] = ev.Timings.PrefillMS, ev.Timings.DecodeMS, ev.Timings.DecodeTokS
	}
	if ev.Type == EventEnd {
		f["stop_reason"] = ev.StopReason
		r.log.WithFields(f).Info("job done")
		return
	}
	f["code"] = ev.Code
	r.log.WithFields(f).WithField("error", ev.Message).Warn("job failed")
}

// keepAlive calls InProgress on a ticker so AckWait never expires while
// this worker is alive and working on the job.
func (r *jobRun) keepAlive() (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(r.w.cfg.InProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = r.msg.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

func (r *jobRun) loadState() *jobState {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := r.w.res.State.Get(ctx, r.job.JobID)
	if err != nil {
		return nil
	}
	var st jobState
	if json.Unmarshal(e.Value(), &st) != nil {
		return nil
	}
	return &st
}

func (r *jobRun) saveState(st *jobState) {
	data, _ := json.Marshal(st)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.w.res.State.Put(ctx, r.job.JobID, data); err != nil {
		r.log.WithError(err).Warn("save job state")
	}
}

func (r *jobRun) cancelRequested() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := r.w.res.Cancel.Get(ctx, r.job.JobID)
	return err == nil
}

func (w *Worker) register(jobID string, cancel context.CancelCauseFunc) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.running[jobID]; ok {
		return false
	}
	w.running[jobID] = &runningJob{cancel: cancel}
	return true
}

func (w *Worker) unregister(jobID string) {
	w.mu.Lock()
	delete(w.running, jobID)
	w.mu.Unlock()
}
