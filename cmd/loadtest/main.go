// Command loadtest runs a batch of jobs through several worker processes
// sharing one nats-server process, once with a single worker (the
// reference texts), once clean and once with a worker SIGKILLed and
// restarted mid-run, and prints throughput, latency, and the three numbers
// that must be 0: jobs lost, jobs with two terminal events, and jobs whose
// text differs from the single-worker run of the same seed.
//
//	make loadtest   (or: go run ./cmd/loadtest -worker bin/worker -nats-server bin/nats-server)
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

type options struct {
	workerBin, natsBin, model string
	jobs, workers, slots      int
	maxTokens                 int
	ackWait                   time.Duration
	timeout                   time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.workerBin, "worker", "bin/worker", "worker binary")
	flag.StringVar(&o.natsBin, "nats-server", "bin/nats-server", "nats-server binary")
	flag.StringVar(&o.model, "model", "../shared/testdata/models/stories260K.gguf", "GGUF model")
	flag.IntVar(&o.jobs, "jobs", 1000, "jobs per run")
	flag.IntVar(&o.workers, "workers", 3, "worker processes")
	flag.IntVar(&o.slots, "slots", 2, "slots per worker (the reference run uses 1 worker with 1 slot)")
	flag.IntVar(&o.maxTokens, "max-tokens", 48, "max_tokens of every job")
	flag.DurationVar(&o.ackWait, "ack-wait", 2*time.Second, "workers' --ack-wait: how soon a killed worker's jobs come back")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a run after this long")
	flag.Parse()
	if _, err := os.Stat(o.model); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: model: %v\n", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	fmt.Printf("loadtest: %d jobs (max_tokens %d, seed = job index) on %s\n\n", o.jobs, o.maxTokens, o.model)
	ref, err := runScenario(o, scenario{name: "reference: 1 worker, 1 slot", workers: 1, slots: 1}, nil)
	if err != nil {
		return err
	}
	ref.print()
	if ref.lost+ref.twoTerminals+ref.failed > 0 {
		return fmt.Errorf("the reference run itself lost or failed jobs")
	}
	bad := 0
	for _, sc := range []scenario{
		{name: fmt.Sprintf("clean: %d workers, %d slots each", o.workers, o.slots), workers: o.workers, slots: o.slots},
		{name: fmt.Sprintf("kill: %d workers, one SIGKILLed and restarted mid-run", o.workers), workers: o.workers, slots: o.slots, kill: true},
	} {
		r, err := runScenario(o, sc, ref.texts)
		if err != nil {
			return err
		}
		r.print()
		bad += r.lost + r.twoTerminals + r.differs
	}
	if bad > 0 {
		return fmt.Errorf("%d jobs lost, finished twice or with a different text", bad)
	}
	fmt.Println("OK: no job lost, none finished twice, every text identical to the single-worker run")
	return nil
}

// report is one scenario's result.
type report struct {
	name                 string
	jobs                 int
	elapsed              time.Duration
	firstToken, terminal []time.Duration
	lost, twoTerminals   int
	differs, failed      int
	redelivered          int
	hbGaps               []time.Duration
	heartbeat            time.Duration
	killNote             string
	texts                map[string]string
	compared             bool
}

func (r *report) print() {
	fmt.Printf("== %s\n", r.name)
	if r.killNote != "" {
		fmt.Printf("   %s\n", r.killNote)
	}
	fmt.Printf("   jobs/s                     %.1f  (%d jobs in %v)\n", float64(r.jobs)/r.elapsed.Seconds(), r.jobs, r.elapsed.Round(time.Millisecond))
	fmt.Printf("   publish -> first token     p50 %v  p99 %v\n", pct(r.firstToken, 0.50), pct(r.firstToken, 0.99))
	fmt.Printf("   publish -> terminal        p50 %v  p99 %v\n", pct(r.terminal, 0.50), pct(r.terminal, 0.99))
	fmt.Printf("   heartbeat gaps (every %v) p50 %v  p99 %v  max %v\n", r.heartbeat, pct(r.hbGaps, 0.5), pct(r.hbGaps, 0.99), pct(r.hbGaps, 1))
	fmt.Printf("   jobs redelivered           %d\n", r.redelivered)
	fmt.Printf("   jobs failed (error event)  %d\n", r.failed)
	fmt.Printf("   jobs lost                  %d\n", r.lost)
	fmt.Printf("   jobs with two terminals    %d\n", r.twoTerminals)
	if r.compared {
		fmt.Printf("   jobs whose text differs    %d\n", r.differs)
	} else {
		fmt.Printf("   jobs whose text differs    - (this run is the reference)\n")
	}
	fmt.Println()
}

var prompts = []string{"Once upon a time", "The little dog", "One day, a girl named Lily", "Tom and his friend"}

func jobID(i int) string { return fmt.Sprintf("lt-%05d", i) }

func jobBody(i, maxTokens int) []byte {
	return fmt.Appendf(nil, `{"job_id":%q,"prompt":%q,"max_tokens":%d,"seed":%d}`, jobID(i), prompts[i%len(prompts)], maxTokens, i)
}

func pad(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len(s))) }
