package cpu

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// TestThreadCountInvariant: --threads changes how rows, heads and tokens
// are split among the pool's workers, never the arithmetic of any one
// output, so a model's logits are bit for bit the same at every thread
// count, odd ones and more threads than rows included. A redelivered job
// on a worker with another --threads then samples the same text, and a
// split that dropped or doubled a tail of rows would show here.
func TestThreadCountInvariant(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	activationsQuantized = true
	models := map[string]func(testing.TB) *engine.Model{}
	for _, typ := range []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_1,
		gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K,
		gguf.TypeIQ4_NL, gguf.TypeIQ4_XS} {
		models[typ.String()] = func(tb testing.TB) *engine.Model { return requantized(tb, typ) }
	}
	// The grid types come from llama.cpp's files: Go has no quantizer for them.
	for _, f := range []string{"iq/tiny-llama-gqa-iq2_xxs-pure.gguf", "iq/tiny-llama-gqa-iq3_s-pure.gguf", "iq/tiny-llama-gqa-iq1_m-pure.gguf"} {
		models[filepath.Base(f)] = func(tb testing.TB) *engine.Model { return modelAt(tb, filepath.Join("testdata", f)) }
	}
	for name, load := range models {
		t.Run(name, func(t *testing.T) {
			m := load(t)
			var want []float32
			for _, n := range []int{2, 1, 3, 5, 16} {
				b, err := New(m, Options{Threads: n, MaxSeqs: 2, Context: 64})
				if err != nil {
					t.Fatal(err)
				}
				got := threadRun(t, b)
				b.Close()
				if want == nil {
					want = got
					continue
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%d threads: logit %d is %v, %v with 2 threads", n, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// threadRun feeds one sequence a 40-token prompt (the prefill kernels),
// decodes one token (the one-token kernels), then runs a batch that
// mixes a second sequence's 6-token prompt with the first sequence's next
// token, and returns the four rows of logits end to end.
func threadRun(t *testing.T, b *Backend) []float32 {
	t.Helper()
	prompt := make([]int32, 40)
	for i := range prompt {
		prompt[i] = int32((i*131 + 7) % b.c.NVocab)
	}
	out := feed(t, b, 0, 0, prompt)
	out = append(out, feed(t, b, 0, 40, []int32{11})...)
	batch := &engine.Batch{
		Tokens: []int32{5, 90, 13, 200, 41, 3, 77},
		Pos:    []int32{0, 1, 2, 3, 4, 5, 41},
		Seq:    []int32{1, 1, 1, 1, 1, 1, 0},
		Logits: []bool{false, false, false, false, false, true, true},
	}
	rows := make([]float32, 2*b.c.NVocab)
	if err := b.Forward(context.Background(), batch, rows); err != nil {
		t.Fatal(err)
	}
	return append(out, rows...)
}
