package consumer_test

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sirupsen/logrus"
	"go.uber.org/goleak"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
	"github.com/orcd/orcd/consumer/enginetest"
	"github.com/orcd/orcd/engine"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is one test's NATS server and what runs against it.
type env struct {
	t        testing.TB
	srv      *server.Server
	dir      string
	cleanups []func() // run in reverse before the server stops
}

func (e *env) cleanup(f func()) { e.cleanups = append(e.cleanups, f) }

// withServer runs fn against a fresh in-process JetStream server (file
// storage in a temp dir) and shuts everything down afterwards.
func withServer(t testing.TB, fn func(e *env)) {
	t.Helper()
	dir := t.TempDir()
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	e := &env{t: t, srv: srv, dir: dir}
	defer func() {
		for i := len(e.cleanups) - 1; i >= 0; i-- {
			e.cleanups[i]()
		}
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	fn(e)
}

func quietLog() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func (e *env) conn() *nats.Conn {
	e.t.Helper()
	nc, err := consumer.Connect(context.Background(), consumer.ConnOptions{InProcess: e.srv, Name: e.t.Name()}, quietLog())
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	e.cleanup(nc.Close)
	return nc
}

// testConfig is fast: short AckWait, heartbeat and fetch expiry.
func testConfig(id string) consumer.Config {
	return consumer.Config{
		WorkerID: id, CreateStreams: true, AckWait: 2 * time.Second, Heartbeat: 200 * time.Millisecond,
		FetchWait: 200 * time.Millisecond, RetryDelay: 50 * time.Millisecond, Grace: 5 * time.Second,
		Log: quietLog(), Version: "0.1.0",
	}
}

// running is a worker started by startWorker.
type running struct {
	w    *consumer.Worker
	stop func() // graceful stop; waits for Run to return
}

func (e *env) startWorker(eng engine.Engine, cfg consumer.Config) *running {
	e.t.Helper()
	nc := e.conn()
	w, err := consumer.New(nc, eng, cfg)
	if err != nil {
		e.t.Fatalf("new worker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("worker %s: Run: %v", cfg.WorkerID, err)
			}
		})
	}
	e.cleanup(stop)
	e.waitWorker(nc, w.ID())
	return &running{w: w, stop: stop}
}

// waitWorker returns once worker id has published a heartbeat (its
// streams and consumer exist then).
func (e *env) waitWorker(nc *nats.Conn, id string) {
	e.t.Helper()
	c := e.client()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ws, _ := c.Workers(context.Background())
		for _, w := range ws {
			if w.WorkerID == id {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("worker %s never showed up", id)
}

func (e *env) client() *client.Client {
	e.t.Helper()
	c, err := client.New(e.conn())
	if err != nil {
		e.t.Fatalf("client: %v", err)
	}
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// collect gathers a run's events; fails on a missing terminal event.
func collect(t *testing.T, run *client.Run) []client.Event {
	t.Helper()
	var evs []client.Event
	for ev := range run.Events() {
		evs = append(evs, ev)
	}
	if err := run.Err(); err != nil {
		t.Fatalf("job %s: %v (events %+v)", run.JobID, err, evs)
	}
	return evs
}

// rawEvents reads every stored event of jobID from the events stream, as
// a late subscriber with only the nats CLI would, until the stream has no
// more after wait.
func (e *env) rawEvents(jobID string, wait time.Duration) []consumer.JobEvent {
	e.t.Helper()
	js, _ := jetstream.New(e.conn())
	s := consumer.NewSubjects("")
	cons, err := js.OrderedConsumer(context.Background(), s.EventsStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.Events(jobID)},
	})
	if err != nil {
		e.t.Fatalf("ordered consumer: %v", err)
	}
	var out []consumer.JobEvent
	for {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(wait))
		if err != nil {
			e.t.Fatalf("fetch events: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			var ev consumer.JobEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				e.t.Fatalf("event %q: %v", m.Data(), err)
			}
			out = append(out, ev)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

func countTerminal(evs []consumer.JobEvent) int {
	n := 0
	for i := range evs {
		if evs[i].Terminal() {
			n++
		}
	}
	return n
}

// jobsLeft is the number of messages still in the jobs stream.
func (e *env) jobsLeft() uint64 {
	e.t.Helper()
	js, _ := jetstream.New(e.conn())
	st, err := js.Stream(context.Background(), consumer.NewSubjects("").JobsStream())
	if err != nil {
		e.t.Fatalf("jobs stream: %v", err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		e.t.Fatalf("jobs stream info: %v", err)
	}
	return info.State.Msgs
}

var _ = enginetest.Text
