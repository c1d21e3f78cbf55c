package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
	"github.com/orcd/orcd/consumer/enginetest"
)

// A job that fails every time is retried with a doubling NakWithDelay, ends
// with MAX_DELIVERIES on its last delivery, lands in the dead-letter stream
// with its last error, and can be requeued from there as a fresh job.
func TestPoisonJobBacksOffThenDeadLetters(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{}
		cfg := testConfig("w1")
		cfg.MaxDeliver, cfg.RetryDelay = 3, 300*time.Millisecond
		e.startWorker(eng, cfg)
		c := e.client()
		run, err := c.Submit(ctxT(t, 30*time.Second), "fake", &client.Job{JobID: "poison", Prompt: enginetest.PromptTransient})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for ev := range run.Events() {
			kinds = append(kinds, fmt.Sprintf("%s/%d/%s", ev.Type, ev.Attempt, ev.Code))
		}
		want := "started/1/ error/1/ENGINE_ERROR started/2/ error/2/ENGINE_ERROR started/3/ error/3/MAX_DELIVERIES"
		if got := strings.Join(kinds, " "); got != want {
			t.Fatalf("events %s\nwant   %s", got, want)
		}
		// Backoff: at least RetryDelay, then at least twice that, between
		// the engine's attempts (a client's receipt times add its own
		// scheduling jitter: 299.7 ms once under -race).
		if starts := eng.CallTimes(enginetest.PromptTransient); len(starts) == 3 {
			if g1, g2 := starts[1].Sub(starts[0]), starts[2].Sub(starts[1]); g1 < 300*time.Millisecond || g2 < 600*time.Millisecond {
				t.Errorf("retry gaps %v, %v; want >= 300ms then >= 600ms", g1, g2)
			}
		}
		js, _ := jetstream.New(e.conn())
		s := consumer.NewSubjects("")
		dead, err := consumer.ListDeadLetters(context.Background(), js, s, 0)
		if err != nil || len(dead) != 1 {
			t.Fatalf("dead letters %+v, %v; want the poison job", dead, err)
		}
		d := dead[0]
		if d.JobID != "poison" || d.Deliveries != 3 || !strings.Contains(d.LastError, "scripted transient failure") || d.Subject != s.Jobs("fake") {
			t.Errorf("dead letter %+v", d)
		}
		// The worker terms the message after it publishes the terminal
		// event (so a crash between the two replays it), and a Term is not
		// acknowledged: the stream drops the job a moment later.
		waitFor(t, "the jobs stream to drop the dead job", func() bool { return e.jobsLeft() == 0 })

		// Requeued, it runs again from attempt 1 (and dies again: it is poison).
		if _, err := consumer.Requeue(context.Background(), js, s, "poison"); err != nil {
			t.Fatalf("requeue: %v", err)
		}
		if dead, _ := consumer.ListDeadLetters(context.Background(), js, s, 0); len(dead) != 0 {
			t.Errorf("dead letter kept after requeue: %+v", dead)
		}
		again, err := c.Watch(ctxT(t, 30*time.Second), "poison")
		if err != nil {
			t.Fatal(err)
		}
		evs := collect(t, again)
		if evs[0].Type != consumer.EventStarted || evs[0].Attempt != 1 || evs[len(evs)-1].Code != consumer.CodeMaxDeliveries {
			t.Errorf("requeued run: first %+v last %+v", evs[0], evs[len(evs)-1])
		}
		if n := eng.Calls(enginetest.PromptTransient); n != 6 {
			t.Errorf("engine ran the poison job %d times, want 6", n)
		}
		if n := countTerminal(e.rawEvents("poison", 300*time.Millisecond)); n != 1 {
			t.Errorf("events stream holds %d terminal events after requeue, want 1 (old run purged)", n)
		}
		if _, err := consumer.Requeue(context.Background(), js, s, "nope"); !errors.Is(err, consumer.ErrNotDead) {
			t.Errorf("requeue of unknown job: %v", err)
		}
	})
}

// A generation that neither emits a token nor returns for WedgeAfter makes
// the worker report itself unhealthy and stop taking jobs; when it comes
// back the worker recovers.
func TestWedgedEngineStopsTakingJobs(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{NSlots: 2}
		cfg := testConfig("wedge")
		cfg.WedgeAfter = 500 * time.Millisecond
		e.startWorker(eng, cfg)
		defer eng.Unhang()
		c := e.client()
		hung, err := c.Submit(ctxT(t, 30*time.Second), "fake", &client.Job{JobID: "hung", Prompt: enginetest.PromptHang})
		if err != nil {
			t.Fatal(err)
		}
		defer hung.Close()
		waitFor(t, "wedged heartbeat", func() bool {
			ws, _ := c.Workers(context.Background())
			return len(ws) == 1 && !ws[0].Healthy && strings.Contains(ws[0].Reason, "engine wedged")
		})
		js, _ := jetstream.New(e.conn())
		s := consumer.NewSubjects("")
		waitFor(t, "no pull request waiting", func() bool {
			ci, err := js.Consumer(context.Background(), s.JobsStream(), s.Durable("fake"))
			if err != nil {
				return false
			}
			info, err := ci.Info(context.Background())
			return err == nil && info.NumWaiting == 0
		})
		run, err := c.Submit(ctxT(t, 30*time.Second), "fake", &client.Job{JobID: "next", Prompt: "next", MaxTokens: 2})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if n := eng.Calls("next"); n != 0 {
			t.Fatalf("wedged worker took a job (ran %d times) while a slot was free", n)
		}
		eng.Unhang()
		if end, err := run.Wait(); err != nil || end.Type != consumer.EventEnd {
			t.Fatalf("after the engine came back: %+v %v", end, err)
		}
		if end, err := hung.Wait(); err != nil || end.Type != consumer.EventEnd {
			t.Fatalf("hung job: %+v %v", end, err)
		}
		waitFor(t, "healthy heartbeat", func() bool {
			ws, _ := c.Workers(context.Background())
			return len(ws) == 1 && ws[0].Healthy
		})
	})
}
