package engine_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
)

// TestPromptCacheRandomMix runs random job mixes through a generator with
// the prompt cache and continuous batching: prompts drawn from a few
// shared prefixes (some longer than the others, so that slots hold
// prefixes of each other), jobs arriving together or while others run,
// some cancelled mid-decode, greedy and seeded sampling, 1 to 4 slots and
// small prefill chunks. Every job must produce the tokens it produces
// alone on a fresh generator without a cache (a cancelled job: a prefix
// of them), and the mixes must have taken prompt tokens from the cache.
// The float path is exact under batching and reuse (see
// TestBatchedMatchesAlone), so any slot, truncation or copy mistake
// shows as a different token. ORCD_STRESS_SEEDS=N runs more mixes.
func TestPromptCacheRandomMix(t *testing.T) {
	seeds := 3
	if v, err := strconv.Atoi(os.Getenv("ORCD_STRESS_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	cases := storiesGolden(t)
	for _, model := range []string{"stories260K.gguf", "tiny-llama-gqa-q8_0-pure.gguf"} {
		t.Run(model, func(t *testing.T) {
			fresh, _ := newSchedGenerator(t, model, 1, engine.SchedOptions{NoPromptCache: true})
			alone := map[string][]int32{} // memoised fresh outputs, by job
			cached := 0
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 42))
				slots := 1 + rng.IntN(4)
				chunk := 1 + rng.IntN(8)
				opts := engine.SchedOptions{PrefillChunk: chunk, IdlePrefill: chunk + rng.IntN(24)}
				g, rec := newSchedGenerator(t, model, slots, opts)
				rec.delay = 100 * time.Microsecond
				jobs := randomMix(rng, cases)
				got := runJobs(g, jobs)
				for i, j := range jobs {
					key := fmt.Sprint(j.req.Tokens, j.req.MaxTokens, j.req.Sampling)
					want, ok := alone[key]
					if !ok {
						w := runTurn(fresh, &j.req, 0)
						if w.err != nil {
							t.Fatalf("seed %d job %d alone: %v", seed, i, w.err)
						}
						want, alone[key] = w.ids, w.ids
					}
					o := got[i]
					if o.err != nil {
						t.Fatalf("seed %d job %d: %v", seed, i, o.err)
					}
					ok = slices.Equal(o.ids, want)
					if j.cancel > 0 && o.result.StopReason == engine.StopCancelled {
						ok = len(o.ids) >= j.cancel && len(o.ids) <= len(want) && slices.Equal(o.ids, want[:len(o.ids)])
					}
					if !ok {
						t.Fatalf("seed %d (%d slots, chunk %d/%d) job %d (prompt %d, cancel %d): %v (%s, %d cached)\nalone: %v",
							seed, slots, opts.PrefillChunk, opts.IdlePrefill, i, len(j.req.Tokens), j.cancel,
							o.ids, o.result.StopReason, o.result.PromptCached, want)
					}
					cached += o.result.PromptCached
				}
				g.Close()
			}
			if cached == 0 {
				t.Fatal("no job took prompt tokens from the cache: the mixes do not exercise it")
			}
			t.Logf("%d mixes, %d prompt tokens from the cache", seeds, cached)
		})
	}
}

// randomMix is 10 to 17 jobs whose prompts are one of three prefixes (18
// to 40 tokens of the stories goldens; the third extends the first) plus
// 1 to 8 tokens of their own.
func randomMix(rng *rand.Rand, cases []storyCase) []schedJob {
	base := slices.Concat(cases[0].PromptTokens, cases[0].GeneratedTokens[:22])
	prefixes := [][]int32{
		base,
		slices.Concat(cases[1].PromptTokens, cases[1].GeneratedTokens[:12]),
		slices.Concat(base, cases[2].GeneratedTokens[:15]),
	}
	pool := slices.Concat(cases[3].GeneratedTokens, cases[4].GeneratedTokens)
	warm := engine.SamplingParams{Temperature: 0.9, TopK: 40, TopP: 0.95}
	jobs := make([]schedJob, 10+rng.IntN(8))
	for i := range jobs {
		p := slices.Clone(prefixes[rng.IntN(len(prefixes))])
		for range 1 + rng.IntN(8) {
			p = append(p, pool[rng.IntN(len(pool))])
		}
		j := schedJob{req: engine.Request{Tokens: p, MaxTokens: 1 + rng.IntN(20), IgnoreEOS: true}}
		if rng.IntN(3) == 0 {
			j.req.Sampling = warm
			j.req.Sampling.Seed = rng.Uint64()
		}
		if rng.IntN(4) == 0 {
			j.after = 0 // arrives with the job before it
		} else {
			j.after = rng.IntN(6)
		}
		if rng.IntN(4) == 0 && j.req.MaxTokens > 2 {
			j.cancel = 1 + rng.IntN(j.req.MaxTokens-1)
		}
		jobs[i] = j
	}
	return jobs
}
