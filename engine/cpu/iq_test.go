package cpu

import (
	"context"
	"hash/fnv"
	"math"
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/gguf/gguftest"
)

// iqTypes are the grid types no fixture and no quantizer here covers.
var iqTypes = []gguf.Type{gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S}

// randomTyped is tiny-llama-gqa-f32 with every matrix replaced by random
// blocks of type t (gguftest.RandomTensor, at the RMS of the matrix it
// replaces), and the same model with those matrices dequantized to F32.
func randomTyped(tb testing.TB, t gguf.Type) (typed, f32 *engine.Model) {
	tb.Helper()
	f, err := gguf.Open(filepath.Join(testdata, "models", "tiny-llama-gqa-f32.gguf"))
	if err != nil {
		tb.Fatalf("%v (need ../shared/testdata)", err)
	}
	defer f.Close()
	var a, b []gguf.TensorInfo
	for _, ti := range f.Tensors {
		ta := gguf.TensorInfo{Name: ti.Name, Type: ti.Type, Dims: ti.Dims, Data: ti.Data}
		tf := ta
		if len(ti.Dims) == 2 {
			x := make([]float32, ti.Elements())
			if err := gguf.Dequantize(ti.Type, ti.Data, x); err != nil {
				tb.Fatal(err)
			}
			var ss float64
			for _, v := range x {
				ss += float64(v) * float64(v)
			}
			h := fnv.New64a()
			h.Write([]byte(ti.Name))
			if ta.Data, err = gguftest.RandomTensor(t, len(x), h.Sum64(), float32(math.Sqrt(ss/float64(len(x))))); err != nil {
				tb.Fatal(err)
			}
			ta.Type = t
			if err := gguf.Dequantize(t, ta.Data, x); err != nil {
				tb.Fatal(err)
			}
			if tf.Data, err = gguf.Quantize(gguf.TypeF32, x); err != nil {
				tb.Fatal(err)
			}
		}
		a, b = append(a, ta), append(b, tf)
	}
	return loadInMemory(tb, f.Metadata, a), loadInMemory(tb, f.Metadata, b)
}

// TestIQModels runs whole forward passes on models whose matrices are IQ
// blocks. On the float reference they must give the logits of the same
// weights held as F32, bit for bit: the dequantized weights are the same
// floats. With the kernels on (engine/kernels' grid-type row dots and
// four-token kernels), they must stay within the 8-bit activations' noise
// of that, and a sequence batched with others must get its logits alone.
func TestIQModels(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	prompt := []int32{1, 50, 100, 7, 300, 42}
	for _, typ := range iqTypes {
		t.Run(typ.String(), func(t *testing.T) {
			iq, f32 := randomTyped(t, typ)
			activationsQuantized = false
			want := lastLogits(t, newBackend(t, f32), 0, prompt)
			got := lastLogits(t, newBackend(t, iq), 0, prompt)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("logit %d: %g from %v blocks, %g from the same weights as F32", i, got[i], typ, want[i])
				}
			}
			activationsQuantized = true
			kb := newBackend(t, iq)
			fast := lastLogits(t, kb, 0, prompt)
			worst := 0.0
			for i := range want {
				worst = math.Max(worst, math.Abs(float64(fast[i]-want[i])))
			}
			t.Logf("%v: kernels vs float reference, worst logit difference %.3g (logits span %.3g)", typ, worst, span(want))
			if worst > 0.1 {
				t.Errorf("%v: kernel-path logits differ from the float reference by %.3g", typ, worst)
			}
			// Batched with two other sequences (the four-token kernels
			// take tokens of all three), a sequence's logits are its
			// logits alone, bit for bit.
			prompts := [][]int32{prompt, {2, 9, 4, 4, 17}, {400, 3, 3, 60, 5, 6, 7}}
			batch := promptsBatch(kb, prompts)
			nv := iq.Config.NVocab
			logits := make([]float32, len(prompts)*nv)
			if err := kb.Forward(context.Background(), batch, logits); err != nil {
				t.Fatal(err)
			}
			for i, v := range fast {
				if math.Float32bits(v) != math.Float32bits(logits[i]) {
					t.Fatalf("%v: logit %d is %v alone, %v in a batch of three sequences", typ, i, v, logits[i])
				}
			}
		})
	}
}

func newBackend(t *testing.T, m *engine.Model) *Backend {
	t.Helper()
	b, err := New(m, Options{Threads: 2, MaxSeqs: 3, Context: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func span(x []float32) float64 {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	return float64(hi - lo)
}
