//go:build cgo

package cuda

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/gguf/gguftest"
)

// TestConvertedTypes runs a model whose matrices have a type the library
// has no kernels for (BF16, a fixture requantized by gguf), which it
// takes as F16 (asDeviceType), against the CPU backend on the same file
// (its float reference: exact weights, float activations).
func TestConvertedTypes(t *testing.T) {
	gpuLib(t)
	for _, typ := range []gguf.Type{gguf.TypeBF16} {
		t.Run(typ.String(), func(t *testing.T) {
			if deviceType(typ) {
				t.Fatalf("%v has kernels of its own: it is not converted", typ)
			}
			m, gb, cb := requantizedBackends(t, typ)
			agreeStepwise(t, m, gb, cb, []int32{1, 403, 407, 261, 378, 79, 307, 295})
		})
	}
}

// agreeStepwise feeds toks one a step to the GPU and CPU backends and
// holds every step's logits within logitTol: weights rounded to F16
// (2^-12 on average) are all that differs besides float order.
func agreeStepwise(t *testing.T, m *engine.Model, gb *Backend, cb *cpu.Backend, toks []int32) {
	t.Helper()
	nv := m.Config.NVocab
	var worst float64
	for i := range toks {
		a := forward(t, gb, nv, 0, i, toks[i:i+1], nil)[0]
		r := forward(t, cb, nv, 0, i, toks[i:i+1], nil)[0]
		for j := range a {
			worst = math.Max(worst, math.Abs(float64(a[j]-r[j])))
		}
	}
	if worst > logitTol {
		t.Fatalf("max |cuda - cpu| = %.4g over %d steps (tol %g)", worst, len(toks), logitTol)
	}
	t.Logf("as F16: max |cuda - cpu| = %.3g over %d steps", worst, len(toks))
}

// nativeRequantized are the types with kernels of their own that no
// fixture covers: a fixture is requantized to each (the grid types,
// which gguf has no quantizer for, to random blocks).
var nativeRequantized = []gguf.Type{gguf.TypeQ4_1, gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ5_K, gguf.TypeIQ4_NL, gguf.TypeIQ4_XS,
	gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S}

// TestRequantizedNative runs those models against engine/cpu (agreesNative).
func TestRequantizedNative(t *testing.T) {
	gpuLib(t)
	kernels := withKernelsChild(t)
	for _, typ := range nativeRequantized {
		t.Run(typ.String(), func(t *testing.T) {
			if !deviceType(typ) {
				t.Fatalf("%v is converted to F16, not run by its own kernels", typ)
			}
			agreesNative(t, requantizedModel(t, typ), kernels)
		})
	}
}

// TestIQFiles runs the IQ1_M, IQ2_XS and IQ3_S files that llama.cpp
// quantized (engine/cpu/testdata/iq) on the grid types' kernels against
// engine/cpu (agreesNative), and, with the 8-bit matvecs and an F32 cache,
// against llama.cpp's own runs on them (iqAgreesWithLlamaCpp).
func TestIQFiles(t *testing.T) {
	gpuLib(t)
	// In the repository, or where cuda/gpuprep.sh packs them ($ORCD_TESTDATA/iq).
	dir := "../engine/cpu/testdata/iq"
	if d := os.Getenv("ORCD_TESTDATA"); d != "" {
		dir = filepath.Join(d, "iq")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.gguf"))
	if err != nil || len(files) != 6 {
		t.Fatalf("want the 6 IQ files in %s, found %d (%v)", dir, len(files), err)
	}
	kernels := withKernelsChild(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			m, err := engine.LoadModel(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, ti := range f.Tensors {
				if len(ti.Dims) == 2 && !deviceType(ti.Type) {
					t.Fatalf("%s is %v: converted to F16, not run by its own kernels", ti.Name, ti.Type)
				}
			}
			agreesNative(t, m, kernels)
			if mvqOn() && !kernels {
				iqAgreesWithLlamaCpp(t, m, strings.TrimSuffix(path, ".gguf")+".json")
			}
		})
	}
}

// iqGoldenTol is engine/cpu's for the same files (iq_golden_test.go): its
// kernels come within 0.034 of llama.cpp's run on them; llama.cpp's run on
// the file and on its dequantized weights differ by 0.067.
const iqGoldenTol = 0.05

// iqAgreesWithLlamaCpp teacher-forces the golden's prompts and
// continuations (llama.cpp's greedy run on the IQ file) and holds every
// step's top-10 logits within iqGoldenTol.
func iqAgreesWithLlamaCpp(t *testing.T, m *engine.Model, goldenPath string) {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil || len(g.Cases) == 0 {
		t.Fatalf("%s: no cases (%v)", goldenPath, err)
	}
	gb := openGPU(t, m, Options{Context: 512, KVF32: true})
	var worst float64
	steps := 0
	for _, c := range g.Cases {
		teacherForce(t, gb, m.Config.NVocab, c, func(i int, row []float32) {
			d, _ := topDiff(row, c.StepTopLogits[i])
			worst = math.Max(worst, d)
			steps++
		})
	}
	if worst > iqGoldenTol {
		t.Fatalf("max |logit - llama.cpp's| = %.4g over %d steps (tol %g)", worst, steps, iqGoldenTol)
	}
	t.Logf("vs llama.cpp on the file: max |logit diff| %.3g over %d steps (tol %g)", worst, steps, iqGoldenTol)
}

// withKernelsChild reports whether this process compares against
// engine/cpu's kernels (ORCD_MATMUL=kernels). Where the library's matvecs
// quantize activations to 8 bits and it does not, it first runs the
// calling test again in a child process with ORCD_MATMUL=kernels (read at
// start), which engine/cpu then does too.
func withKernelsChild(t *testing.T) bool {
	t.Helper()
	kernels := os.Getenv("ORCD_MATMUL") == "kernels"
	if mvqOn() && !kernels {
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "ORCD_MATMUL=kernels")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("with ORCD_MATMUL=kernels: %v\n%s", err, out)
		}
		t.Logf("with ORCD_MATMUL=kernels:\n%s", out)
	}
	return kernels
}

// agreesNative holds model m on the GPU against engine/cpu (an F16 cache
// each, 64 positions):
//   - With kernels (engine/cpu's kernels quantize activations to 8 bits
//     as the library's matvecs do): one token a step, and as one 8-token
//     batch. The first token (attending to itself alone) must agree to
//     exactTol, the rest within q8Tol.
//   - Without: as one 40-token batch against engine/cpu's float
//     reference, within prefillTol: past the library's 32-token matvec
//     batches the blocks run on cuBLAS (or the tensor-core gemm) with F16
//     activations; the LM head stays on the 8-bit matvecs.
func agreesNative(t *testing.T, m *engine.Model, kernels bool) {
	t.Helper()
	toks := []int32{1, 403, 407, 261, 378, 79, 307, 295, 400, 17, 261, 30, 5, 99, 120, 7, 300, 301, 2, 45, 46, 47, 48, 49,
		310, 311, 312, 313, 87, 88, 89, 90, 200, 201, 202, 203, 150, 151, 152, 153}
	gb := openGPU(t, m, Options{Context: 64})
	cb, err := cpu.New(m, cpu.Options{Context: 64, KVType: gguf.TypeF16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cb.Close() })
	nv := m.Config.NVocab
	batch := func(n int) float64 {
		gb.ClearSeq(0)
		cb.ClearSeq(0)
		got, want := forward(t, gb, nv, 0, 0, toks[:n], nil), forward(t, cb, nv, 0, 0, toks[:n], nil)
		var d float64
		for i := range got {
			d = math.Max(d, maxAbsDiff(got[i], want[i]))
		}
		return d
	}
	if !mvqOn() || kernels {
		tol := logitTol
		if mvqOn() {
			tol = q8Tol
		}
		var worst float64
		same, exact, steps := 0, 0, 16
		for i := range steps {
			a := forward(t, gb, nv, 0, i, toks[i:i+1], nil)[0]
			r := forward(t, cb, nv, 0, i, toks[i:i+1], nil)[0]
			d := maxAbsDiff(a, r)
			if i == 0 && mvqOn() && d > exactTol {
				t.Fatalf("token 0: max |cuda - cpu| = %.4g, want <= %g (the same 8-bit arithmetic)", d, exactTol)
			}
			worst = math.Max(worst, d)
			if d <= exactTol {
				exact++
			}
			if argmax(a) == argmax(r) {
				same++
			}
		}
		// Past token 0 a step may see an activation round to the
		// next 8-bit step (see q8Tol); where that is a K or V value
		// the cache keeps it, and the later steps differ by as much
		// (emulator, 40 steps: 23 to 40 within exactTol, by type).
		if worst > tol {
			t.Fatalf("one token a step: max |cuda - cpu| = %.4g over %d steps (tol %g)", worst, steps, tol)
		}
		b8 := batch(8)
		if b8 > tol {
			t.Fatalf("a batch of 8: max |cuda - cpu| = %.4g (tol %g)", b8, tol)
		}
		t.Logf("one token a step max |cuda - cpu| = %.3g over %d steps, %d within %g (argmax equal %d/%d); a batch of 8: %.3g", worst, steps, exact, exactTol, same, steps, b8)
	}
	if !kernels {
		b := batch(len(toks))
		if b > prefillTol {
			t.Fatalf("a batch of %d: max |cuda - cpu reference| = %.4g (tol %g)", len(toks), b, prefillTol)
		}
		t.Logf("a batch of %d: max |cuda - cpu reference| = %.3g", len(toks), b)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for j := range a {
		d = math.Max(d, math.Abs(float64(a[j]-b[j])))
	}
	return d
}

// requantizedBackends opens requantizedModel(typ) on the GPU and on the
// CPU (an F16 cache, as the GPU's), 64 positions each.
func requantizedBackends(t *testing.T, typ gguf.Type) (*engine.Model, *Backend, *cpu.Backend) {
	m := requantizedModel(t, typ)
	gb := openGPU(t, m, Options{Context: 64})
	cb, err := cpu.New(m, cpu.Options{Context: 64, KVType: gguf.TypeF16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cb.Close() })
	return m, gb, cb
}

// requantizedModel is tiny-llama-gqa-q8_0-pure (the F32 fixture's weights
// to 8 bits; cuda/gpuprep.sh leaves the F32 file out of the GPU machine's
// carry, which has a size limit) with every matrix quantized to
// typ, in memory.
func requantizedModel(t *testing.T, typ gguf.Type) *engine.Model {
	f, err := gguf.Open(filepath.Join(testdata(t), "models", "tiny-llama-gqa-q8_0-pure.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []gguf.TensorInfo
	for _, ti := range f.Tensors {
		out := gguf.TensorInfo{Name: ti.Name, Type: ti.Type, Dims: ti.Dims, Data: ti.Data}
		if len(ti.Dims) == 2 {
			x := make([]float32, ti.Elements())
			if err := gguf.Dequantize(ti.Type, ti.Data, x); err != nil {
				t.Fatal(err)
			}
			if gguf.CanQuantize(typ) {
				out.Data, err = gguf.Quantize(typ, x)
			} else {
				// No quantizer for the grid types: random blocks at the
				// matrix's RMS.
				out.Data, err = gguftest.RandomTensor(typ, len(x), uint64(len(ts)), rmsOf(x))
			}
			if err != nil {
				t.Fatal(err)
			}
			out.Type = typ
		}
		ts = append(ts, out)
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, f.Metadata, ts); err != nil {
		t.Fatal(err)
	}
	mf, err := gguf.NewFileBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.LoadModel(mf)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func rmsOf(x []float32) float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	return float32(math.Sqrt(ss / float64(len(x))))
}
