//go:build cgo

package cuda

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/batchbench"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
)

// Sequences, agreement with the CPU backend, batching and the VRAM check,
// on the GPU (see gpu_test.go for when these run and the fixtures).

// TestAgreesWithCPUBackend compares whole logit rows with engine/cpu. The
// CPU backend must do the same arithmetic: its kernels (8-bit activations)
// when ours are on, which a test binary picks at start-up from
// ORCD_MATMUL, so the test reruns itself in a child process with it.
func TestAgreesWithCPUBackend(t *testing.T) {
	gpuLib(t)
	if mvqOn() && os.Getenv("ORCD_MATMUL") != "kernels" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAgreesWithCPUBackend$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "ORCD_MATMUL=kernels")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("with ORCD_MATMUL=kernels: %v\n%s", err, out)
		}
		t.Logf("with ORCD_MATMUL=kernels:\n%s", out)
		return
	}
	for _, name := range goldenModels(t) {
		t.Run(name, func(t *testing.T) {
			g, m := loadGolden(t, name)
			gb := openGPU(t, m, Options{Context: 512})
			cb, err := cpu.New(m, cpu.Options{Context: 512, KVType: gguf.TypeF16}) // our cache is f16 too
			if err != nil {
				t.Fatal(err)
			}
			defer cb.Close()
			c := g.Cases[0]
			toks := append(append([]int32{}, c.PromptTokens...), c.GeneratedTokens[:8]...)
			nv := m.Config.NVocab
			var worst float64
			sameArgmax, exact, q8 := 0, 0, mvqOn() && quantizedMatmuls(m)
			for i := range toks {
				a := forward(t, gb, nv, 0, i, toks[i:i+1], nil)[0]
				r := forward(t, cb, nv, 0, i, toks[i:i+1], nil)[0]
				var d float64
				for j := range a {
					d = math.Max(d, math.Abs(float64(a[j]-r[j])))
				}
				worst = math.Max(worst, d)
				if d <= exactTol {
					exact++
				}
				// The first token attends to itself alone: both engines
				// round its K and V to f16 alike, so with 8-bit activations
				// the integer sums are the same and nothing may differ
				// beyond float order.
				if i == 0 && q8 && d > exactTol {
					t.Fatalf("token 0: max |cuda - cpu| = %.4g, want <= %g (the same 8-bit arithmetic)", d, exactTol)
				}
				if argmax(a) == argmax(r) {
					sameArgmax++
				}
			}
			if tol := decodeTol(m); worst > tol {
				t.Fatalf("max |cuda - cpu| over all logits = %.4g (tol %g)", worst, tol)
			}
			t.Logf("%s: %d tokens, max |cuda - cpu| over all %d logits = %.3g (%d steps within %g), argmax equal at %d/%d", name, len(toks), nv, worst, exact, exactTol, sameArgmax, len(toks))
		})
	}
}

// TestSequences covers CopySeq, a batch mixing two sequences, the KV
// accounting in Memory, and errors that must not break the backend.
func TestSequences(t *testing.T) {
	gpuLib(t)
	g, m := loadGolden(t, "stories260K.gguf")
	b := openGPU(t, m, Options{Context: 64, MaxSeqs: 3})
	nv := m.Config.NVocab
	c := g.Cases[0]
	p := c.PromptTokens
	forward(t, b, nv, 0, 0, p, lastOnly(len(p)))
	if err := b.CopySeq(1, 0, len(p)); err != nil {
		t.Fatal(err)
	}
	next := c.GeneratedTokens[0]
	bt := &engine.Batch{Tokens: []int32{next, next}, Pos: []int32{int32(len(p)), int32(len(p))}, Seq: []int32{0, 1}, Logits: []bool{true, true}}
	out := make([]float32, 2*nv)
	if err := b.Forward(context.Background(), bt, out); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < nv; i++ {
		if out[i] != out[nv+i] {
			t.Fatalf("copied sequence differs at logit %d: %v vs %v", i, out[i], out[nv+i])
		}
	}
	if d, _ := topDiff(out[:nv], c.StepTopLogits[1]); d > logitTol {
		t.Fatalf("mixed batch vs golden step 1: %.4g", d)
	}
	mem := b.Memory()
	if mem.KVUsed != 2*(len(p)+1) || mem.KVTotal != 3*64 || mem.Total == 0 || mem.Used == 0 || mem.Device == "" {
		t.Fatalf("Memory() = %+v, want KVUsed %d", mem, 2*(len(p)+1))
	}
	t.Logf("Memory: %s, %d of %d bytes used, KV %d/%d", mem.Device, mem.Used, mem.Total, mem.KVUsed, mem.KVTotal)

	// TruncateSeq (the prompt cache): sequence 0 drops its last position
	// and computes it again alone, to the logits it had in the pair (a
	// step of one token may split attention differently: float rounding).
	ctx := context.Background()
	if err := b.TruncateSeq(0, len(p)); err != nil || b.Memory().KVUsed != 2*len(p)+1 {
		t.Fatalf("TruncateSeq: %v, KVUsed %d", err, b.Memory().KVUsed)
	}
	again := make([]float32, nv)
	if err := b.Forward(ctx, &engine.Batch{Tokens: []int32{next}, Pos: []int32{int32(len(p))}, Seq: []int32{0}, Logits: []bool{true}}, again); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range again {
		worst = max(worst, math.Abs(float64(again[i]-out[i])))
	}
	if worst > 1e-4 {
		t.Fatalf("after TruncateSeq, position %d differs from before by up to %.3g", len(p), worst)
	}
	t.Logf("TruncateSeq: the recomputed position is within %.3g of the first", worst)
	if err := b.TruncateSeq(0, len(p)+2); err == nil {
		t.Fatal("TruncateSeq past the sequence's length: no error")
	}

	bad := &engine.Batch{Tokens: []int32{1}, Pos: []int32{0}, Seq: []int32{3}, Logits: []bool{true}}
	if err := b.Forward(ctx, bad, out); !errors.Is(err, engine.ErrBadSeq) {
		t.Fatalf("sequence 3 of 3: %v, want ErrBadSeq", err)
	}
	gap := &engine.Batch{Tokens: []int32{1}, Pos: []int32{40}, Seq: []int32{2}, Logits: []bool{true}}
	if err := b.Forward(ctx, gap, out); err == nil || !strings.Contains(err.Error(), "does not continue") {
		t.Fatalf("position gap: %v", err)
	}
	full := &engine.Batch{Tokens: []int32{1}, Pos: []int32{64}, Seq: []int32{2}, Logits: []bool{true}}
	if err := b.Forward(ctx, full, out); !errors.Is(err, engine.ErrContextFull) {
		t.Fatalf("position 64 of 64: %v, want ErrContextFull", err)
	}
	if err := b.Health(); err != nil {
		t.Fatalf("Health after caller errors: %v", err)
	}
	if err := b.ClearSeq(1); err != nil || b.Memory().KVUsed != len(p)+1 {
		t.Fatalf("ClearSeq: %v, KVUsed %d", err, b.Memory().KVUsed)
	}
}

// TestRefusesWhatDoesNotFit asks for a KV cache larger than any GPU.
func TestRefusesWhatDoesNotFit(t *testing.T) {
	lib := gpuLib(t)
	_, m := loadGolden(t, "stories260K.gguf")
	_, err := Open(m, Options{LibPath: lib, Context: 1 << 20, MaxSeqs: 1 << 12})
	if !errors.Is(err, engine.ErrOutOfMemory) || !strings.Contains(err.Error(), "needs") {
		t.Fatalf("Open with a 2^32-position KV cache: %v, want ErrOutOfMemory saying what it needs", err)
	}
	t.Logf("refused as expected: %v", err)
}

// TestBatchedGreedy (issue #8 on CUDA): eight sequences decoded greedily in
// batches of eight must give each the tokens it gets alone. Steps of up to
// 8 rows go through the matvec kernels, where a token's arithmetic (its
// 8-bit quantization included) does not depend on the others; prompts
// longer than that through the GEMM path (activations rounded to FP16).
// So a token may flip only where its two best logits are within
// 2*prefillTol alone; any other difference fails.
func TestBatchedGreedy(t *testing.T) {
	gpuLib(t)
	for _, model := range goldenModels(t) {
		t.Run(model, func(t *testing.T) {
			_, m := loadGolden(t, model)
			b := openGPU(t, m, Options{Context: 64, MaxSeqs: 8})
			nv := m.Config.NVocab
			var prompts [][]int32
			for s := range 8 {
				prompts = append(prompts, batchbench.Prompt(s, 2+3*s, nv))
			}
			_, div, err := batchbench.Greedy(context.Background(), b, nv, prompts, 24)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range div {
				if d.Margin >= 2*prefillTol {
					t.Errorf("sequence %d step %d: batched token differs from alone with a margin of %.4g", d.Seq, d.Step, d.Margin)
				} else {
					t.Logf("sequence %d step %d: near-tie (margin %.4g) flipped in the batch", d.Seq, d.Step, d.Margin)
				}
			}
			t.Logf("%s: %d of 8 sequences token-identical batched and alone over 24 steps", model, 8-len(div))
		})
	}
}
