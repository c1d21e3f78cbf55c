package engine_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// recorder wraps a Backend and keeps a copy of every batch's sequence ids
// and logits flags, so tests can check what the scheduler put in a step.
// delay stretches each step, so that jobs started from other jobs' token
// callbacks find those still running.
type recorder struct {
	engine.Backend
	delay   time.Duration
	mu      sync.Mutex
	batches []recordedBatch
}

type recordedBatch struct {
	seq    []int32
	logits []bool
}

func (r *recorder) Forward(ctx context.Context, b *engine.Batch, logits []float32) error {
	r.mu.Lock()
	r.batches = append(r.batches, recordedBatch{slices.Clone(b.Seq), slices.Clone(b.Logits)})
	r.mu.Unlock()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	return r.Backend.Forward(ctx, b, logits)
}

// TruncateSeq and CopySeq pass the backend's prompt-cache capabilities
// through.
func (r *recorder) TruncateSeq(seq int32, n int) error {
	return r.Backend.(engine.SeqTruncater).TruncateSeq(seq, n)
}

func (r *recorder) CopySeq(dst, src int32, n int) error {
	return r.Backend.(engine.SeqCopier).CopySeq(dst, src, n)
}

func (r *recorder) recorded() []recordedBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// maxSeqsPerBatch is the most distinct sequences one recorded step held.
func (r *recorder) maxSeqsPerBatch() int {
	most := 0
	for _, b := range r.recorded() {
		most = max(most, len(distinct(b.seq)))
	}
	return most
}

func distinct(s []int32) []int32 {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// newSchedGenerator serves the model file (under testdata/models) on a CPU
// backend with slots sequences, through a recorder.
func newSchedGenerator(t testing.TB, model string, slots int, opts engine.SchedOptions) (*engine.Generator, *recorder) {
	b, f, vocab := newSchedBackend(t, model, slots)
	rec := &recorder{Backend: b}
	g := engine.NewGeneratorWith(rec, newPieceTokenizer(t, f), vocab, engine.Info{Model: model, Engine: "cpu"}, opts)
	t.Cleanup(func() { g.Close() })
	return g, rec
}

// newSchedBackend opens the model file on a CPU backend with slots
// sequences of 256 positions and 2 threads.
func newSchedBackend(t testing.TB, model string, slots int) (engine.Backend, *gguf.File, int) {
	path := filepath.Join(testdata, "models", model)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := engine.LoadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cpu.New(m, cpu.Options{Threads: 2, MaxSeqs: slots, Context: 256})
	if err != nil {
		t.Fatal(err)
	}
	return b, f, m.Config.NVocab
}

// schedJob is one request of a test mix; it starts once the job before it
// has emitted `after` tokens (or has ended), so jobs join a running batch.
// A job with cancel > 0 cancels its context once it has that many tokens.
type schedJob struct {
	req    engine.Request
	after  int
	cancel int
}

type jobOutput struct {
	ids    []int32
	result *engine.Result
	err    error
}

// mixedJobs is eight requests of different prompt lengths (one spans many
// prefill chunks), lengths and samplers; all of stories260K's vocabulary.
func mixedJobs(t *testing.T) []schedJob {
	cases := storiesGolden(t)
	long := slices.Concat(cases[0].PromptTokens, cases[0].GeneratedTokens[:30], cases[1].GeneratedTokens[:20])
	warm := engine.SamplingParams{Temperature: 0.9, TopK: 40, TopP: 0.95, Seed: 7}
	pen := engine.SamplingParams{Temperature: 0.7, RepeatPenalty: 1.3, Seed: 99}
	jobs := []schedJob{
		{engine.Request{Tokens: cases[0].PromptTokens, MaxTokens: 40, IgnoreEOS: true}, 0, 0},
		{engine.Request{Tokens: cases[1].PromptTokens, MaxTokens: 25, IgnoreEOS: true}, 3, 0},
		{engine.Request{Tokens: long, MaxTokens: 30, IgnoreEOS: true}, 1, 0},
		{engine.Request{Tokens: cases[2].PromptTokens, MaxTokens: 12, Sampling: warm, IgnoreEOS: true}, 5, 0},
		{engine.Request{Tokens: cases[3].PromptTokens, MaxTokens: 45, IgnoreEOS: true}, 2, 0},
		{engine.Request{Tokens: cases[4].PromptTokens, MaxTokens: 20, Sampling: pen, IgnoreEOS: true}, 0, 0},
		{engine.Request{Tokens: slices.Concat(cases[4].PromptTokens, cases[2].PromptTokens[1:]), MaxTokens: 33, Stop: []string{"."}}, 4, 0},
		{engine.Request{Tokens: cases[1].PromptTokens[:3], MaxTokens: 18, Sampling: warm, IgnoreEOS: true}, 1, 0},
	}
	return jobs
}

// runJobs runs the jobs on g, each starting after its predecessor emitted
// its `after` tokens, and returns every job's output.
func runJobs(g *engine.Generator, jobs []schedJob) []jobOutput {
	out := make([]jobOutput, len(jobs))
	starts := make([]sync.Once, len(jobs)+1)
	var wg sync.WaitGroup
	var start func(i int)
	start = func(i int) {
		if i >= len(jobs) {
			return
		}
		next := math.MaxInt // tokens of job i that start job i+1
		if i+1 < len(jobs) {
			next = jobs[i+1].after
		}
		starts[i].Do(func() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if next == 0 {
					start(i + 1)
				}
				o := &out[i]
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				o.result, o.err = g.Generate(ctx, &jobs[i].req, func(tk engine.Token) error {
					if o.ids = append(o.ids, tk.ID); len(o.ids) >= next {
						start(i + 1)
					}
					if len(o.ids) == jobs[i].cancel {
						cancel()
					}
					return nil
				})
				start(i + 1)
			}()
		})
	}
	start(0)
	wg.Wait()
	return out
}

// TestBatchedMatchesAlone: every job's tokens and text are the same when it
// runs alone as when it shares steps with up to 1, 2, 4 or 8 others, with
// prompts chunked across steps and jobs joining and leaving mid-run.
//
// Rows of a batched forward pass are bit-identical to single-sequence ones
// with the float reference matmul and with every kernel but one, so greedy
// and seeded sampling jobs alike must match. The exception is the Q4_0
// kernels for weights in GGUF's row layout, used where the CPU lacks the
// repacked-Q4_0 VNNI kernels: the four-token kernel, which runs whenever a
// step holds four or more tokens, sums in a different order from the
// one-token kernel (equal within float rounding, see engine/kernels
// TestQuadMatchesSingle). There a sampling job's draw may land on the
// other side of a boundary, so only the greedy jobs are compared. The
// repacked kernels do the same arithmetic per token in any batch
// (kernels TestPackedBatchInvariant), so with them every job is compared.
func TestBatchedMatchesAlone(t *testing.T) {
	onKernels := os.Getenv("ORCD_MATMUL") == "kernels"
	packedQ4_0 := kernels.CanPack(kernels.Matrix{Type: gguf.TypeQ4_0, Rows: 8, Cols: 32})
	for _, model := range []string{"stories260K.gguf", "tiny-llama-gqa-q8_0-pure.gguf", "tiny-llama-gqa-q4_0-pure.gguf", "tiny-llama-gqa-q4_k_m.gguf"} {
		t.Run(model, func(t *testing.T) {
			greedyOnly := onKernels && strings.Contains(model, "q4_0") && !packedQ4_0
			jobs := mixedJobs(t)
			alone, _ := newSchedGenerator(t, model, 1, engine.SchedOptions{})
			want := make([]jobOutput, len(jobs))
			for i := range jobs {
				want[i] = runJobs(alone, jobs[i:i+1])[0]
				if want[i].err != nil {
					t.Fatalf("job %d alone: %v", i, want[i].err)
				}
			}
			for _, n := range []int{1, 2, 4, 8} {
				g, rec := newSchedGenerator(t, model, n, engine.SchedOptions{PrefillChunk: 3, IdlePrefill: 8})
				rec.delay = 200 * time.Microsecond
				got := runJobs(g, jobs)
				for i := range jobs {
					w, o := want[i], got[i]
					if o.err != nil {
						t.Fatalf("%d slots, job %d: %v", n, i, o.err)
					}
					if greedyOnly && jobs[i].req.Sampling.Temperature > 0 {
						continue
					}
					if !slices.Equal(o.ids, w.ids) || o.result.Text != w.result.Text || o.result.StopReason != w.result.StopReason {
						t.Fatalf("%d slots, job %d: %v %q (%s)\nalone: %v %q (%s)", n, i,
							o.ids, o.result.Text, o.result.StopReason, w.ids, w.result.Text, w.result.StopReason)
					}
				}
				if most := rec.maxSeqsPerBatch(); most > n || (n > 1 && most < 2) {
					t.Fatalf("%d slots: at most %d sequences in one step", n, most)
				}
				t.Logf("%d slots: %d steps, up to %d sequences per step", n, len(rec.recorded()), rec.maxSeqsPerBatch())
			}
		})
	}
}

// TestBatchedMatchesAloneKernels reruns TestBatchedMatchesAlone (and
// TestPromptCacheMatchesFresh and TestPromptCacheRandomMix, exact for the
// same reason) with the quantized kernels (test binaries default to the
// float reference), in a child process since the choice is made at
// start-up. The Q4_0 fixture
// takes the four-token kernels, the Q4_K_M one the Q4_K/Q6_K tiles.
func TestBatchedMatchesAloneKernels(t *testing.T) {
	if os.Getenv("ORCD_MATMUL") == "kernels" {
		t.Log("this process already runs the kernels: TestBatchedMatchesAlone covers them")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^(TestBatchedMatchesAlone|TestPromptCacheMatchesFresh|TestPromptCacheRandomMix)$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ORCD_MATMUL=kernels")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("with ORCD_MATMUL=kernels: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
