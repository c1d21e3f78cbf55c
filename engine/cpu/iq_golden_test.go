package cpu

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine/kernels"
)

// testdata/iq holds files that llama.cpp itself quantized to IQ1_S, IQ1_M,
// IQ2_XXS, IQ2_XS, IQ2_S and IQ3_S (tiny-llama-gqa-f32, every matrix in the type) and its greedy
// runs on them, in the goldens' format (testdata/iq/gen.sh regenerates
// them; the shared goldens have no IQ files). Between them they cover the
// three kernel families: IQ1 (deltas, no scale field), IQ2 (8-wide grid,
// kept sign bits, per-16 scales) and IQ3 (4-wide grid, plain sign bits).
// testdata/quant holds the same for Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, IQ3_XXS,
// IQ4_NL and IQ4_XS, the types engine/kernels repacks beyond those the
// shared goldens have (testdata/quant/gen.sh).

// iqGoldenTol bounds the kernel path against llama.cpp's own run on the
// file: both quantize activations (to Q8_0 or Q8_K), but sum in other
// orders. Measured on the IQ files, row kernels (ggml's order): IQ1_M
// 9.6e-7, IQ2_XS 0.0069, IQ3_S 0.034; repacked: IQ1_M 0.053, IQ2_XS
// 0.041. Where llama.cpp's own two runs (IQ file, dequantized copy)
// differ by more (0.051 to 0.067 on these files, ownNoise), that is the
// bound. A kernel that read a weight wrong, or took the float path,
// would not pass.
const iqGoldenTol = 0.05

// The IQ types are re-encoded for the packed kernels where the CPU has
// them (kernels/pack_iq3.go, pack_grid3.go), so they must have been.
func TestIQGolden(t *testing.T) { testLlamaQuantized(t, "testdata/iq", 6, true) }

// TestQuantGolden also requires the packed kernels to run the files where
// this CPU packs their type: they are the path under test.
func TestQuantGolden(t *testing.T) { testLlamaQuantized(t, "testdata/quant", 8, true) }

// testLlamaQuantized checks the want files in dir: the float path against
// llama.cpp's run on the dequantized copy (within logitTol, and its greedy
// tokens), and the kernel path against llama.cpp's run on the file
// (within iqGoldenTol) with this CPU's kernels and with those of a CPU
// that has AVX2 but no AVX-512. With packed, a type this CPU repacks must
// have been repacked.
func testLlamaQuantized(t *testing.T, dir string, want int, packed bool) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != want {
		t.Fatalf("want %d goldens in %s, found %d (%v)", want, dir, len(files), err)
	}
	for _, path := range files {
		g := readGolden(t, path)
		t.Run(g.ModelFile, func(t *testing.T) {
			if g.Deq == nil {
				t.Fatal("no dequantized_f32_reference")
			}
			model := filepath.Join(dir, g.ModelFile)
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
			// The kernel path against llama.cpp's run on the file.
			activationsQuantized = true
			defer kernels.UseReference(false)
			for _, isa := range []string{"native", "avx2"} {
				if isa == "avx2" && !kernels.UseAVX2Only() {
					continue
				}
				k := openBackendPath(t, model, Options{Threads: 2})
				typ := k.m.Weights.Layers[0].Wq.Type
				if packed && kernels.CanPack(kernels.Matrix{Type: typ, Rows: 16, Cols: 256}) && !packsType(k, typ) {
					t.Fatalf("%s: no %v matrix was repacked", isa, typ)
				}
				tol := math.Max(iqGoldenTol, ownNoise(g))
				if !kernels.Supported(typ) && !packsType(k, typ) {
					// No kernel for typ here (arm64, or no AVX2): its
					// matrices run on the float reference, with float
					// activations, so this path is the float path and
					// must match llama.cpp's run on the dequantized copy,
					// not its run with 8-bit activations. (arm64 has no
					// row dot for IQ3_S and IQ3_XXS but repacks them.)
					worst = teacherForce(t, k, g.Deq.Cases, logitTol)
					t.Logf("%s: no %v kernel on this CPU: the float reference vs llama.cpp on the dequantized copy: max |logit diff| %.3g (tolerance %g)", isa, typ, worst, logitTol)
					kernels.UseReference(false)
					continue
				}
				worst = teacherForce(t, k, g.Cases, tol)
				t.Logf("%s kernel path (%v repacked: %v) vs llama.cpp on the file: max |logit diff| %.3g (tolerance %.3g)", isa, typ, packsType(k, typ), worst, tol)
				kernels.UseReference(false)
			}
		})
	}
}

// ownNoise is how far llama.cpp's own two runs of g (the quantized file
// with 8-bit activations, and its dequantized copy in float) are apart:
// the largest top-10 logit difference over the steps where both fed the
// same tokens. That is the noise activation quantization brings. The
// kernel path sums in another order than ggml's where the weights are
// repacked (one integer total per block, not eight float lanes), so a
// last-bit difference can move an activation quant by one and the
// logits by up to about this much: on the IQ1_M file the repacked path
// is 0.053 from llama.cpp's run, which is 0.064 from its float run.
func ownNoise(g *golden) float64 {
	worst := 0.0
	for i, c := range g.Cases {
		if g.Deq == nil || i >= len(g.Deq.Cases) {
			break
		}
		d := g.Deq.Cases[i]
		for step := range min(len(c.StepTopLogits), len(d.StepTopLogits)) {
			if step > 0 && (step > len(c.GeneratedTokens) || step > len(d.GeneratedTokens) ||
				c.GeneratedTokens[step-1] != d.GeneratedTokens[step-1]) {
				break
			}
			ref := map[int]float64{}
			for _, p := range d.StepTopLogits[step] {
				ref[int(p[0])] = p[1]
			}
			for _, p := range c.StepTopLogits[step] {
				if v, ok := ref[int(p[0])]; ok {
					worst = math.Max(worst, math.Abs(v-p[1]))
				}
			}
		}
	}
	return worst
}
