package batchbench_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/batchbench"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
)

func cpuBackend(t testing.TB, model string, seqs, ctx int) (*cpu.Backend, int) {
	t.Helper()
	f, err := gguf.Open(filepath.Join("../../../shared/testdata/models", model))
	if err != nil {
		t.Fatalf("%v (need ../shared/testdata)", err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := engine.LoadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cpu.New(m, cpu.Options{Threads: 2, MaxSeqs: seqs, Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, m.Config.NVocab
}

// TestGreedyBatchedMatchesAlone: on the CPU backend a sequence's greedy
// tokens are the same batched as alone, exactly.
func TestGreedyBatchedMatchesAlone(t *testing.T) {
	for _, model := range []string{"stories260K.gguf", "tiny-llama-gqa-q4_0-pure.gguf"} {
		b, nv := cpuBackend(t, model, 4, 40)
		prompts := [][]int32{batchbench.Prompt(0, 5, nv), batchbench.Prompt(1, 9, nv), batchbench.Prompt(2, 2, nv), batchbench.Prompt(3, 13, nv)}
		alone, div, err := batchbench.Greedy(context.Background(), b, nv, prompts, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(div) > 0 {
			t.Fatalf("%s: batched tokens differ from alone: %+v", model, div)
		}
		if len(alone) != 4 || len(alone[3]) != 20 {
			t.Fatalf("%s: got %d sequences of %d tokens", model, len(alone), len(alone[3]))
		}
	}
}

// TestGreedyFindsDivergence checks that Greedy reports a difference: a
// backend that changes one batched token must be caught.
func TestGreedyFindsDivergence(t *testing.T) {
	b, nv := cpuBackend(t, "stories260K.gguf", 2, 40)
	prompts := [][]int32{batchbench.Prompt(0, 5, nv), batchbench.Prompt(1, 7, nv)}
	_, div, err := batchbench.Greedy(context.Background(), &flipBatched{Backend: b}, nv, prompts, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(div) == 0 || div[0].Step == 0 {
		t.Fatalf("divergence not reported: %+v", div)
	}
}

// flipBatched zeroes the logits of every row but the first in batches of
// more than one sequence's decode tokens.
type flipBatched struct{ *cpu.Backend }

func (f *flipBatched) Forward(ctx context.Context, bt *engine.Batch, logits []float32) error {
	if err := f.Backend.Forward(ctx, bt, logits); err != nil {
		return err
	}
	if n := bt.NumLogits(); n > 1 && bt.Len() == n {
		nv := len(logits) / n
		for i := range logits[nv:] {
			logits[nv+i] = 0
		}
		logits[nv+3] = 1
	}
	return nil
}

func TestDecodeStats(t *testing.T) {
	b, nv := cpuBackend(t, "stories260K.gguf", 4, 40)
	st, err := batchbench.Decode(context.Background(), b, nv, 4, 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	if st.AggTokPerS <= 0 || st.StepP50 <= 0 || st.StepP99 < st.StepP50 || st.Seqs != 4 || st.Steps != 16 {
		t.Fatalf("stats %+v", st)
	}
	if _, err := batchbench.Decode(context.Background(), b, nv, 5, 8, 16); err == nil {
		t.Fatal("5 sequences on a 4-sequence backend: no error")
	}
	if _, err := batchbench.Decode(context.Background(), b, nv, 4, 30, 16); err == nil {
		t.Fatal("46 positions in a 40-position context: no error")
	}
}
