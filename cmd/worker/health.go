package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/consumer"
)

func init() {
	register("health", "exit 0 if a worker's own heartbeat is fresh and healthy (a readiness probe)", runHealth)
}

// runHealth reads the worker's record from the registry bucket, the same
// record its heartbeat goroutine refreshes. A fresh, healthy record means
// the worker is connected and consuming; a missing, stale or unhealthy one
// fails the probe. It takes the serve flags' environment (ORCD_NATS_URL,
// ORCD_WORKER_ID, ...), so a probe in the worker's container needs no
// arguments.
func runHealth(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("health", stderr)
	nf := addNATSFlags(fs)
	workerID := fs.String("worker-id", "", "the worker to check (required; serve's --worker-id)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if *workerID == "" {
		return &exitError{code: 2, msg: "--worker-id is required (also ORCD_WORKER_ID)"}
	}
	log := quietLogger(stderr, logrus.ErrorLevel)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if nf.conn.URL == "" {
		return &exitError{code: 1, msg: "no --nats-url: a worker with an embedded server has no registry to probe from outside"}
	}
	nc, err := nf.connect(ctx, "orcd health", log)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("unhealthy: cannot reach NATS: %v", err)}
	}
	defer nc.Close()
	hb, err := readHeartbeat(ctx, nc, consumer.NewSubjects(nf.prefix), *workerID)
	if err != nil {
		return &exitError{code: 1, msg: "unhealthy: " + err.Error()}
	}
	if err := checkHeartbeat(hb, time.Now()); err != nil {
		return &exitError{code: 1, msg: "unhealthy: " + err.Error()}
	}
	fmt.Fprintf(stdout, "worker %s healthy: %d/%d slots busy, heartbeat %.1fs ago\n",
		hb.WorkerID, hb.SlotsBusy, hb.SlotsTotal, time.Since(hb.Time).Seconds())
	return nil
}

// readHeartbeat fetches worker id's record from the registry bucket.
func readHeartbeat(ctx context.Context, nc *nats.Conn, s consumer.Subjects, id string) (*consumer.Heartbeat, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, s.WorkersBucket())
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", s.WorkersBucket(), err)
	}
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("no heartbeat from worker %q in %s (not running, or not connected for 3 heartbeats)", id, s.WorkersBucket())
	}
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", s.WorkersBucket(), err)
	}
	var hb consumer.Heartbeat
	if err := json.Unmarshal(e.Value(), &hb); err != nil {
		return nil, fmt.Errorf("worker %q: bad registry record: %w", id, err)
	}
	return &hb, nil
}

// checkHeartbeat judges a record read at now.
func checkHeartbeat(hb *consumer.Heartbeat, now time.Time) error {
	switch {
	case hb.Stale(now):
		return fmt.Errorf("worker %q: last heartbeat %s ago, more than 3 intervals of %gs",
			hb.WorkerID, now.Sub(hb.Time).Round(time.Millisecond), hb.HeartbeatS)
	case !hb.Healthy:
		return fmt.Errorf("worker %q reports itself unhealthy: %s", hb.WorkerID, hb.Reason)
	case hb.SlotsTotal < 1:
		return fmt.Errorf("worker %q has no slots", hb.WorkerID)
	}
	return nil
}
