package reliability

import (
	"fmt"
	"testing"
	"time"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

// Guarantee 3: the nats-server process (file storage) is stopped while two
// jobs run and more are queued, and started again on the same store. The
// workers reconnect on their own; every job ends exactly once, with the
// text of a clean run: queued jobs survived, running ones finished or were
// redelivered.
func TestNATSRestartLosesNothing(t *testing.T) {
	srv := startNATS(t, t.TempDir(), freePort(t), "")
	slow := []string{"ORCD_TEST_TOKEN_DELAY=10ms"}
	startWorker(t, srv.url, workerOpts{id: "ra", env: slow})
	startWorker(t, srv.url, workerOpts{id: "rb", env: slow})
	nc, c := connect(t, srv.url)
	waitWorkers(t, c, "ra", "rb")
	want := reference(t, c, "restart-ref", 120)

	const n = 6
	runs := make([]*client.Run, n)
	for i := range n {
		var err error
		runs[i], err = c.Submit(ctxT(t, 120*time.Second), model, storyJob(fmt.Sprint("r", i), 120))
		if err != nil {
			t.Fatal(err)
		}
	}
	// Stop the server once both workers are in the middle of a job.
	waitFor(t, 20*time.Second, "two jobs running", func() bool {
		ws, _ := c.Workers(ctxT(t, time.Second))
		busy := 0
		for _, w := range ws {
			busy += w.SlotsBusy
		}
		return busy == 2
	})
	time.Sleep(300 * time.Millisecond)
	if err := srv.stop(10 * time.Second); err != nil {
		t.Fatalf("stop nats-server: %v", err)
	}
	t.Log("nats-server stopped with 2 jobs running and 4 queued")
	time.Sleep(2 * time.Second)
	srv.restart(t)
	t.Log("nats-server restarted")
	waitWorkers(t, c, "ra", "rb")

	for i := range n {
		id := fmt.Sprint("r", i)
		// Replay from the events stream: what any client sees after the outage.
		w, err := c.Watch(ctxT(t, 90*time.Second), id)
		if err != nil {
			t.Fatal(err)
		}
		end, err := w.Wait()
		if err != nil {
			t.Errorf("job %s: no terminal event: %v", id, err)
			continue
		}
		if end.Type != consumer.EventEnd || w.Text() != want {
			t.Errorf("job %s: %+v text %q, want end with %q", id, end, w.Text(), want)
		}
		term := terminals(rawEvents(t, nc, id))
		if len(term) != 1 {
			t.Errorf("job %s: %d terminal events in the stream, want 1: %+v", id, len(term), term)
		} else {
			t.Logf("job %s: ended on attempt %d", id, term[0].Attempt)
		}
		// The client that submitted before the outage got through it too.
		if end, err := runs[i].Wait(); err != nil || end.Type != consumer.EventEnd || runs[i].Text() != want {
			t.Errorf("job %s, original client: %+v %v", id, end, err)
		}
	}
	waitFor(t, 20*time.Second, "the jobs stream to empty", func() bool { return jobsLeft(t, nc) == 0 })
}
