package cpu

import (
	"path/filepath"
	"testing"
)

// testdata/iq holds files that llama.cpp itself quantized to IQ1_M, IQ2_XS
// and IQ3_S (tiny-llama-gqa-f32, every matrix in the type) and its greedy
// runs on them, in the goldens' format (testdata/iq/gen.sh regenerates
// them; the shared goldens have no IQ files). Between them they cover the
// three kernel families: IQ1 (deltas, no scale field), IQ2 (8-wide grid,
// kept sign bits, per-16 scales) and IQ3 (4-wide grid, plain sign bits).

// iqGoldenTol bounds the kernel path against llama.cpp's own run on the
// IQ file: both quantize activations to Q8_K, but sum in other orders.
// Measured: IQ1_M 9.6e-7, IQ2_XS 0.0069, IQ3_S 0.034; llama.cpp's own two
// runs (IQ file, dequantized copy) differ by up to 0.067, so a kernel
// that read a weight wrong, or took the float path, would not pass.
const iqGoldenTol = 0.05

func TestIQGolden(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	files, err := filepath.Glob("testdata/iq/*.json")
	if err != nil || len(files) != 3 {
		t.Fatalf("want 3 goldens in testdata/iq, found %d (%v)", len(files), err)
	}
	for _, path := range files {
		g := readGolden(t, path)
		t.Run(g.ModelFile, func(t *testing.T) {
			if g.Deq == nil {
				t.Fatal("no dequantized_f32_reference")
			}
			model := filepath.Join("testdata/iq", g.ModelFile)
			// The float path: exactly the dequantized weights, so
			// llama.cpp's run on the F32 copy within logitTol.
			activationsQuantized = false
			b := openBackendPath(t, model, Options{Threads: 2})
			worst := teacherForce(t, b, g.Deq.Cases, logitTol)
			t.Logf("float path vs llama.cpp on the dequantized copy: max |logit diff| %.3g (tolerance %g)", worst, logitTol)
			for _, c := range g.Deq.Cases {
				b.ClearSeq(0)
				logits := feed(t, b, 0, 0, c.PromptTokens)
				for step, want := range c.GeneratedTokens {
					if c.Margins[step] < 2*logitTol {
						t.Logf("prompt %q: near-tie at step %d, compared %d tokens", c.Prompt, step, step)
						break
					}
					if got := argmax(logits); got != want {
						t.Fatalf("prompt %q step %d: greedy token %d, llama.cpp %d", c.Prompt, step, got, want)
					}
					logits = feed(t, b, 0, len(c.PromptTokens)+step, []int32{want})
				}
			}
			// The kernel path against llama.cpp's run on the IQ file.
			activationsQuantized = true
			k := openBackendPath(t, model, Options{Threads: 2})
			worst = teacherForce(t, k, g.Cases, iqGoldenTol)
			t.Logf("kernel path vs llama.cpp on the IQ file: max |logit diff| %.3g (tolerance %g)", worst, iqGoldenTol)
		})
	}
}
