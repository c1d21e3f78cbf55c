package reliability

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/consumer"
)

// Guarantee 4, the hard case: a job that kills its worker on every delivery
// (test hook ORCD_TEST_CRASH_ON_PROMPT) never acks, never Naks, never gets
// a MAX_DELIVERIES event from its runner. When its deliveries run out the
// server's MAX_DELIVERIES advisory reaches a live worker, which ends it
// with a final MAX_DELIVERIES error and copies it to the dead-letter
// stream; `worker dlq` lists it, and `worker dlq requeue` runs it again on
// a healthy worker.
func TestCrashingJobIsDeadLettered(t *testing.T) {
	srv := startNATS(t, t.TempDir(), freePort(t), "")
	nc, c := connect(t, srv.url)
	crashEnv := []string{"ORCD_TEST_CRASH_ON_PROMPT=CRASH"}
	opts := workerOpts{id: "crashy", env: crashEnv, extra: []string{"--max-deliver", "2", "--ack-wait", "1s"}}
	w := startWorker(t, srv.url, opts)
	waitWorkers(t, c, "crashy")

	job := storyJob("poison", 20)
	job.Prompt = "CRASH the worker"
	run, err := c.Submit(ctxT(t, 90*time.Second), model, job)
	if err != nil {
		t.Fatal(err)
	}
	// A supervisor: restart the worker each time the job kills it.
	crashes := 0
	stopSup := make(chan struct{})
	supDone := make(chan struct{})
	go func() {
		defer close(supDone)
		for {
			select {
			case <-stopSup:
				return
			case <-w.done:
				crashes++
				w = startWorker(t, srv.url, opts)
			}
		}
	}()
	var kinds []string
	for ev := range run.Events() {
		kinds = append(kinds, ev.Type+"/"+ev.Code)
	}
	close(stopSup)
	<-supDone
	end := run.Terminal()
	if err := run.Err(); err != nil || end == nil || end.Code != consumer.CodeMaxDeliveries {
		t.Fatalf("job ended %+v (%v), events %v; want a final MAX_DELIVERIES error", end, err, kinds)
	}
	if crashes != 2 || !strings.Contains(end.Message, "crashed") {
		t.Errorf("crashes %d, message %q; want 2 deliveries that each killed the worker", crashes, end.Message)
	}
	if term := terminals(rawEvents(t, nc, "poison")); len(term) != 1 {
		t.Errorf("%d terminal events in the stream, want 1", len(term))
	}
	waitFor(t, 10*time.Second, "the jobs stream to drop the dead job", func() bool { return jobsLeft(t, nc) == 0 })

	// worker dlq lists it, with its last error.
	out, err := exec.Command(workerBin, "dlq", "--nats-url", srv.url, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("worker dlq: %v\n%s", err, out)
	}
	var dead []consumer.DeadJob
	if err := json.Unmarshal(out, &dead); err != nil || len(dead) != 1 || dead[0].JobID != "poison" || dead[0].Deliveries != 2 ||
		!strings.Contains(dead[0].LastError, "crashy") {
		t.Fatalf("worker dlq --json: %s (%v)", out, err)
	}
	if table, _ := exec.Command(workerBin, "dlq", "--nats-url", srv.url).CombinedOutput(); !strings.Contains(string(table), "poison") {
		t.Errorf("worker dlq table: %s", table)
	}

	// Requeued onto a worker without the crash hook, it finishes.
	w.kill()
	startWorker(t, srv.url, workerOpts{id: "healthy"})
	waitWorkers(t, c, "healthy")
	if out, err := exec.Command(workerBin, "dlq", "--nats-url", srv.url, "requeue", "poison").CombinedOutput(); err != nil {
		t.Fatalf("worker dlq requeue: %v\n%s", err, out)
	}
	again, err := c.Watch(ctxT(t, 60*time.Second), "poison")
	if err != nil {
		t.Fatal(err)
	}
	if e2, err := again.Wait(); err != nil || e2.Type != consumer.EventEnd || e2.Attempt != 1 {
		t.Fatalf("requeued job: %+v %v", e2, err)
	}
	if out, _ := exec.Command(workerBin, "dlq", "--nats-url", srv.url).CombinedOutput(); !strings.Contains(string(out), "no dead jobs") {
		t.Errorf("dead-letter stream after requeue: %s", out)
	}
}
