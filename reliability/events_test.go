package reliability

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/consumer"
)

// rawEvents reads every stored event of jobID from the events stream, as a
// late subscriber with the nats CLI would: no client-side filtering.
func rawEvents(t *testing.T, nc *nats.Conn, jobID string) []consumer.JobEvent {
	t.Helper()
	js, _ := jetstream.New(nc)
	s := consumer.NewSubjects("")
	ctx := ctxT(t, 30*time.Second)
	cons, err := js.OrderedConsumer(ctx, s.EventsStream(), jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.Events(jobID)}})
	if err != nil {
		t.Fatalf("ordered consumer: %v", err)
	}
	var out []consumer.JobEvent
	for {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			t.Fatalf("fetch events: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			var ev consumer.JobEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatalf("event %q: %v", m.Data(), err)
			}
			out = append(out, ev)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

func terminals(evs []consumer.JobEvent) []consumer.JobEvent {
	var out []consumer.JobEvent
	for _, ev := range evs {
		if ev.Terminal() {
			out = append(out, ev)
		}
	}
	return out
}

// jobsLeft is how many messages the jobs stream still holds.
func jobsLeft(t *testing.T, nc *nats.Conn) uint64 {
	t.Helper()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), consumer.NewSubjects("").JobsStream())
	if err != nil {
		t.Fatalf("jobs stream: %v", err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatalf("jobs stream: %v", err)
	}
	return info.State.Msgs
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}
