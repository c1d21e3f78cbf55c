package engine_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// cacheTurn is one job of TestPromptCacheMatchesFresh: its prompt is
// built from the earlier turns' prompts and outputs.
type cacheTurn struct {
	name   string
	prompt func(prompts [][]int32, outs []jobOutput) []int32
	samp   engine.SamplingParams
	max    int
	cached func(prompts [][]int32, outs []jobOutput) int // PromptCached expected
	cancel int                                           // > 0: stop listening after this many tokens
}

// TestPromptCacheMatchesFresh runs a conversation through a generator with
// two slots and the prompt cache, and each turn again on a fresh
// generator without it: every turn's tokens, text and stop reason must be
// the same, and each turn must take from the cache exactly the positions
// its prompt shares with a cached slot. Reuse is exact for the same reason
// batching is (see TestBatchedMatchesAlone), so with the row-layout Q4_0
// kernels only greedy turns are compared.
func TestPromptCacheMatchesFresh(t *testing.T) {
	onKernels := os.Getenv("ORCD_MATMUL") == "kernels"
	packedQ4_0 := kernels.CanPack(kernels.Matrix{Type: gguf.TypeQ4_0, Rows: 8, Cols: 32})
	cases := storiesGolden(t)
	p0, p1, p2 := cases[0].PromptTokens, cases[1].PromptTokens, cases[2].PromptTokens
	warm := engine.SamplingParams{Temperature: 0.9, TopK: 40, TopP: 0.95, Seed: 7}
	// fed is what a finished turn left in its slot: its prompt and every
	// sampled token but the last, which was never fed back.
	fed := func(prompts [][]int32, outs []jobOutput, i int) []int32 {
		return slices.Concat(prompts[i], outs[i].ids[:len(outs[i].ids)-1])
	}
	turns := []cacheTurn{
		{name: "first turn", max: 12,
			prompt: func([][]int32, []jobOutput) []int32 { return p0 },
			cached: func([][]int32, []jobOutput) int { return 0 }},
		{name: "its continuation", max: 10,
			prompt: func(ps [][]int32, os []jobOutput) []int32 { return slices.Concat(ps[0], os[0].ids, p1[1:]) },
			cached: func(ps [][]int32, os []jobOutput) int { return len(fed(ps, os, 0)) }},
		{name: "an unrelated prompt takes the empty slot", max: 8, samp: warm,
			prompt: func([][]int32, []jobOutput) []int32 { return p2 },
			cached: func([][]int32, []jobOutput) int { return 0 }},
		{name: "the same request again keeps all but the last prompt token", max: 10,
			prompt: func(ps [][]int32, _ []jobOutput) []int32 { return ps[1] },
			cached: func(ps [][]int32, _ []jobOutput) int { return len(ps[1]) - 1 }},
		{name: "cancelled mid-decode", max: 40, cancel: 5,
			prompt: func(ps [][]int32, os []jobOutput) []int32 { return slices.Concat(ps[3], os[3].ids) },
			cached: func(ps [][]int32, os []jobOutput) int { return len(fed(ps, os, 3)) }},
		{name: "continuing the cancelled turn, sampled", max: 16, samp: warm,
			prompt: func(ps [][]int32, os []jobOutput) []int32 { return slices.Concat(ps[4], os[4].ids[:3], p2[1:]) },
			cached: func(ps [][]int32, os []jobOutput) int { return len(ps[4]) + 3 }},
	}
	for _, model := range []string{"stories260K.gguf", "tiny-llama-gqa-q8_0-pure.gguf", "tiny-llama-gqa-q4_0-pure.gguf", "tiny-llama-gqa-q4_k_m.gguf"} {
		t.Run(model, func(t *testing.T) {
			greedyOnly := onKernels && strings.Contains(model, "q4_0") && !packedQ4_0
			fresh, _ := newSchedGenerator(t, model, 1, engine.SchedOptions{NoPromptCache: true})
			g, _ := newSchedGenerator(t, model, 2, engine.SchedOptions{PrefillChunk: 3, IdlePrefill: 8})
			var prompts [][]int32
			var outs []jobOutput
			for _, tu := range turns {
				req := engine.Request{Tokens: tu.prompt(prompts, outs), MaxTokens: tu.max, Sampling: tu.samp, IgnoreEOS: true}
				got := runTurn(g, &req, tu.cancel)
				if got.err != nil {
					t.Fatalf("%s: %v", tu.name, got.err)
				}
				if want := tu.cached(prompts, outs); got.result.PromptCached != want {
					t.Fatalf("%s: %d prompt tokens from the cache, want %d", tu.name, got.result.PromptCached, want)
				}
				want := runTurn(fresh, &req, tu.cancel)
				if want.result.PromptCached != 0 {
					t.Fatalf("%s: NoPromptCache took %d tokens from a cache", tu.name, want.result.PromptCached)
				}
				if !(greedyOnly && tu.samp.Temperature > 0) &&
					(!slices.Equal(got.ids, want.ids) || got.result.Text != want.result.Text || got.result.StopReason != want.result.StopReason) {
					t.Fatalf("%s: %v %q (%s)\nfresh: %v %q (%s)", tu.name, got.ids, got.result.Text, got.result.StopReason,
						want.ids, want.result.Text, want.result.StopReason)
				}
				t.Logf("%s: %d of %d prompt tokens from the cache", tu.name, got.result.PromptCached, len(req.Tokens))
				prompts, outs = append(prompts, req.Tokens), append(outs, got)
			}
		})
	}
}

// runTurn runs one job to its end, or until it has emitted cancel tokens
// when cancel > 0. A cancelled job's slot keeps what its cache holds once
// the scheduler reaps it, so runTurn waits until the generator is idle.
func runTurn(g *engine.Generator, req *engine.Request, cancel int) jobOutput {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var o jobOutput
	o.result, o.err = g.Generate(ctx, req, func(tk engine.Token) error {
		o.ids = append(o.ids, tk.ID)
		if len(o.ids) == cancel {
			stop()
		}
		return nil
	})
	for g.Memory().KVUsed > 0 {
		time.Sleep(time.Millisecond)
	}
	return o
}

// TestPromptCacheSharesAcrossSlots: four jobs that arrive together with
// the same 40-token prefix prefill it once. The first job admitted
// computes it; the others, whose prompt chunks come after its own in
// admission order, copy the whole prefix from its slot when their turn
// comes; and each job's tokens are those it gets alone without any cache.
func TestPromptCacheSharesAcrossSlots(t *testing.T) {
	cases := storiesGolden(t)
	prefix := slices.Concat(cases[0].PromptTokens, cases[0].GeneratedTokens[:35])
	for _, model := range []string{"stories260K.gguf", "tiny-llama-gqa-q8_0-pure.gguf"} {
		t.Run(model, func(t *testing.T) {
			fresh, _ := newSchedGenerator(t, model, 1, engine.SchedOptions{NoPromptCache: true})
			g, rec := newSchedGenerator(t, model, 4, engine.SchedOptions{PrefillChunk: 3, IdlePrefill: 8})
			var jobs []schedJob
			for i := 1; i <= 4; i++ {
				jobs = append(jobs, schedJob{req: engine.Request{Tokens: slices.Concat(prefix, cases[i].PromptTokens[1:]), MaxTokens: 8, IgnoreEOS: true}})
			}
			got := runJobs(g, jobs)
			prompts, shared := 0, 0
			for i, o := range got {
				want := runTurn(fresh, &jobs[i].req, 0)
				if o.err != nil || want.err != nil || !slices.Equal(o.ids, want.ids) || o.result.Text != want.result.Text {
					t.Fatalf("job %d: %v %q (%v)\nalone: %v %q (%v)", i, o.ids, o.result.Text, o.err, want.ids, want.result.Text, want.err)
				}
				prompts += len(jobs[i].req.Tokens)
				shared += o.result.PromptCached
				t.Logf("job %d: %d of %d prompt tokens from another slot", i, o.result.PromptCached, len(jobs[i].req.Tokens))
			}
			// Every prompt token the steps carried was either prefilled or
			// came from a copy: the recorder saw the first kind only.
			fed := 0
			for _, b := range rec.recorded() {
				fed += len(b.seq)
			}
			if decoded := 4 * 7; fed != prompts-shared+decoded || shared < 3*len(prefix) {
				t.Fatalf("steps carried %d tokens: %d prompt tokens, %d of them shared, %d decoded", fed, prompts, shared, decoded)
			}
		})
	}
}
