package gguf

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// Quantizing the F32 fixture with ggml's reference rounding must give back
// exactly the bytes llama-quantize wrote into the quantized fixtures.
func TestQuantizeReproducesLlamaQuantize(t *testing.T) {
	ref := openFixture(t, "models/tiny-llama-gqa-f32.gguf")
	files := []string{
		"tiny-llama-gqa-f16.gguf", "tiny-llama-gqa-q8_0-pure.gguf", "tiny-llama-gqa-q4_0-pure.gguf",
		"tiny-llama-gqa-q4_k_m-pure.gguf", "tiny-llama-gqa-q6_k-pure.gguf", "tiny-llama-gqa-q4_k_m.gguf",
	}
	for _, name := range files {
		f := openFixture(t, "models/"+name)
		same, total := 0, 0
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			rt, _ := ref.Tensor(ti.Name)
			x, err := DequantizeTensor(rt)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Quantize(ti.Type, x)
			if err != nil {
				t.Fatalf("%s %s: %v", name, ti.Name, err)
			}
			total++
			if bytes.Equal(q, ti.Data) {
				same++
				continue
			}
			diff := 0
			for j := range q {
				if q[j] != ti.Data[j] {
					diff++
				}
			}
			t.Errorf("%s %s (%s): %d of %d bytes differ from llama-quantize", name, ti.Name, ti.Type, diff, len(q))
		}
		t.Logf("%s: %d/%d tensors byte-identical", name, same, total)
	}
}

// gaussian returns n N(0, sigma^2) values from a fixed seed.
func gaussian(n int, sigma float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * sigma)
	}
	return x
}

// Round trips through every supported format stay within the format's error.
// Bounds are relative RMS errors for Gaussian data (see maxRelRMS) and
// hold for any sigma, which the two scales check.
func TestQuantizeRoundTrip(t *testing.T) {
	bounds := map[Type]float64{
		TypeF32: 0, TypeF16: 0.0003, TypeBF16: 0.003, TypeQ8_0: 0.007, TypeQ8_K: 0.009,
		TypeQ6_K: 0.022, TypeQ5_0: 0.045, TypeQ5_1: 0.04, TypeQ5_K: 0.045,
		TypeQ4_0: 0.11, TypeQ4_1: 0.09, TypeQ4_K: 0.09, TypeQ3_K: 0.20, TypeQ2_K: 0.40,
	}
	for _, sigma := range []float64{0.02, 3} {
		x := gaussian(64*QK_K, sigma, 7)
		for typ, bound := range bounds {
			q, err := Quantize(typ, x)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			y := make([]float32, len(x))
			if err := Dequantize(typ, q, y); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			var s errStats
			s.add(y, x)
			if s.relRMS() > bound {
				t.Errorf("%s sigma %g: relative RMS error %.4f > %.4f", typ, sigma, s.relRMS(), bound)
			}
			if sigma == 3 {
				t.Logf("%-5s round trip: relative RMS error %.4f%%, max abs %.3g (sigma 3)", typ, 100*s.relRMS(), s.maxAbs)
			}
		}
	}
}

// All-zero and constant blocks must not produce NaN or garbage.
func TestQuantizeDegenerateBlocks(t *testing.T) {
	for typ := range quantizers {
		for _, c := range []float32{0, 1.5, -2} {
			x := make([]float32, 2*QK_K)
			for i := range x {
				x[i] = c
			}
			for i, v := range dequantized(t, typ, x) {
				if math.IsNaN(float64(v)) || math.Abs(float64(v-c)) > 0.07*math.Abs(float64(c))+1e-6 {
					t.Fatalf("%s constant %v: element %d came back as %v", typ, c, i, v)
				}
			}
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	if _, err := Quantize(TypeIQ2_XS, make([]float32, 256)); err == nil {
		t.Error("IQ2_XS quantization accepted")
	}
	if _, err := Quantize(TypeQ4_K, make([]float32, 100)); err == nil {
		t.Error("partial Q4_K block accepted")
	}
	if err := QuantizeTo(TypeQ8_0, make([]float32, 32), make([]byte, 33)); err == nil {
		t.Error("wrong destination size accepted")
	}
}

func TestNearestInt(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want int32
	}{{0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {-2.6, -3}, {7.49, 7}, {100000.5, 100000}} {
		if got := nearestInt(c.f); got != c.want {
			t.Errorf("nearestInt(%v) = %d, want %d", c.f, got, c.want)
		}
	}
}
