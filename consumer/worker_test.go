package consumer_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
	"github.com/orcd/orcd/consumer/enginetest"
)

func TestJobRoundTrip(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{Delay: time.Millisecond}
		e.startWorker(eng, testConfig("w1"))
		c := e.client()
		run, err := c.Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "job-1", Prompt: "once upon", MaxTokens: 5})
		if err != nil {
			t.Fatal(err)
		}
		evs := collect(t, run)
		if len(evs) < 3 {
			t.Fatalf("got %d events, want started, tokens, end: %+v", len(evs), evs)
		}
		st := evs[0]
		if st.Type != consumer.EventStarted || st.JobID != "job-1" || st.WorkerID != "w1" || st.Model != "fake" || st.Attempt != 1 || st.QueueMS < 0 {
			t.Errorf("started = %+v", st)
		}
		next := 0
		var text strings.Builder
		for _, ev := range evs[1 : len(evs)-1] {
			if ev.Type != consumer.EventToken || ev.JobID != "job-1" || ev.I != next || ev.ID != int32(100+next) {
				t.Fatalf("token event %+v, want i=%d id=%d", ev, next, 100+next)
			}
			next += ev.NumTokens()
			text.WriteString(ev.T)
		}
		if next != 5 || text.String() != enginetest.Text(5) || run.Text() != enginetest.Text(5) {
			t.Errorf("tokens %d text %q (run %q), want 5 %q", next, text.String(), run.Text(), enginetest.Text(5))
		}
		end := evs[len(evs)-1]
		if end.Type != consumer.EventEnd || end.StopReason != "max_tokens" || end.TokensIn != 3 || end.TokensOut != 5 || end.Timings == nil || end.Timings.DecodeMS <= 0 {
			t.Errorf("end = %+v timings %+v", end, end.Timings)
		}
		raw := e.rawEvents("job-1", 200*time.Millisecond)
		if countTerminal(raw) != 1 || raw[0].Type != consumer.EventStarted {
			t.Errorf("stored events: %d terminal, first %q; want 1, started", countTerminal(raw), raw[0].Type)
		}
		waitFor(t, "job acked and gone from the queue", func() bool { return e.jobsLeft() == 0 })
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTwoWorkersShareQueue(t *testing.T) {
	withServer(t, func(e *env) {
		engA, engB := &enginetest.Engine{Delay: 3 * time.Millisecond}, &enginetest.Engine{Delay: 3 * time.Millisecond}
		e.startWorker(engA, testConfig("wa"))
		e.startWorker(engB, testConfig("wb"))
		c := e.client()
		ctx := ctxT(t, 30*time.Second)
		const n = 16
		runs := make([]*client.Run, n)
		for i := range runs {
			var err error
			runs[i], err = c.Submit(ctx, "fake", &client.Job{JobID: fmt.Sprintf("j%d", i), Prompt: fmt.Sprintf("p%d", i), MaxTokens: 6})
			if err != nil {
				t.Fatal(err)
			}
		}
		byWorker := map[string]int{}
		for i, run := range runs {
			evs := collect(t, run)
			byWorker[evs[0].WorkerID]++
			if last := evs[len(evs)-1]; last.Type != consumer.EventEnd || run.Text() != enginetest.Text(6) {
				t.Errorf("job %d ended %+v text %q", i, last, run.Text())
			}
		}
		if byWorker["wa"] == 0 || byWorker["wb"] == 0 || byWorker["wa"]+byWorker["wb"] != n {
			t.Errorf("jobs by worker = %v, want both used, %d total", byWorker, n)
		}
		for i := range n {
			p := fmt.Sprintf("p%d", i)
			if calls := engA.Calls(p) + engB.Calls(p); calls != 1 {
				t.Errorf("job %d ran %d times", i, calls)
			}
			if raw := e.rawEvents(fmt.Sprintf("j%d", i), 50*time.Millisecond); countTerminal(raw) != 1 {
				t.Errorf("job %d: %d terminal events stored", i, countTerminal(raw))
			}
		}
	})
}

func TestCancelRunningJob(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{Delay: 5 * time.Millisecond}
		e.startWorker(eng, testConfig("w1"))
		c := e.client()
		ctx := ctxT(t, 20*time.Second)
		run, err := c.Submit(ctx, "fake", &client.Job{JobID: "long", Prompt: "long", MaxTokens: 500})
		if err != nil {
			t.Fatal(err)
		}
		var sent time.Time
		var end *client.Event
		for ev := range run.Events() {
			if ev.Type == consumer.EventToken && sent.IsZero() {
				sent = time.Now()
				if err := c.Cancel(ctx, "long"); err != nil {
					t.Fatal(err)
				}
				if err := c.Cancel(ctx, "long"); err != nil { // twice is harmless
					t.Fatal(err)
				}
			}
			if ev.Terminal() {
				end = &ev
			}
		}
		if end == nil {
			t.Fatalf("no terminal event: %v", run.Err())
		}
		t.Logf("cancel to end event: %v", time.Since(sent))
		if end.Type != consumer.EventEnd || end.StopReason != "cancelled" || end.TokensOut == 0 || end.TokensOut >= 500 {
			t.Errorf("end = %+v, want cancelled with partial usage", end)
		}
		waitFor(t, "cancelled job acked", func() bool { return e.jobsLeft() == 0 })
	})
}

func TestCancelQueuedJob(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{Delay: 5 * time.Millisecond, NSlots: 1}
		cfg := testConfig("w1")
		cfg.Slots = 1
		e.startWorker(eng, cfg)
		c := e.client()
		ctx := ctxT(t, 20*time.Second)
		busy, err := c.Submit(ctx, "fake", &client.Job{JobID: "busy", Prompt: "busy", MaxTokens: 150})
		if err != nil {
			t.Fatal(err)
		}
		<-busy.Events() // started: the only slot is taken
		queued, err := c.Submit(ctx, "fake", &client.Job{JobID: "queued", Prompt: "queued", MaxTokens: 5})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Cancel(ctx, "queued"); err != nil {
			t.Fatal(err)
		}
		if _, err := busy.Wait(); err != nil {
			t.Fatal(err)
		}
		evs := collect(t, queued)
		if len(evs) != 1 || evs[0].Type != consumer.EventEnd || evs[0].StopReason != "cancelled" || evs[0].TokensOut != 0 {
			t.Errorf("queued job events = %+v, want one end cancelled", evs)
		}
		if n := eng.Calls("queued"); n != 0 {
			t.Errorf("cancelled queued job ran %d times", n)
		}
	})
}

func TestBadJobsAreNotRedelivered(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{}
		cfg := testConfig("w1")
		cfg.AckWait = 500 * time.Millisecond
		e.startWorker(eng, cfg)
		c := e.client()
		nc := e.conn()
		ctx := ctxT(t, 20*time.Second)
		subj := consumer.NewSubjects("").Jobs("fake")
		bodies := map[string]struct{ body, want string }{
			"malformed": {`{"job_id":"malformed","prompt":`, "malformed JSON"},
			"hot":       {`{"job_id":"hot","prompt":"x","temperature":5}`, "temperature"},
			"unknown":   {`{"job_id":"unknown","prompt":"x","temprature":1}`, "temprature"},
			"engine":    {`{"job_id":"engine","prompt":"` + enginetest.PromptInvalid + `"}`, "invalid request"},
			"bigmax":    {`{"job_id":"bigmax","prompt":"x","max_tokens":100000}`, "max_tokens"},
		}
		for id, b := range bodies {
			watch, err := c.Watch(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			m := nats.NewMsg(subj)
			m.Header.Set("Nats-Msg-Id", id)
			m.Data = []byte(b.body)
			if err := nc.PublishMsg(m); err != nil {
				t.Fatal(err)
			}
			evs := collect(t, watch)
			last := evs[len(evs)-1]
			if last.Type != consumer.EventError || last.Code != consumer.CodeInvalidRequest || last.Retriable || !strings.Contains(last.Message, b.want) {
				t.Errorf("%s: terminal %+v, want INVALID_REQUEST naming %q", id, last, b.want)
			}
		}
		time.Sleep(3 * cfg.AckWait) // long enough for any redelivery
		if n := eng.Calls(enginetest.PromptInvalid); n != 1 {
			t.Errorf("invalid job ran %d times, want 1", n)
		}
		for id := range bodies {
			if raw := e.rawEvents(id, 50*time.Millisecond); countTerminal(raw) != 1 {
				t.Errorf("%s: %d terminal events stored: %+v", id, countTerminal(raw), raw)
			}
		}
		if n := e.jobsLeft(); n != 0 {
			t.Errorf("%d bad jobs left in the queue", n)
		}
	})
}

func TestLateSubscriberReplays(t *testing.T) {
	withServer(t, func(e *env) {
		e.startWorker(&enginetest.Engine{}, testConfig("w1"))
		c := e.client()
		ctx := ctxT(t, 20*time.Second)
		run, err := c.Submit(ctx, "fake", &client.Job{JobID: "done-job", Prompt: "x", MaxTokens: 7})
		if err != nil {
			t.Fatal(err)
		}
		first := collect(t, run)
		late, err := c.Watch(ctx, "done-job")
		if err != nil {
			t.Fatal(err)
		}
		replay := collect(t, late)
		if !reflect.DeepEqual(first, replay) || late.Text() != enginetest.Text(7) {
			t.Errorf("replay differs:\n first  %+v\n replay %+v", first, replay)
		}
	})
}

func TestTransientFailureRetriesThenGivesUp(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{}
		cfg := testConfig("w1")
		cfg.MaxDeliver = 2
		e.startWorker(eng, cfg)
		run, err := e.client().Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "flaky", Prompt: enginetest.PromptTransient})
		if err != nil {
			t.Fatal(err)
		}
		evs := collect(t, run)
		var kinds []string
		for _, ev := range evs {
			kinds = append(kinds, fmt.Sprintf("%s/%d/%s/%v", ev.Type, ev.Attempt, ev.Code, ev.Retriable))
		}
		want := "started/1//false error/1/ENGINE_ERROR/true started/2//false error/2/MAX_DELIVERIES/false"
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("events %s\nwant   %s", got, want)
		}
		if n := eng.Calls(enginetest.PromptTransient); n != 2 {
			t.Errorf("ran %d times, want 2", n)
		}
	})
}

// A device out of memory is reported as VRAM_OOM, retriable, and the
// worker keeps serving.
func TestOutOfMemoryIsRetriableVRAMOOM(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{}
		cfg := testConfig("w1")
		cfg.MaxDeliver = 2
		e.startWorker(eng, cfg)
		c := e.client()
		run, err := c.Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "oom", Prompt: enginetest.PromptOOM})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range collect(t, run) {
			kinds = append(kinds, fmt.Sprintf("%s/%d/%s/%v", ev.Type, ev.Attempt, ev.Code, ev.Retriable))
		}
		want := "started/1//false error/1/VRAM_OOM/true started/2//false error/2/MAX_DELIVERIES/false"
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("events %s\nwant   %s", got, want)
		}
		ok, err := c.Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "after-oom", Prompt: "x", MaxTokens: 3})
		if err != nil {
			t.Fatal(err)
		}
		if evs := collect(t, ok); evs[len(evs)-1].Type != consumer.EventEnd {
			t.Errorf("worker did not keep serving after an OOM: last event %+v", evs[len(evs)-1])
		}
	})
}

func TestQueueFullRefuses(t *testing.T) {
	withServer(t, func(e *env) {
		cfg := testConfig("w1")
		cfg.Streams.JobsMaxMsgs = 2
		e.startWorker(&enginetest.Engine{}, cfg)
		c := e.client()
		ctx := ctxT(t, 10*time.Second)
		for i := range 2 { // nobody serves model "idle": they stay queued
			run, err := c.Submit(ctx, "idle", &client.Job{JobID: fmt.Sprint("q", i), Prompt: "x"})
			if err != nil {
				t.Fatalf("job %d: %v", i, err)
			}
			run.Close()
		}
		_, err := c.Submit(ctx, "idle", &client.Job{JobID: "q-over", Prompt: "x"})
		if !errors.Is(err, client.ErrQueueFull) {
			t.Errorf("third job: err = %v, want ErrQueueFull", err)
		}
	})
}
