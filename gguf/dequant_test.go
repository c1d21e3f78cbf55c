package gguf

import (
	"math"
	"strings"
	"testing"
)

// errStats accumulates the error of dequantized values against a reference.
type errStats struct {
	n       int
	maxAbs  float64
	sumSq   float64 // of the error
	sumRef2 float64 // of the reference, for the relative RMS
}

func (s *errStats) add(got, want []float32) {
	for i := range got {
		e := math.Abs(float64(got[i]) - float64(want[i]))
		if e > s.maxAbs || e != e {
			s.maxAbs = e
		}
		s.sumSq += e * e
		s.sumRef2 += float64(want[i]) * float64(want[i])
	}
	s.n += len(got)
}

func (s *errStats) rms() float64    { return math.Sqrt(s.sumSq / float64(s.n)) }
func (s *errStats) relRMS() float64 { return math.Sqrt(s.sumSq / s.sumRef2) }

// maxRelRMS is the RMS error, relative to the RMS of the weights, that each
// format must stay under for Gaussian weights: about step/sqrt(12) over
// sigma, where the step is the block's range over the number of levels
// (Q8_0 ~0.5%, Q6_K ~1.6%, Q4_K ~7-8%, Q4_0 ~8.5%), plus some margin.
var maxRelRMS = map[Type]float64{
	TypeQ8_0: 0.007,
	TypeQ6_K: 0.022,
	TypeQ4_K: 0.09,
	TypeQ4_0: 0.11,
}

// The quantized fixtures were made from tiny-llama-gqa-f32.gguf; each of
// their tensors must dequantize to within its format's error of the original.
func TestDequantizeFixturesAgainstF32(t *testing.T) {
	ref := openFixture(t, "models/tiny-llama-gqa-f32.gguf")
	files := []string{
		"tiny-llama-gqa-f16.gguf", "tiny-llama-gqa-q8_0-pure.gguf", "tiny-llama-gqa-q4_0-pure.gguf",
		"tiny-llama-gqa-q4_k_m-pure.gguf", "tiny-llama-gqa-q6_k-pure.gguf", "tiny-llama-gqa-q4_k_m.gguf",
	}
	stats := map[Type]*errStats{}
	for _, name := range files {
		f := openFixture(t, "models/"+name)
		if len(f.Tensors) != len(ref.Tensors) {
			t.Fatalf("%s: %d tensors, reference has %d", name, len(f.Tensors), len(ref.Tensors))
		}
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			rt, ok := ref.Tensor(ti.Name)
			if !ok || rt.Elements() != ti.Elements() {
				t.Fatalf("%s: tensor %q does not match the reference", name, ti.Name)
			}
			want, err := DequantizeTensor(rt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DequantizeTensor(ti)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			switch ti.Type {
			case TypeF32:
				for j := range got {
					if got[j] != want[j] {
						t.Fatalf("%s %s[%d]: F32 %v != %v", name, ti.Name, j, got[j], want[j])
					}
				}
				continue
			case TypeF16:
				for j := range got {
					if r := F16ToF32(F32ToF16(want[j])); got[j] != r {
						t.Fatalf("%s %s[%d]: F16 %v, want f16(%v) = %v", name, ti.Name, j, got[j], want[j], r)
					}
				}
			}
			if stats[ti.Type] == nil {
				stats[ti.Type] = &errStats{}
			}
			stats[ti.Type].add(got, want)
			if lim, ok := maxRelRMS[ti.Type]; ok {
				var s errStats
				s.add(got, want)
				if s.relRMS() > lim {
					t.Errorf("%s %s (%s): relative RMS error %.4f > %.4f", name, ti.Name, ti.Type, s.relRMS(), lim)
				}
			}
		}
	}
	for _, typ := range []Type{TypeF16, TypeQ8_0, TypeQ6_K, TypeQ4_K, TypeQ4_0} {
		s := stats[typ]
		if s == nil {
			t.Fatalf("no %s tensors found in the fixtures", typ)
		}
		t.Logf("%-5s vs F32: max abs err %.3g, RMS err %.3g (%.2f%% of weight RMS) over %d values",
			typ, s.maxAbs, s.rms(), 100*s.relRMS(), s.n)
	}
}

func TestDequantizeErrors(t *testing.T) {
	for _, typ := range []Type{TypeTQ2_0, TypeF64, TypeMXFP4, TypeTQ1_0, TypeI8, TypeQ8_1, Type(99)} {
		err := Dequantize(typ, make([]byte, 1024), make([]float32, 256))
		if err == nil || !strings.Contains(err.Error(), typ.String()) {
			t.Errorf("Dequantize(%s) error %v does not name the type", typ, err)
		}
	}
	if err := Dequantize(TypeQ4_0, make([]byte, 17), make([]float32, 32)); err == nil {
		t.Error("short source accepted")
	}
	if err := Dequantize(TypeQ4_0, make([]byte, 18), make([]float32, 31)); err == nil {
		t.Error("partial block accepted")
	}
}
