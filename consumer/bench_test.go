package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/engine"
)

// BenchmarkTokenPublish measures what one token event costs the decode
// loop: async (bounded pending, coalescing) against one synchronous
// JetStream publish per token, in the same run on the same server.
// ns/op is per token.
func BenchmarkTokenPublish(b *testing.B) {
	srv, err := StartServer(ServerConfig{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	s := NewSubjects("")
	if _, err := EnsureResources(context.Background(), js, s, StreamConfig{}, time.Second); err != nil {
		b.Fatal(err)
	}
	// async: the worker's setting (16 pending, coalescing beyond);
	// async-1k: up to 1000 pending, so nearly one event per token;
	// sync: one acknowledged publish per token.
	modes := []struct {
		name    string
		pending int
	}{{"async", 16}, {"async-1k", 1000}, {"sync", 1}}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			ts := &tokenStream{js: js, nc: nc, subject: s.Events("bench-" + mode.name), sync: mode.name == "sync",
				maxPending: mode.pending, base: JobEvent{JobID: "bench", Attempt: 1}}
			for i := 0; b.Loop(); i++ {
				if err := ts.add(engine.Token{Index: i, ID: int32(i), Text: " word"}); err != nil {
					b.Fatal(err)
				}
			}
			if err := ts.close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(ts.sent)/float64(max(ts.events, 1)), "tokens/event")
		})
	}
}
