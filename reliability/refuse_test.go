package reliability

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/client"
)

// Guarantee 5: a full queue refuses at once, in the client and in the CLI,
// and a job over the server's max_payload is refused client-side before
// anything is published.
func TestFullQueueAndOversizedJobsAreRefused(t *testing.T) {
	srv := startNATS(t, t.TempDir(), freePort(t), "max_payload: 4096")
	startWorker(t, srv.url, workerOpts{id: "bound", extra: []string{"--jobs-max-msgs", "3"}})
	nc, c := connect(t, srv.url)
	waitWorkers(t, c, "bound")
	for i := range 3 { // nobody serves model "idle": the jobs stay queued
		run, err := c.Submit(ctxT(t, 10*time.Second), "idle", &client.Job{JobID: fmt.Sprint("fill", i), Prompt: "x"})
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
		run.Close()
	}
	_, err := c.Submit(ctxT(t, 10*time.Second), "idle", &client.Job{JobID: "over", Prompt: "x"})
	if !errors.Is(err, client.ErrQueueFull) {
		t.Errorf("client, full queue: err = %v, want ErrQueueFull", err)
	}
	t0 := time.Now()
	out, err := exec.Command(workerBin, "submit", "--nats-url", srv.url, "--model", "idle", "--prompt", "x", "--timeout", "60s").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "job queue is full") {
		t.Errorf("CLI, full queue: err %v, output %q; want a non-zero exit saying the queue is full", err, out)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("CLI took %v to refuse: it waited instead of failing at once", d)
	}

	// Oversized: refused before publishing, so the queue still holds 3.
	big := strings.Repeat("a", 5000)
	_, err = c.Submit(ctxT(t, 10*time.Second), model, &client.Job{JobID: "big", Prompt: big})
	if !errors.Is(err, client.ErrTooLarge) {
		t.Errorf("client, oversized: err = %v, want ErrTooLarge", err)
	}
	out, err = exec.Command(workerBin, "submit", "--nats-url", srv.url, "--model", model, "--prompt", big).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "max_payload") {
		t.Errorf("CLI, oversized: err %v, output %q", err, tail(string(out), 300))
	}
	if n := jobsLeft(t, nc); n != 3 {
		t.Errorf("jobs stream holds %d, want the 3 fillers only", n)
	}
}
