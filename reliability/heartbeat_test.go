package reliability

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

// Guarantee 6: heartbeats keep their cadence while the engine is saturated
// (every slot decoding back to back on one thread). The gaps are measured
// and logged; the test fails only if a gap reaches three intervals, when
// the worker would drop out of the listing while alive.
func TestHeartbeatCadenceUnderSaturatedEngine(t *testing.T) {
	srv := startNATS(t, t.TempDir(), freePort(t), "")
	startWorker(t, srv.url, workerOpts{id: "hot", extra: []string{"--heartbeat", "200ms", "--slots", "2"}})
	nc, c := connect(t, srv.url)
	waitWorkers(t, c, "hot")

	type beat struct {
		at   time.Time
		busy int
	}
	beats := make(chan beat, 1024)
	sub, err := nc.Subscribe(consumer.NewSubjects("").Heartbeat("hot"), func(m *nats.Msg) {
		var hb consumer.Heartbeat
		if json.Unmarshal(m.Data, &hb) == nil {
			beats <- beat{time.Now(), hb.SlotsBusy}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// Enough work to keep both slots decoding past the 5 s window: 120
	// jobs of 400 tokens are ~48,000 tokens, over 5 s at the ~4,500 tok/s
	// per slot that stories260K decodes here (40 jobs stopped being enough
	// once the CPU kernels got faster).
	var runs []*client.Run
	for i := range 120 {
		run, err := c.Submit(ctxT(t, 120*time.Second), model, storyJob(fmt.Sprint("hot", i), 400))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
	}
	var gaps []time.Duration
	var last time.Time
	deadline := time.After(5 * time.Second)
collect:
	for {
		select {
		case b := <-beats:
			if b.busy == 2 && !last.IsZero() {
				gaps = append(gaps, b.at.Sub(last))
			}
			last = b.at
		case <-deadline:
			break collect
		}
	}
	for _, r := range runs {
		r.Close()
	}
	if len(gaps) < 10 {
		t.Fatalf("only %d heartbeat gaps while saturated; the engine was never busy or heartbeats stopped", len(gaps))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	p := func(q float64) time.Duration { return gaps[int(q*float64(len(gaps)-1))].Round(time.Millisecond) }
	t.Logf("heartbeat every 200ms with both slots decoding: %d gaps, p50 %v, p99 %v, max %v (jitter p99 %v)",
		len(gaps), p(0.5), p(0.99), p(1), (p(0.99) - 200*time.Millisecond).Abs())
	if gaps[len(gaps)-1] >= 600*time.Millisecond {
		t.Errorf("a heartbeat gap of %v: three intervals, the worker would drop out of the listing", gaps[len(gaps)-1])
	}
}
