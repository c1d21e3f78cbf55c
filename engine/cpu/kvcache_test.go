package cpu

import (
	"context"
	"math"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// TestF16KVCache runs two fixtures (GQA 2:1 through attend, GQA 4:1
// through the four-head kernels on the kernel path) with an F16 KV cache
// against the same backend with an F32 one: the logits of a 40-token
// prompt agree to within the halves' rounding (as amplified by 8-bit
// activations on the kernel path) and pick the same token, and a batch of two
// sequences gives each one's logits alone bit for bit. The cache takes
// half the bytes.
func TestF16KVCache(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	for _, path := range []string{"tiny-llama-gqa-q8_0-pure.gguf", "tiny-qwen2-q8_0.gguf"} {
		for _, quantized := range []bool{false, true} {
			activationsQuantized = quantized
			f32 := openBackend(t, path, Options{Threads: 2, MaxSeqs: 2, Context: 64})
			f16 := openBackend(t, path, Options{Threads: 2, MaxSeqs: 2, Context: 64, KVType: gguf.TypeF16})
			if f16.KVBytes()*2 != f32.KVBytes() {
				t.Fatalf("%s: F16 cache %d bytes, F32 %d", path, f16.KVBytes(), f32.KVBytes())
			}
			prompt := make([]int32, 40)
			for i := range prompt {
				prompt[i] = int32(1 + (i*37)%200)
			}
			want := feed(t, f32, 0, 0, prompt)
			got := feed(t, f16, 0, 0, prompt)
			worst, argmax := 0.0, [2]int{}
			for i := range want {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
				if want[i] > want[argmax[0]] {
					argmax[0] = i
				}
				if got[i] > got[argmax[1]] {
					argmax[1] = i
				}
			}
			// Float path: 3e-4 and 1e-3 measured, the halves' rounding.
			// Kernel path: 0.034 and 0.061, since a slightly different
			// attention output moves some 8-bit activation quants by one
			// step; the same size as the activations' own noise against
			// the float path (TestPackedBackend's 0.1).
			tol := 0.005
			if quantized {
				tol = 0.1
			}
			t.Logf("%s (kernels %v): F16 vs F32 KV cache, worst logit difference %.3g", path, quantized, worst)
			if worst > tol || argmax[0] != argmax[1] {
				t.Errorf("%s: F16 KV logits differ from F32 by %.3g (argmax %d vs %d)", path, worst, argmax[1], argmax[0])
			}
			// The same prompt as sequence 1, batched with a second one.
			other := []int32{5, 6, 7}
			f16.ClearSeq(0)
			batch := &engine.Batch{}
			for i, tok := range prompt {
				batch.Tokens, batch.Pos, batch.Seq = append(batch.Tokens, tok), append(batch.Pos, int32(i)), append(batch.Seq, 1)
				batch.Logits = append(batch.Logits, i == len(prompt)-1)
			}
			for i, tok := range other {
				batch.Tokens, batch.Pos, batch.Seq = append(batch.Tokens, tok), append(batch.Pos, int32(i)), append(batch.Seq, 0)
				batch.Logits = append(batch.Logits, i == len(other)-1)
			}
			logits := make([]float32, 2*f16.c.NVocab)
			if err := f16.Forward(context.Background(), batch, logits); err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if math.Float32bits(v) != math.Float32bits(logits[i]) {
					t.Fatalf("%s: logit %d is %v alone, %v in a batch", path, i, v, logits[i])
				}
			}
		}
	}
}

func TestKVTypeChecked(t *testing.T) {
	m := requantized(t, gguf.TypeQ8_0)
	if _, err := New(m, Options{Threads: 1, Context: 8, KVType: gguf.TypeQ8_0}); err == nil {
		t.Fatal("a Q8_0 KV cache was accepted")
	}
}
