package consumer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/engine"
)

// Config tunes a Worker. Zero fields take the defaults below.
type Config struct {
	Prefix   string // subject prefix, default "orcd"
	WorkerID string // default: hostname-<random>
	Model    string // model name jobs are addressed to, default the engine's
	Slots    int    // jobs run at once, default the engine's slots
	Version  string // reported in heartbeats

	AckWait         time.Duration // redelivery after a silent worker, default 10s
	InProgressEvery time.Duration // InProgress cadence while a job runs, default AckWait/3
	MaxDeliver      int           // deliveries of one job, default 3
	RetryDelay      time.Duration // first NakWithDelay after a transient failure, doubled per attempt, default 1s
	Heartbeat       time.Duration // default 5s
	Grace           time.Duration // how long running jobs may finish at shutdown, default 30s
	FetchWait       time.Duration // one pull request's expiry, default 1s
	WedgeAfter      time.Duration // a Generate silent this long marks the engine wedged, default DefaultWedgeAfter

	// CreateStreams creates or updates the streams and buckets at start;
	// when false they must already exist.
	CreateStreams bool
	Streams       StreamConfig

	// TokenMaxPending bounds the asynchronous token publishes awaiting their
	// JetStream ack per job; tokens produced meanwhile are coalesced.
	TokenMaxPending int
	// SyncTokens publishes every token event synchronously (one ack wait
	// per token). Only for measuring what that costs.
	SyncTokens bool

	Log logrus.FieldLogger
}

func (c *Config) fill(info engine.Info) {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.WorkerID == "" {
		host, _ := os.Hostname()
		c.WorkerID = ModelToken(host) + "-" + nuid.Next()[:8]
	}
	if c.Model == "" {
		c.Model = info.Model
	}
	if c.Slots <= 0 {
		c.Slots = max(info.Slots, 1)
	}
	durDef := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	durDef(&c.AckWait, 10*time.Second)
	durDef(&c.InProgressEvery, c.AckWait/3)
	durDef(&c.RetryDelay, time.Second)
	durDef(&c.Heartbeat, 5*time.Second)
	durDef(&c.Grace, 30*time.Second)
	durDef(&c.FetchWait, time.Second)
	durDef(&c.WedgeAfter, DefaultWedgeAfter)
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 3
	}
	if c.TokenMaxPending <= 0 {
		c.TokenMaxPending = 16
	}
	if c.Log == nil {
		c.Log = logrus.StandardLogger()
	}
}

// Worker takes jobs for one model from the shared durable consumer and runs
// at most Slots of them at once on its engine.
type Worker struct {
	cfg   Config
	nc    *nats.Conn
	js    jetstream.JetStream
	eng   engine.Engine
	info  engine.Info
	subj  Subjects
	log   logrus.FieldLogger
	res   *Resources
	cons  jetstream.Consumer
	dlq   jetstream.Stream
	watch *watchdog

	stopping chan struct{} // closed when shutdown begins: fetch no more
	ready    chan struct{} // closed once streams and consumer exist
	stats    stats

	mu      sync.Mutex
	running map[string]*runningJob // by job_id
	jobs    sync.WaitGroup         // running jobs
}

// New prepares a worker; Run starts it. nc stays owned by the caller.
func New(nc *nats.Conn, eng engine.Engine, cfg Config) (*Worker, error) {
	info := eng.Info()
	cfg.fill(info)
	if !ValidJobID(cfg.WorkerID) {
		return nil, fmt.Errorf("worker id %q: must be 1-128 characters of [A-Za-z0-9_-]", cfg.WorkerID)
	}
	// A token publish whose ack never comes (the server died before storing
	// it) fails after a while instead of stalling the job forever.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024),
		jetstream.WithPublishAsyncTimeout(cfg.AckWait))
	if err != nil {
		return nil, err
	}
	w := &Worker{
		cfg: cfg, nc: nc, js: js, eng: eng, info: info,
		subj:     NewSubjects(cfg.Prefix),
		stopping: make(chan struct{}),
		ready:    make(chan struct{}),
		running:  map[string]*runningJob{},
		watch:    newWatchdog(cfg.WedgeAfter),
	}
	w.log = cfg.Log.WithFields(logrus.Fields{"worker_id": cfg.WorkerID, "model": cfg.Model})
	w.stats.start = time.Now()
	return w, nil
}

// ID is the worker's id.
func (w *Worker) ID() string { return w.cfg.WorkerID }

// Model is the name jobs address this worker's model by.
func (w *Worker) Model() string { return w.cfg.Model }

// Ready is closed once Run has set up the streams and the consumer, so
// jobs can be submitted, and has published the worker's first heartbeat.
func (w *Worker) Ready() <-chan struct{} { return w.ready }

// Subjects are the worker's subjects.
func (w *Worker) Subjects() Subjects { return w.subj }

// Run consumes jobs until ctx ends, then shuts down gracefully: it stops
// fetching, gives running jobs Grace to finish, hands the rest back to the
// queue with a Nak, and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	setup, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := w.setup(setup)
	cancel()
	if err != nil {
		return err
	}
	cancelSub, err := w.nc.Subscribe(w.subj.Cancel("*"), w.onCancel)
	if err != nil {
		return fmt.Errorf("cancel subscription: %w", err)
	}
	defer cancelSub.Unsubscribe()
	advSub, err := w.watchMaxDeliveries()
	if err != nil {
		return fmt.Errorf("max deliveries advisory subscription: %w", err)
	}
	defer advSub.Unsubscribe()

	bg, stopBG := context.WithCancel(context.Background())
	// Ready means visible: the first engine sample and heartbeat go out
	// before it, so `worker workers` (and Client.Workers) list a worker
	// as soon as it takes jobs.
	w.stats.sample.Store(w.sampleEngine())
	w.publishHeartbeat(bg, w.heartbeat())
	var loops sync.WaitGroup
	loops.Add(1)
	go func() { defer loops.Done(); w.heartbeatLoop(bg) }()
	svc := w.startService()

	w.log.WithFields(logrus.Fields{"slots": w.cfg.Slots, "subject": w.subj.Jobs(w.cfg.Model)}).Info("worker started")
	close(w.ready)
	var fetchers sync.WaitGroup
	for range w.cfg.Slots {
		fetchers.Add(1)
		go func() { defer fetchers.Done(); w.fetchLoop() }()
	}

	<-ctx.Done()
	w.log.WithField("grace", w.cfg.Grace).Info("shutting down: no new jobs")
	close(w.stopping)
	// No pull request may be left open when jobs are handed back, or the
	// server would redeliver a Nak'd job straight back to this worker.
	fetchers.Wait()
	w.drain()
	if svc != nil {
		svc.Stop()
	}
	stopBG()
	loops.Wait()
	w.retire()
	w.log.Info("worker stopped")
	return nil
}

func (w *Worker) setup(ctx context.Context) error {
	var err error
	if w.cfg.CreateStreams {
		w.res, err = EnsureResources(ctx, w.js, w.subj, w.cfg.Streams, w.cfg.Heartbeat)
	} else {
		w.res, err = LookupResources(ctx, w.js, w.subj)
	}
	if err != nil {
		return err
	}
	if w.cfg.CreateStreams {
		_, err = EnsureDeadLetterStream(ctx, w.js, w.subj)
	} else {
		_, err = retryRequest(ctx, func(ctx context.Context) (jetstream.Stream, error) {
			return w.js.Stream(ctx, w.subj.DeadLetterStream())
		})
	}
	if err != nil {
		return fmt.Errorf("dead-letter stream %s: %w", w.subj.DeadLetterStream(), err)
	}
	w.cons, err = retryRequest(ctx, func(ctx context.Context) (jetstream.Consumer, error) {
		return w.js.CreateOrUpdateConsumer(ctx, w.subj.JobsStream(), w.consumerConfig())
	})
	if err != nil {
		return fmt.Errorf("consumer %s: %w", w.subj.Durable(w.cfg.Model), err)
	}
	return nil
}

// consumerConfig is the durable pull consumer that the model's workers
// share.
func (w *Worker) consumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       w.subj.Durable(w.cfg.Model),
		Description:   "orcd workers for model " + w.cfg.Model,
		FilterSubject: w.subj.Jobs(w.cfg.Model),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       w.cfg.AckWait,
		MaxDeliver:    w.cfg.MaxDeliver,
		MaxAckPending: -1,
	}
}

// fetchLoop is one slot: it asks for a single job only when the slot is
// free, so the worker never holds a job it cannot start (no prefetch
// buffer). It returns as soon as shutdown begins, even while its job runs.
func (w *Worker) fetchLoop() {
	b := newBackoff(100*time.Millisecond, 5*time.Second)
	for {
		select {
		case <-w.stopping:
			return
		default:
		}
		if w.unhealthy() != nil {
			// An unhealthy or wedged engine takes no jobs; others' workers will.
			select {
			case <-w.stopping:
				return
			case <-time.After(w.cfg.FetchWait):
			}
			continue
		}
		batch, err := w.cons.Fetch(1, jetstream.FetchMaxWait(w.cfg.FetchWait))
		if err == nil {
			for msg := range batch.Messages() {
				if !w.take(msg) {
					return
				}
			}
			err = batch.Error()
		}
		if err == nil || errors.Is(err, nats.ErrTimeout) {
			b.Reset()
			continue
		}
		d := b.NextBackOff()
		w.log.WithError(err).WithField("retry_in", d.Round(time.Millisecond)).Warn("fetch failed")
		select {
		case <-w.stopping:
			return
		case <-time.After(d):
		}
	}
}

// take runs msg and waits for it, or hands it straight back when shutdown
// has begun (a pull request may be answered after the stop). It returns
// false when the slot should stop fetching.
func (w *Worker) take(msg jetstream.Msg) bool {
	select {
	case <-w.stopping:
		_ = msg.Nak()
		return false
	default:
	}
	w.jobs.Add(1)
	done := make(chan struct{})
	go func() {
		defer w.jobs.Done()
		defer close(done)
		w.runJob(msg)
	}()
	select {
	case <-done:
		return true
	case <-w.stopping:
		return false
	}
}

// drain waits for running jobs up to Grace, then interrupts the rest; their
// runners publish a retriable WORKER_SHUTDOWN error and Nak them.
func (w *Worker) drain() {
	done := make(chan struct{})
	go func() { w.jobs.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(w.cfg.Grace):
	}
	w.mu.Lock()
	n := len(w.running)
	for _, rj := range w.running {
		rj.cancel(errShutdown)
	}
	w.mu.Unlock()
	w.log.WithField("jobs", n).Warn("grace period over: handing running jobs back")
	<-done
}

// onCancel handles <prefix>.cancel.<job_id>: remember the cancel for a job
// still queued, then stop the job if it runs here. The bucket write comes
// first so a job registering concurrently sees one or the other.
func (w *Worker) onCancel(m *nats.Msg) {
	jobID := m.Subject[len(w.subj.Cancel("")):]
	if !ValidJobID(jobID) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := w.res.Cancel.Put(ctx, jobID, []byte("1")); err != nil {
		w.log.WithError(err).WithField("job_id", jobID).Warn("cancel: remember failed")
	}
	w.mu.Lock()
	rj := w.running[jobID]
	w.mu.Unlock()
	if rj != nil {
		rj.cancel(errCancelled)
		w.log.WithField("job_id", jobID).Info("cancel requested")
	}
	if m.Reply != "" {
		_ = m.Respond([]byte(`{"ok":true}`))
	}
}
