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
	for _, mode := range []string{"async", "sync"} {
		b.Run(mode, func(b *testing.B) {
			ts := &tokenStream{js: js, nc: nc, subject: s.Events("bench-" + mode), sync: mode == "sync",
				maxPending: 16, base: JobEvent{JobID: "bench", Attempt: 1}}
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
