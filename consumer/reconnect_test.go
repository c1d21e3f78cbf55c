package consumer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
	"github.com/orcd/orcd/consumer/enginetest"
)

// The NATS server goes away and comes back (same port, same file
// storage): the worker reconnects by itself and takes the next job.
func TestWorkerResumesAfterNATSRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: dir, Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.ClientURL()
	connect := func() *nats.Conn {
		nc, err := consumer.Connect(context.Background(), consumer.ConnOptions{URL: url}, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		return nc
	}
	wnc := connect()
	defer wnc.Close()
	w, err := consumer.New(wnc, &enginetest.Engine{}, testConfig("w1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { stop(); <-done }()
	<-w.Ready()

	srv.Shutdown()
	srv.WaitForShutdown()
	waitFor(t, "worker to notice the drop", func() bool { return !wnc.IsConnected() })
	srv, err = consumer.StartServer(consumer.ServerConfig{DataDir: dir, Port: tcpPort(t, url)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	waitFor(t, "worker to reconnect", wnc.IsConnected)

	cnc := connect()
	defer cnc.Close()
	c, _ := client.New(cnc)
	run, err := c.Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "after", Prompt: "x", MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	end, err := run.Wait()
	if err != nil || end.Type != consumer.EventEnd || run.Text() != enginetest.Text(3) {
		t.Fatalf("after restart: %+v %v", end, err)
	}
}

func tcpPort(t *testing.T, url string) int {
	var port int
	for i := len(url) - 1; i >= 0; i-- {
		if url[i] == ':' {
			if err := json.Unmarshal([]byte(url[i+1:]), &port); err != nil {
				t.Fatalf("port of %s: %v", url, err)
			}
			break
		}
	}
	return port
}

func TestDeadline(t *testing.T) {
	withServer(t, func(e *env) {
		e.startWorker(&enginetest.Engine{Delay: 5 * time.Millisecond}, testConfig("w1"))
		c := e.client()
		ctx := ctxT(t, 20*time.Second)
		past := time.Now().Add(-time.Minute)
		soon := time.Now().Add(300 * time.Millisecond)
		for _, j := range []*client.Job{
			{JobID: "late", Prompt: "x", Deadline: &past},
			{JobID: "short", Prompt: "x", MaxTokens: 400, Deadline: &soon},
		} {
			run, err := c.Submit(ctx, "fake", j)
			if err != nil {
				t.Fatal(err)
			}
			end, err := run.Wait()
			if err != nil || end.Type != consumer.EventError || end.Code != consumer.CodeDeadlineExceeded || end.Retriable {
				t.Errorf("%s: terminal %+v %v", j.JobID, end, err)
			}
		}
	})
}

// A reply_to outside the events stream gets the events live.
func TestCustomReplyTo(t *testing.T) {
	withServer(t, func(e *env) {
		e.startWorker(&enginetest.Engine{}, testConfig("w1"))
		run, err := e.client().Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "rt", Prompt: "x", MaxTokens: 4, ReplyTo: "app.replies.rt"})
		if err != nil {
			t.Fatal(err)
		}
		evs := collect(t, run)
		if evs[0].Type != consumer.EventStarted || evs[len(evs)-1].Type != consumer.EventEnd || run.Text() != enginetest.Text(4) {
			t.Errorf("events %+v text %q", evs, run.Text())
		}
	})
}
