package consumer_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer/enginetest"
)

// shortJobs runs n two-token jobs through one worker, eight in flight, and
// calls sample after each tenth of them.
func shortJobs(t testing.TB, e *env, c *client.Client, n int, sample func(done int)) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sem := make(chan struct{}, 8)
	errs := make(chan error, n)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			run, err := c.Submit(ctx, "fake", &client.Job{JobID: fmt.Sprint("soak", i), Prompt: "p", MaxTokens: 2})
			if err == nil {
				_, err = run.Wait()
			}
			errs <- err
		}()
		if sample != nil && (i+1)%max(n/10, 1) == 0 {
			sample(i + 1)
		}
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("job: %v", err)
		}
	}
}

func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		n = min(n, runtime.NumGoroutine())
	}
	return n
}

// Guarantee 7 (bounded, for make test): after a warm-up, 1,000 more short
// jobs leave the goroutine count where it was. TestMain's goleak check
// then proves nothing survives the worker's stop.
func TestManyShortJobsDoNotLeakGoroutines(t *testing.T) {
	withServer(t, func(e *env) {
		e.startWorker(&enginetest.Engine{NSlots: 4}, testConfig("soak"))
		c := e.client()
		shortJobs(t, e, c, 100, nil)
		before := settledGoroutines()
		shortJobs(t, e, c, 1000, nil)
		after := settledGoroutines()
		t.Logf("goroutines: %d after 100 jobs, %d after 1,100", before, after)
		if after > before+5 {
			t.Errorf("goroutines grew from %d to %d over 1,000 jobs", before, after)
		}
	})
}

func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// BenchmarkSoakShortJobs is the soak run of guarantee 7: b.N short jobs
// (make loadtest runs 10,000) through one worker on the fake engine, with
// the worker, the client and the NATS server in this process. It reports
// goroutines and RSS after the first tenth and at the end; flat means no
// growth from the first to the last.
//
//	go test ./consumer -run X -bench SoakShortJobs -benchtime 10000x
func BenchmarkSoakShortJobs(b *testing.B) {
	withServer(b, func(e *env) {
		e.startWorker(&enginetest.Engine{NSlots: 4}, testConfig("soak"))
		c := e.client()
		var g0, g1 int
		var r0, r1 uint64
		b.ResetTimer()
		shortJobs(b, e, c, b.N, func(done int) {
			if done == max(b.N/10, 1) {
				debug.FreeOSMemory()
				g0, r0 = settledGoroutines(), rssBytes()
			}
		})
		b.StopTimer()
		debug.FreeOSMemory()
		g1, r1 = settledGoroutines(), rssBytes()
		b.ReportMetric(float64(g0), "goroutines@10%")
		b.ReportMetric(float64(g1), "goroutines@end")
		b.ReportMetric(float64(r0)/(1<<20), "rssMB@10%")
		b.ReportMetric(float64(r1)/(1<<20), "rssMB@end")
	})
}
