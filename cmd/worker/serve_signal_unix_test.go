//go:build unix

package main

import (
	"context"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

// SIGTERM: serve stops taking jobs, lets the running one finish within
// --grace, and returns nil (exit 0).
func TestServeSIGTERMDrains(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	url := srv.ClientURL()
	done := make(chan error, 1)
	go func() {
		done <- runServe([]string{"--model", model, "--nats-url", url, "--worker-id", "sig", "--grace", "20s",
			"--heartbeat", "200ms", "--log-level", "error"}, io.Discard, io.Discard)
	}()
	nc, err := consumer.Connect(context.Background(), consumer.ConnOptions{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c, _ := client.New(nc)
	deadline := time.Now().Add(20 * time.Second)
	for ws, _ := c.Workers(context.Background()); len(ws) == 0; ws, _ = c.Workers(context.Background()) {
		if time.Now().After(deadline) {
			t.Fatal("worker never listed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	run, err := c.Submit(context.Background(), "stories260K", &client.Job{Prompt: "Once upon a time", MaxTokens: 600})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range run.Events() {
		if ev.Type == consumer.EventToken {
			break
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	end, err := run.Wait()
	if err != nil || end.Type != consumer.EventEnd || end.StopReason == "cancelled" {
		t.Fatalf("job across SIGTERM: %+v %v", end, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return after SIGTERM")
	}
}
