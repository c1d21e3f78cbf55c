package client_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sirupsen/logrus"
	"go.uber.org/goleak"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
	"github.com/orcd/orcd/consumer/enginetest"
)

// withWorker runs fn against an in-process server with one worker on the
// scripted engine, then stops everything.
func withWorker(t *testing.T, fn func(nc *nats.Conn)) {
	t.Helper()
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	log := logrus.New()
	log.SetOutput(io.Discard)
	nc, err := consumer.Connect(context.Background(), consumer.ConnOptions{InProcess: srv}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	w, err := consumer.New(nc, &enginetest.Engine{}, consumer.Config{CreateStreams: true, Log: log, FetchWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { stop(); <-done }()
	<-w.Ready()
	fn(nc)
}

// A Run that reached its terminal event frees everything even when the
// caller neither calls Close nor cancels its context.
func TestRunEndsWithoutClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	withWorker(t, func(nc *nats.Conn) {
		c, err := client.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		run, err := c.Submit(context.Background(), "fake", &client.Job{Prompt: "x", MaxTokens: 3})
		if err != nil {
			t.Fatal(err)
		}
		end, err := run.Wait()
		if err != nil || end.Type != consumer.EventEnd || run.Text() != enginetest.Text(3) {
			t.Fatalf("%+v %v", end, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for n := runGoroutines(); n > 0; n = runGoroutines() {
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines of the finished Run remain", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestSubmitErrors(t *testing.T) {
	withWorker(t, func(nc *nats.Conn) {
		c, _ := client.New(nc)
		ctx := context.Background()
		if _, err := c.Submit(ctx, "fake", &client.Job{JobID: "bad id", Prompt: "x"}); !errors.Is(err, consumer.ErrInvalidJob) {
			t.Errorf("bad id: %v", err)
		}
		if _, err := c.Watch(ctx, "no/such"); !errors.Is(err, consumer.ErrInvalidJob) {
			t.Errorf("watch bad id: %v", err)
		}
		if err := c.Cancel(ctx, "x y"); !errors.Is(err, consumer.ErrInvalidJob) {
			t.Errorf("cancel bad id: %v", err)
		}
		ws, err := c.Workers(ctx)
		if err != nil || len(ws) != 1 || ws[0].Model != "fake" {
			t.Errorf("workers %+v %v", ws, err)
		}
	})
	// No streams at all: a clear error, not a hang.
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, _ := nats.Connect("", nats.InProcessServer(srv))
	defer nc.Close()
	c, _ := client.New(nc)
	if _, err := c.Submit(context.Background(), "fake", &client.Job{Prompt: "x"}); !errors.Is(err, client.ErrNoStreams) {
		t.Errorf("no streams: %v", err)
	}
}

// runGoroutines counts goroutines running client.Run code.
func runGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "orcd/orcd/client.(*Run)") {
			n++
		}
	}
	return n
}
