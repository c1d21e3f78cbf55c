package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
)

// BenchmarkBatchedDecode runs 1, 2, 4, 8 and 16 jobs at once through the
// Generator (one slot each, 2 threads) and reports:
//   - agg-tok/s: tokens generated per second by all jobs together while
//     they decode (the sum of their Result.DecodeTokPerSec);
//   - tbt-p50-ms, tbt-p99-ms: time between a job's consecutive tokens, as
//     its caller receives them, over every job;
//   - x-1job: agg-tok/s against one job alone on the same Generator,
//     measured in rounds interleaved with the N-job rounds, so that both
//     see the same machine load (the CPU here is shared).
//
// The model is stories260K, or with ORCD_BENCH_1B=q4_0 (or q8_0) the
// Llama-3.2-1B-shaped file that engine/cpu's BenchmarkLlama1BDecode
// generates into $ORCD_BENCH_DIR (default the temp dir); run that once
// first. The 1B case takes minutes: use -benchtime=1x.
func BenchmarkBatchedDecode(b *testing.B) {
	path, big := benchModel(b)
	prompt, gen := 16, 128
	if big {
		gen = 32
	}
	for _, jobs := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			g, vocab := benchGenerator(b, path, jobs, prompt+gen, engine.SchedOptions{})
			var agg, single float64
			var gaps []time.Duration
			for i := 0; i < b.N; i++ {
				if jobs > 1 {
					a, _ := batchedRound(b, g, 1, prompt, gen, vocab)
					single += a
				}
				a, gs := batchedRound(b, g, jobs, prompt, gen, vocab)
				agg += a
				gaps = append(gaps, gs...)
			}
			if jobs == 1 {
				single = agg
			}
			slices.Sort(gaps)
			b.ReportMetric(agg/float64(b.N), "agg-tok/s")
			b.ReportMetric(ms(gaps[len(gaps)/2]), "tbt-p50-ms")
			b.ReportMetric(ms(gaps[len(gaps)*99/100]), "tbt-p99-ms")
			b.ReportMetric(single/float64(b.N), "1job-tok/s")
			b.ReportMetric(agg/single, "x-1job")
		})
	}
}

// BenchmarkPromptCache is the time to first token of jobs whose prompts
// share their first 480 tokens (a system prompt) and differ in the last 32,
// with the prompt cache and without, in rounds that alternate the two:
//   - one-slot: one job after another on one slot (the slot keeps the
//     prefix): ttft-ms, nocache-ttft-ms and their ratio x-nocache;
//   - four-slots: four jobs at once on four slots (the first prefills the
//     prefix, the others copy it): the time until the last of the four
//     has its first token, and the same ratio. Each round has a prefix of
//     its own, so that nothing is left from the round before.
//
// Same models as BenchmarkBatchedDecode.
func BenchmarkPromptCache(b *testing.B) {
	path, _ := benchModel(b)
	const shared, own = 480, 32
	job, round := 0, 0
	prompt := func(vocab int) []int32 {
		job++
		toks := make([]int32, 0, shared+own)
		for i := range shared {
			toks = append(toks, int32((i*104729+round*31337+13)%vocab))
		}
		for i := range own {
			toks = append(toks, int32((job*7919+i*31+7)%vocab))
		}
		return toks
	}
	// lastFirstToken starts n jobs at once and returns when the last of
	// them had its first token, measured from the start.
	lastFirstToken := func(g *engine.Generator, n, vocab int) time.Duration {
		start := time.Now()
		var mu sync.Mutex
		var last time.Duration
		var wg sync.WaitGroup
		for range n {
			toks := prompt(vocab)
			wg.Go(func() {
				_, err := g.Generate(context.Background(), &engine.Request{Tokens: toks, MaxTokens: 1}, func(engine.Token) error {
					mu.Lock()
					last = max(last, time.Since(start))
					mu.Unlock()
					return nil
				})
				if err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		return last
	}
	for _, slots := range []int{1, 4} {
		name := map[int]string{1: "one-slot", 4: "four-slots"}[slots]
		b.Run(name, func(b *testing.B) {
			on, _ := benchGenerator(b, path, slots, shared+own+8, engine.SchedOptions{})
			off, vocab := benchGenerator(b, path, slots, shared+own+8, engine.SchedOptions{NoPromptCache: true})
			if slots == 1 {
				lastFirstToken(on, 1, vocab) // the first job fills the slot's cache
			}
			var withCache, without time.Duration
			for i := 0; i < b.N; i++ {
				if slots > 1 {
					round++
				}
				withCache += lastFirstToken(on, slots, vocab)
				without += lastFirstToken(off, slots, vocab)
			}
			b.ReportMetric(ms(withCache)/float64(b.N), "ttft-ms")
			b.ReportMetric(ms(without)/float64(b.N), "nocache-ttft-ms")
			b.ReportMetric(float64(without)/float64(withCache), "x-nocache")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchModel is stories260K, or with ORCD_BENCH_1B=q4_0 (or q8_0) the
// Llama-3.2-1B-shaped file that engine/cpu's benchmarks generate into
// $ORCD_BENCH_DIR (default the temp dir); big says which.
func benchModel(b *testing.B) (path string, big bool) {
	q := os.Getenv("ORCD_BENCH_1B")
	if q == "" {
		return filepath.Join(testdata, "models", "stories260K.gguf"), false
	}
	dir := os.Getenv("ORCD_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path = filepath.Join(dir, "orcd-llama1b-"+q+".gguf")
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("%v: run `ORCD_BENCH_1B=%s go test ./engine/cpu/ -run '^$' -bench Llama1BDecode -benchtime 1x` first to generate it", err, q)
	}
	return path, true
}

func benchGenerator(b *testing.B, path string, slots, ctx int, opts engine.SchedOptions) (*engine.Generator, int) {
	f, err := gguf.Open(path)
	if err != nil {
		b.Fatalf("open %s: %v", path, err)
	}
	b.Cleanup(func() { f.Close() })
	m, err := engine.LoadModel(f)
	if err != nil {
		b.Fatal(err)
	}
	be, err := cpu.New(m, cpu.Options{Threads: 2, MaxSeqs: slots, Context: ctx})
	if err != nil {
		b.Fatal(err)
	}
	g := engine.NewGeneratorWith(be, newPieceTokenizer(b, f), m.Config.NVocab, engine.Info{Engine: "cpu"}, opts)
	b.Cleanup(func() { g.Close() })
	// Page the mapped weights in before anything is timed.
	if _, err := g.Generate(context.Background(), &engine.Request{Tokens: []int32{1}, MaxTokens: 2}, func(engine.Token) error { return nil }); err != nil {
		b.Fatal(err)
	}
	return g, m.Config.NVocab
}

// batchedRound starts jobs greedy jobs at once, each with its own prompt,
// and returns their aggregate decode rate and every time between tokens.
// The rate is the sum of the jobs' own decode rates, which the scheduler
// times (first token to last), so a caller goroutine that the shared CPU
// wakes late, and that then takes a burst of queued tokens, does not skew
// it; the jobs start together and are equally long, so they decode over
// the same span.
func batchedRound(b *testing.B, g *engine.Generator, jobs, prompt, gen, vocab int) (float64, []time.Duration) {
	stamps := make([][]time.Time, jobs)
	rates := make([]float64, jobs)
	var wg sync.WaitGroup
	for j := range jobs {
		toks := make([]int32, prompt)
		for i := range toks {
			toks[i] = int32((j*7919 + i*104729 + 13) % vocab)
		}
		wg.Go(func() {
			stamps[j] = make([]time.Time, 0, gen)
			res, err := g.Generate(context.Background(), &engine.Request{Tokens: toks, MaxTokens: gen, IgnoreEOS: true},
				func(engine.Token) error { stamps[j] = append(stamps[j], time.Now()); return nil })
			if err != nil {
				b.Error(err)
				return
			}
			rates[j] = res.DecodeTokPerSec()
		})
	}
	wg.Wait()
	var agg float64
	var gaps []time.Duration
	for j, s := range stamps {
		agg += rates[j]
		for i := 1; i < len(s); i++ {
			gaps = append(gaps, s[i].Sub(s[i-1]))
		}
	}
	return agg, gaps
}
