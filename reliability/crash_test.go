package reliability

import (
	"testing"
	"time"

	"github.com/orcd/orcd/consumer"
)

// Guarantee 1: a worker SIGKILLed mid-job loses nothing. The job comes back
// to the other worker within seconds (AckWait 2s), the client sees started
// with attempt 2 and the tokens again from index 0, one terminal event,
// and the text a single worker makes for the same seed.
func TestSIGKILLMidJobIsRedelivered(t *testing.T) {
	nats := startNATS(t, t.TempDir(), freePort(t), "")
	slow := []string{"ORCD_TEST_TOKEN_DELAY=15ms"} // 200 tokens: 3 s, time to kill
	workers := map[string]*proc{
		"wa": startWorker(t, nats.url, workerOpts{id: "wa", env: slow}),
		"wb": startWorker(t, nats.url, workerOpts{id: "wb", env: slow}),
	}
	nc, c := connect(t, nats.url)
	waitWorkers(t, c, "wa", "wb")
	want := reference(t, c, "kill-ref", 200)

	run, err := c.Submit(ctxT(t, 60*time.Second), model, storyJob("kill-me", 200))
	if err != nil {
		t.Fatal(err)
	}
	var victim, survivor string
	var killedAt, restartedAt time.Time
	var attempt2 []consumer.JobEvent
	for ev := range run.Events() {
		switch {
		case ev.Type == consumer.EventStarted && ev.Attempt == 1:
			victim = ev.WorkerID
		case ev.Type == consumer.EventToken && ev.Attempt == 1 && ev.I >= 10 && killedAt.IsZero():
			workers[victim].kill() // SIGKILL: no drain, no Nak, no ack
			killedAt = time.Now()
		case ev.Type == consumer.EventStarted && ev.Attempt == 2:
			survivor, restartedAt = ev.WorkerID, time.Now()
			attempt2 = append(attempt2, ev)
		case ev.Attempt == 2:
			attempt2 = append(attempt2, ev)
		}
	}
	if err := run.Err(); err != nil {
		t.Fatalf("job did not finish: %v", err)
	}
	if killedAt.IsZero() || survivor == "" || survivor == victim {
		t.Fatalf("victim %q survivor %q killed %v: the kill did not cause a redelivery to the other worker", victim, survivor, killedAt)
	}
	t.Logf("killed %s; attempt 2 started on %s after %v", victim, survivor, restartedAt.Sub(killedAt).Round(time.Millisecond))
	if d := restartedAt.Sub(killedAt); d > 10*time.Second {
		t.Errorf("redelivery took %v, want within AckWait (2s) plus a few seconds", d)
	}
	if len(attempt2) < 2 || attempt2[1].Type != consumer.EventToken || attempt2[1].I != 0 {
		t.Errorf("attempt 2 does not restart the tokens from 0: %+v", attempt2[:min(2, len(attempt2))])
	}
	if got := run.Text(); got != want {
		t.Errorf("text after redelivery differs from a clean run:\n got %q\nwant %q", got, want)
	}
	if term := terminals(rawEvents(t, nc, "kill-me")); len(term) != 1 || term[0].Type != consumer.EventEnd || term[0].Attempt != 2 {
		t.Errorf("terminal events in the stream: %+v, want one end of attempt 2", term)
	}
	waitFor(t, 10*time.Second, "the jobs stream to empty", func() bool { return jobsLeft(t, nc) == 0 })
}

// Guarantee 2: a worker that published the terminal event and died before
// its ack landed (test hook ORCD_TEST_EXIT_AFTER_TERMINAL) does not get the
// job run twice: the next worker finds the recorded terminal event and
// acks the redelivery without generating.
func TestDeathBeforeAckIsNotRerun(t *testing.T) {
	nats := startNATS(t, t.TempDir(), freePort(t), "")
	nc, c := connect(t, nats.url)
	dying := startWorker(t, nats.url, workerOpts{id: "dies", env: []string{"ORCD_TEST_EXIT_AFTER_TERMINAL=1"}})
	waitWorkers(t, c, "dies")
	run, err := c.Submit(ctxT(t, 60*time.Second), model, storyJob("once", 40))
	if err != nil {
		t.Fatal(err)
	}
	end, err := run.Wait()
	if err != nil || end.Type != consumer.EventEnd {
		t.Fatalf("job: %+v %v", end, err)
	}
	if code, ok := dying.exited(10 * time.Second); !ok || code != 3 {
		t.Fatalf("test hook: worker exit %d (exited %v), want 3 right after the terminal event", code, ok)
	}
	if jobsLeft(t, nc) != 1 {
		t.Fatalf("the unacked job should still be queued")
	}
	next := startWorker(t, nats.url, workerOpts{id: "next"})
	waitFor(t, 30*time.Second, "the redelivery to be acked", func() bool { return jobsLeft(t, nc) == 0 })
	if l := logLines(next, `"job_id":"once"`, "job already finished, acking redelivery"); len(l) != 1 {
		t.Errorf("next worker did not ack from the state bucket: %q", l)
	}
	if l := logLines(next, `"job_id":"once"`, "job started"); len(l) != 0 {
		t.Errorf("next worker ran the job again: %q", l)
	}
	evs := rawEvents(t, nc, "once")
	started := 0
	for _, ev := range evs {
		if ev.Type == consumer.EventStarted {
			started++
		}
	}
	if term := terminals(evs); len(term) != 1 || started != 1 {
		t.Errorf("stream holds %d started and %d terminal events, want 1 and 1", started, len(term))
	}
	// A late client replaying the job sees it once.
	w, err := c.Watch(ctxT(t, 20*time.Second), "once")
	if err != nil {
		t.Fatal(err)
	}
	if e2, err := w.Wait(); err != nil || e2.Type != consumer.EventEnd || e2.Attempt != 1 {
		t.Errorf("replay: %+v %v", e2, err)
	}
}
