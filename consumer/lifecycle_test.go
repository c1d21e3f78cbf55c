package consumer_test

import (
	"context"
	"encoding/json"
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

// A job running at shutdown finishes when the grace period allows it.
func TestShutdownFinishesWithinGrace(t *testing.T) {
	withServer(t, func(e *env) {
		w := e.startWorker(&enginetest.Engine{Delay: 5 * time.Millisecond}, testConfig("w1"))
		run, err := e.client().Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "g1", Prompt: "x", MaxTokens: 60})
		if err != nil {
			t.Fatal(err)
		}
		<-run.Events() // started
		w.stop()       // returns after the job ended
		evs := collect(t, run)
		if last := evs[len(evs)-1]; last.Type != consumer.EventEnd || last.TokensOut != 60 || run.Text() != enginetest.Text(60) {
			t.Errorf("last event %+v, text %q", last, run.Text())
		}
		waitFor(t, "job acked", func() bool { return e.jobsLeft() == 0 })
	})
}

// A job that cannot finish within grace is handed to another worker, which
// runs it from the start; the client resets its text on attempt 2.
func TestShutdownHandsOffAfterGrace(t *testing.T) {
	withServer(t, func(e *env) {
		cfg := testConfig("w1")
		cfg.Grace = 100 * time.Millisecond
		w1 := e.startWorker(&enginetest.Engine{Delay: 5 * time.Millisecond}, cfg)
		run, err := e.client().Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "g2", Prompt: "x", MaxTokens: 100})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for ev := range run.Events() {
			k := fmt.Sprintf("%s/%d/%s", ev.Type, ev.Attempt, ev.WorkerID)
			if ev.Type == consumer.EventToken {
				k = "token"
			}
			if len(kinds) == 0 || kinds[len(kinds)-1] != k {
				kinds = append(kinds, k)
			}
			if ev.Type == consumer.EventToken && ev.Attempt == 1 && ev.I >= 3 && w1 != nil {
				go w1.stop()
				w1 = nil
				e.startWorker(&enginetest.Engine{Delay: time.Millisecond}, testConfig("w2"))
			}
		}
		if err := run.Err(); err != nil {
			t.Fatal(err)
		}
		want := "started/1/w1 token error/1/ started/2/w2 token end/2/"
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("events %s\nwant   %s", got, want)
		}
		if run.Text() != enginetest.Text(100) {
			t.Errorf("text after hand-off = %q", run.Text())
		}
		if raw := e.rawEvents("g2", 50*time.Millisecond); countTerminal(raw) != 1 {
			t.Errorf("%d terminal events stored", countTerminal(raw))
		}
	})
}

// A redelivered job whose terminal event is already recorded (the worker
// died between publishing it and acking) is acked without running again.
func TestRedeliveryOfFinishedJobIsAcked(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{}
		e.startWorker(eng, testConfig("w1"))
		js, _ := jetstream.New(e.conn())
		s := consumer.NewSubjects("")
		ctx := ctxT(t, 10*time.Second)
		kv, err := js.KeyValue(ctx, s.StateBucket())
		if err != nil {
			t.Fatal(err)
		}
		end := consumer.JobEvent{Type: consumer.EventEnd, JobID: "fin", Attempt: 1, StopReason: "eos", TokensOut: 3}
		endJSON, _ := json.Marshal(end)
		state, _ := json.Marshal(map[string]any{"state": "done", "attempt": 1, "worker_id": "dead", "terminal": json.RawMessage(endJSON)})
		if _, err := kv.Put(ctx, "fin", state); err != nil {
			t.Fatal(err)
		}
		run, err := e.client().Submit(ctx, "fake", &client.Job{JobID: "fin", Prompt: "fin"})
		if err != nil {
			t.Fatal(err)
		}
		evs := collect(t, run)
		if len(evs) != 1 || evs[0].Type != consumer.EventEnd || evs[0].StopReason != "eos" {
			t.Errorf("events %+v, want the recorded end only", evs)
		}
		if n := eng.Calls("fin"); n != 0 {
			t.Errorf("finished job ran again %d times", n)
		}
		waitFor(t, "job acked", func() bool { return e.jobsLeft() == 0 })
	})
}

func TestHeartbeatsAndWorkerListing(t *testing.T) {
	withServer(t, func(e *env) {
		nc := e.conn()
		sub, err := nc.SubscribeSync(consumer.NewSubjects("").Heartbeat("*"))
		if err != nil {
			t.Fatal(err)
		}
		w := e.startWorker(&enginetest.Engine{}, testConfig("hb1"))
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var hb consumer.Heartbeat
		if err := json.Unmarshal(m.Data, &hb); err != nil {
			t.Fatal(err)
		}
		if hb.WorkerID != "hb1" || hb.Model != "fake" || hb.Engine != "cpu" || hb.Quant != "F32" || hb.SlotsTotal != 2 ||
			!hb.Healthy || hb.RSS == 0 || hb.Hostname == "" || hb.Version != "0.1.0" {
			t.Errorf("heartbeat %+v", hb)
		}
		c := e.client()
		ws, err := c.Workers(context.Background())
		if err != nil || len(ws) != 1 || ws[0].WorkerID != "hb1" {
			t.Fatalf("workers = %+v, %v", ws, err)
		}
		// $SRV discovery through the micro framework.
		resp, err := nc.Request("$SRV.PING.orcd", nil, 2*time.Second)
		if err != nil || !strings.Contains(string(resp.Data), "hb1") {
			t.Errorf("$SRV.PING.orcd: %v %s", err, resp.Data)
		}
		w.stop()
		if ws, _ := c.Workers(context.Background()); len(ws) != 0 {
			t.Errorf("stopped worker still listed: %+v", ws)
		}
	})
}

// A worker that dies without retiring drops out of the listing once its
// record is three heartbeats old.
func TestStaleWorkerDropsOut(t *testing.T) {
	hb := consumer.Heartbeat{HeartbeatS: 1, Time: time.Now().Add(-2 * time.Second)}
	if hb.Stale(time.Now()) {
		t.Error("2 intervals old: stale")
	}
	hb.Time = time.Now().Add(-4 * time.Second)
	if !hb.Stale(time.Now()) {
		t.Error("4 intervals old: not stale")
	}
}

// An unhealthy engine says so in its heartbeat and takes no jobs until it
// recovers.
func TestUnhealthyWorkerTakesNoJobs(t *testing.T) {
	withServer(t, func(e *env) {
		eng := &enginetest.Engine{}
		e.startWorker(eng, testConfig("sick"))
		eng.SetHealth(errors.New("forward pass stuck for 30s"))
		c := e.client()
		waitFor(t, "unhealthy heartbeat", func() bool {
			ws, _ := c.Workers(context.Background())
			return len(ws) == 1 && !ws[0].Healthy && ws[0].Reason == "forward pass stuck for 30s"
		})
		// Pull requests made while it was healthy must expire first.
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
		run, err := c.Submit(ctxT(t, 20*time.Second), "fake", &client.Job{JobID: "wait", Prompt: "wait", MaxTokens: 2})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(600 * time.Millisecond)
		if n := eng.Calls("wait"); n != 0 {
			t.Fatalf("unhealthy worker ran the job (%d)", n)
		}
		eng.SetHealth(nil)
		if end, err := run.Wait(); err != nil || end.Type != consumer.EventEnd {
			t.Fatalf("after recovery: %+v %v", end, err)
		}
	})
}
