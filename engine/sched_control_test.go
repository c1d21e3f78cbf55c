package engine_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
)

// longPrompt is n tokens of stories260K text (its goldens' outputs).
func longPrompt(t *testing.T, n int) []int32 {
	var toks []int32
	for _, c := range storiesGolden(t) {
		toks = append(toks, c.GeneratedTokens...)
	}
	if len(toks) < n {
		t.Fatalf("only %d tokens of text for a %d-token prompt", len(toks), n)
	}
	return append([]int32{1}, toks[:n-1]...)
}

// TestSchedulerChunkedPrefillKeepsDecoding: while a 150-token prompt is
// prefilled in 16-token chunks, the running job gets a token at every
// step, and both jobs' outputs are what they are alone.
func TestSchedulerChunkedPrefillKeepsDecoding(t *testing.T) {
	const chunk, promptLen = 16, 150
	g, rec := newSchedGenerator(t, "stories260K.gguf", 2, engine.SchedOptions{PrefillChunk: chunk})
	golden := storiesGolden(t)[0]
	long := &engine.Request{Tokens: longPrompt(t, promptLen), MaxTokens: 5, IgnoreEOS: true}

	ctx, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	var a, b []int32
	var resB *engine.Result
	var errB error
	var wg sync.WaitGroup
	resA, errA := g.Generate(ctx, &engine.Request{Tokens: golden.PromptTokens, IgnoreEOS: true}, func(tk engine.Token) error {
		if a = append(a, tk.ID); len(a) == 3 {
			wg.Go(func() {
				resB, errB = g.Generate(context.Background(), long, func(tk engine.Token) error { b = append(b, tk.ID); return nil })
				cancelA() // A runs until B is done, so B's whole prefill overlaps A's decoding
			})
		}
		return nil
	})
	wg.Wait()
	if errA != nil || errB != nil || resA.StopReason != engine.StopCancelled || resB.StopReason != engine.StopMaxTokens {
		t.Fatalf("A: %v %+v; B: %v %+v", errA, resA, errB, resB)
	}
	n := min(len(a), len(golden.GeneratedTokens))
	if n < 10 || !slices.Equal(a[:n], golden.GeneratedTokens[:n]) {
		t.Fatalf("A beside B: %v\nalone: %v", a, golden.GeneratedTokens)
	}
	_, bAlone := collect(t, g, context.Background(), long)
	if !slices.Equal(b, ids(bAlone)) {
		t.Fatalf("B beside A: %v, alone %v", b, ids(bAlone))
	}

	// The steps from A's first decode to the end of B's prefill: A has one
	// row in each, B at most `chunk` tokens.
	batches := rec.recorded()
	seqA := batches[0].seq[0]
	var prefillSteps int
	for i, bt := range batches {
		countA, other := 0, 0
		for _, s := range bt.seq {
			if s == seqA {
				countA++
			} else {
				other++
			}
		}
		if other == 0 {
			continue
		}
		if i == 0 || countA != 1 || other > chunk {
			t.Fatalf("step %d: %d tokens of A, %d of B: %v", i, countA, other, bt.seq)
		}
		if other > 1 || !bt.logits[len(bt.logits)-1] {
			prefillSteps++
		}
		if prefillSteps*chunk >= promptLen {
			break
		}
	}
	if want := (promptLen + chunk - 1) / chunk; prefillSteps != want {
		t.Fatalf("B's prompt took %d steps beside A, want %d", prefillSteps, want)
	}
}

// TestSchedulerCancelOne: cancelling one job ends it at the next step and
// leaves the others untouched; its slot and KV cells come back.
func TestSchedulerCancelOne(t *testing.T) {
	g, _ := newSchedGenerator(t, "stories260K.gguf", 3, engine.SchedOptions{})
	cases := storiesGolden(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	outs := make([][]int32, 3)
	var cancelled *engine.Result
	for i := range 3 {
		wg.Go(func() {
			jctx := context.Background()
			if i == 1 {
				jctx = ctx
			}
			res, err := g.Generate(jctx, &engine.Request{Tokens: cases[i].PromptTokens, MaxTokens: 48, IgnoreEOS: true}, func(tk engine.Token) error {
				if outs[i] = append(outs[i], tk.ID); i == 1 && len(outs[i]) == 4 {
					cancel()
				}
				return nil
			})
			if err != nil {
				t.Errorf("job %d: %v", i, err)
			}
			if i == 1 {
				cancelled = res
			}
		})
	}
	wg.Wait()
	if cancelled.StopReason != engine.StopCancelled || cancelled.OutputTokens != 4 || !slices.Equal(outs[1], cases[1].GeneratedTokens[:4]) {
		t.Fatalf("cancelled job: %+v %v", cancelled, outs[1])
	}
	for _, i := range []int{0, 2} {
		if !slices.Equal(outs[i], cases[i].GeneratedTokens) {
			t.Fatalf("job %d beside a cancelled job: %v\nwant %v", i, outs[i], cases[i].GeneratedTokens)
		}
	}
	waitIdle(t, g)
}

// waitIdle waits for the scheduler to report an empty batch and KV cache.
func waitIdle(t *testing.T, g *engine.Generator) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := g.Memory()
		if m.KVUsed == 0 && m.BatchSeqs == 0 && m.BatchTokens == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduler not idle: %+v", m)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSchedulerKVCells: a job that could never fit is refused with the
// reason; two that fit only one at a time take turns, slots to spare.
func TestSchedulerKVCells(t *testing.T) {
	g, rec := newSchedGenerator(t, "stories260K.gguf", 2, engine.SchedOptions{KVCells: 100})
	cases := storiesGolden(t)
	_, err := g.Generate(context.Background(), &engine.Request{Tokens: cases[0].PromptTokens}, func(engine.Token) error { return nil })
	if !errors.Is(err, engine.ErrKVCacheTooSmall) || !errors.Is(err, engine.ErrInvalidRequest) {
		t.Fatalf("open-ended job in a 100-cell budget: %v", err)
	}
	t.Log(err)
	var wg sync.WaitGroup
	for i := range 2 { // 5 prompt + 48 tokens = 53 cells each
		wg.Go(func() {
			res, err := g.Generate(context.Background(), &engine.Request{Tokens: cases[i].PromptTokens, MaxTokens: 48, IgnoreEOS: true},
				func(engine.Token) error { return nil })
			if err != nil || res.Text != cases[i].GeneratedText {
				t.Errorf("job %d: %v %+v", i, err, res)
			}
		})
	}
	wg.Wait()
	if most := rec.maxSeqsPerBatch(); most != 1 {
		t.Fatalf("jobs over the KV budget shared a step (%d sequences)", most)
	}
}

// TestSchedulerMemoryAndClose: Memory shows the batch and the KV cells in
// use; Close refuses waiting jobs, lets the running one end, then refuses
// new ones.
func TestSchedulerMemoryAndClose(t *testing.T) {
	g, rec := newSchedGenerator(t, "stories260K.gguf", 1, engine.SchedOptions{})
	rec.delay = time.Millisecond // the running job outlives the waiting one's submission
	c := storiesGolden(t)[0]
	req := &engine.Request{Tokens: c.PromptTokens, IgnoreEOS: true, MaxTokens: 120}
	var mem engine.Memory
	var waitErr, closeErr error
	var wg sync.WaitGroup
	n := 0
	res, err := g.Generate(context.Background(), req, func(engine.Token) error {
		if n++; n == 2 {
			mem = g.Memory()
			wg.Go(func() {
				_, waitErr = g.Generate(context.Background(), req, func(engine.Token) error { return nil })
			})
			time.Sleep(20 * time.Millisecond)
			wg.Go(func() { closeErr = g.Close() })
		}
		return nil
	})
	wg.Wait()
	if err != nil || res.StopReason != engine.StopMaxTokens || res.OutputTokens != 120 {
		t.Fatalf("running job across Close: %v %+v", err, res)
	}
	if waitErr == nil || closeErr != nil {
		t.Fatalf("waiting job: %v; Close: %v", waitErr, closeErr)
	}
	if mem.KVUsed < len(c.PromptTokens)+1 || mem.KVTotal != 256 || mem.BatchSeqs != 1 || mem.BatchTokens != 1 {
		t.Fatalf("Memory while decoding: %+v", mem)
	}
	if _, err := g.Generate(context.Background(), req, func(engine.Token) error { return nil }); err == nil {
		t.Fatal("Generate after Close succeeded")
	}
}

// argmaxBackend gives a CPU backend the Argmaxer capability of GPU
// backends, counting the calls of each kind.
type argmaxBackend struct {
	engine.Backend
	vocab              int
	forwards, argmaxes int
}

func (a *argmaxBackend) Forward(ctx context.Context, b *engine.Batch, logits []float32) error {
	a.forwards++
	return a.Backend.Forward(ctx, b, logits)
}

func (a *argmaxBackend) ForwardArgmax(ctx context.Context, b *engine.Batch, out []int32) error {
	a.argmaxes++
	logits := make([]float32, b.NumLogits()*a.vocab)
	if err := a.Backend.Forward(ctx, b, logits); err != nil {
		return err
	}
	for i := range b.NumLogits() {
		row := logits[i*a.vocab : (i+1)*a.vocab]
		out[i] = int32(slices.Index(row, slices.Max(row)))
	}
	return nil
}

// TestSchedulerArgmaxer: steps whose rows are all plain greedy take the
// backend's argmax; a step with a sampling job takes whole logit rows.
// Either way every job's output is what it is alone.
func TestSchedulerArgmaxer(t *testing.T) {
	jobs := mixedJobs(t)
	alone, _ := newSchedGenerator(t, "stories260K.gguf", 1, engine.SchedOptions{})
	want := runJobs(alone, jobs)
	b, f, vocab := newSchedBackend(t, "stories260K.gguf", 4)
	ab := &argmaxBackend{Backend: b, vocab: vocab}
	g := engine.NewGeneratorWith(ab, newPieceTokenizer(t, f), vocab, engine.Info{}, engine.SchedOptions{PrefillChunk: 4})
	defer g.Close()
	got := runJobs(g, jobs)
	for i := range jobs {
		if got[i].err != nil || !slices.Equal(got[i].ids, want[i].ids) {
			t.Fatalf("job %d: %v %v, alone %v", i, got[i].err, got[i].ids, want[i].ids)
		}
	}
	if ab.argmaxes == 0 || ab.forwards == 0 {
		t.Fatalf("%d argmax steps, %d logits steps: want both", ab.argmaxes, ab.forwards)
	}
}
