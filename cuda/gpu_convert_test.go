//go:build cgo

package cuda

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
)

// TestConvertedTypes runs models whose matrices have types the library
// has no kernels for (tiny-llama-gqa-f32 requantized by gguf), which it
// takes as F16 (asDeviceType), against the CPU backend on the same file
// (its float reference: exact weights, float activations).
func TestConvertedTypes(t *testing.T) {
	gpuLib(t)
	for _, typ := range []gguf.Type{gguf.TypeQ3_K, gguf.TypeQ5_K, gguf.TypeQ5_0} {
		t.Run(typ.String(), func(t *testing.T) {
			m := requantizedModel(t, typ)
			gb := openGPU(t, m, Options{Context: 64})
			cb, err := cpu.New(m, cpu.Options{Context: 64, KVType: gguf.TypeF16})
			if err != nil {
				t.Fatal(err)
			}
			defer cb.Close()
			toks := []int32{1, 403, 407, 261, 378, 79, 307, 295}
			nv := m.Config.NVocab
			var worst float64
			for i := range toks {
				a := forward(t, gb, nv, 0, i, toks[i:i+1], nil)[0]
				r := forward(t, cb, nv, 0, i, toks[i:i+1], nil)[0]
				for j := range a {
					worst = math.Max(worst, math.Abs(float64(a[j]-r[j])))
				}
			}
			// Weights rounded to F16 (2^-12 on average) are all that
			// differs besides float order.
			if worst > logitTol {
				t.Fatalf("max |cuda - cpu| = %.4g over %d steps (tol %g)", worst, len(toks), logitTol)
			}
			t.Logf("%v as F16: max |cuda - cpu| = %.3g over %d steps", typ, worst, len(toks))
		})
	}
}

// requantizedModel is tiny-llama-gqa-f32 with every matrix quantized to
// typ, in memory.
func requantizedModel(t *testing.T, typ gguf.Type) *engine.Model {
	f, err := gguf.Open(filepath.Join(testdata(t), "models", "tiny-llama-gqa-f32.gguf"))
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
			if out.Data, err = gguf.Quantize(typ, x); err != nil {
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
