package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// f16Near is the per-step agreement on tiny-llama-gqa-f16: measured at
// most 8.5e-4 with the AVX2 row dots (ggml_vec_dot_f16's order), 1.37e-3
// with the AVX-512 tile kernels (one 16-lane sum per row and token, as
// llama.cpp's tinyBLAS does on AVX-512); which order llama.cpp's run took
// we do not know, and either moves a few activations by an F16 ulp.
const f16Near = 1.5e-3

// TestGoldenKernels runs the teacher-forced golden check with the kernels
// (activationsQuantized), against llama.cpp's own run on each file (cases).
//
// The kernels quantize activations exactly as ggml does and reproduce its
// integer dot products exactly, but not every float summation order of the
// kernels llama.cpp picked (repacked and tinyBLAS variants among them). A
// one-ulp difference upstream occasionally moves an activation across a
// quantization (or F16) rounding boundary, and that step's logits then
// differ by llama.cpp's own activation-quantization noise. So we demand:
// every step within that noise bound (activationQuantTol; logitTol for F32
// files, where nothing is quantized), and most steps within logitTol,
// which no float32-activation engine achieves on a quantized file (its
// steps all sit at ~0.02).
//
// On tiny-llama-gqa-f16 we round activations to F16 as ggml does (which
// llama-2-tiny-random, also F16, confirms to 3e-8) but every step differs
// by a few F16 ulps of an activation, 2e-4..8.5e-4: there "near" is f16Near.
func TestGoldenKernels(t *testing.T) {
	saved := activationsQuantized
	activationsQuantized = true
	defer func() { activationsQuantized = saved }()
	for _, path := range goldenFiles(t) {
		g := readGolden(t, path)
		t.Run(g.ModelFile, func(t *testing.T) {
			b := openBackend(t, g.ModelFile, Options{Threads: 2})
			tol := logitTol
			if g.Deq != nil {
				var ok bool
				if tol, ok = activationQuantTol[g.ModelFile]; !ok {
					t.Fatalf("no activation-quantization tolerance for %s", g.ModelFile)
				}
			}
			near := logitTol
			if g.ModelFile == "tiny-llama-gqa-f16.gguf" {
				near = f16Near
			}
			steps, exact, worst := 0, 0, 0.0
			for _, c := range g.Cases {
				diffs, err := teacherForceDiffs(t, b, c, tol)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range diffs {
					steps++
					if d <= near {
						exact++
					}
					worst = math.Max(worst, d)
				}
			}
			t.Logf("%s: %d/%d steps within %g of llama.cpp's run, worst %.3g (bound %g)", g.ModelFile, exact, steps, near, worst, tol)
			// Repacked Q8_0 and Q4_K (kernels.Pack) sum each block's
			// products exactly in int32 and scale once, where llama.cpp's
			// run converted eight partial sums to float per block: a
			// different float rounding, so more steps can sit at the noise
			// level (measured: phi3-q8_0 45/64 exact; pure Q8_0 and
			// Q4_K_M-pure 64/64 since attention uses FMA as llama.cpp's
			// does, 41/64 and 38/64 before). Still far from a
			// float32-activation engine's 0 of 64.
			num, den := 3, 4
			if packsType(b, gguf.TypeQ8_0) || packsType(b, gguf.TypeQ4_K) {
				num, den = 1, 2
			}
			// arm64 is held to the same bound: its NEON kernels are the
			// amd64 ones bit for bit, and the Go code around them rounds
			// every product as amd64 does (make test-arm64 fails on a
			// contracted a*b+c), so every file but the F16 one (row dots
			// there, register tiles on amd64) gives amd64's figures.
			if exact*den < steps*num {
				t.Errorf("only %d of %d steps match llama.cpp's run within %g", exact, steps, near)
			}
		})
	}
}

// packsType reports whether b repacked any matrix of type t.
func packsType(b *Backend, t gguf.Type) bool {
	for w := range b.packed.m {
		if w.Type == t {
			return true
		}
	}
	return false
}

// teacherForceDiffs is teacherForce for one case, returning every step's
// largest top-10 difference instead of stopping at the first over logitTol.
func teacherForceDiffs(t *testing.T, b *Backend, c goldenCase, tol float64) ([]float64, error) {
	b.ClearSeq(0)
	logits := feed(t, b, 0, 0, c.PromptTokens)
	pos := len(c.PromptTokens)
	var diffs []float64
	for step, want := range c.StepTopLogits {
		if step > 0 {
			logits = feed(t, b, 0, pos, c.GeneratedTokens[step-1:step])
			pos++
		}
		d, problem := compareTop10(logits, want, tol)
		if problem != "" {
			return nil, fmt.Errorf("prompt %q step %d: %s (max diff %.3g, tolerance %g)", c.Prompt, step, problem, d, tol)
		}
		diffs = append(diffs, d)
	}
	return diffs, nil
}

func TestMatmulDefault(t *testing.T) {
	for _, c := range []struct {
		env    string
		inTest bool
		want   bool
	}{{"", false, true}, {"", true, false}, {"reference", false, false}, {"kernels", true, true}} {
		if got := matmulDefault(c.env, c.inTest); got != c.want {
			t.Errorf("matmulDefault(%q, %v) = %v", c.env, c.inTest, got)
		}
	}
}
