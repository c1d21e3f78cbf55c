package gguftest

import (
	"bytes"
	"math"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestRandomTensor: for every type gguf dequantizes, the values are finite
// with about the RMS asked for, and a seed gives the same bytes.
func TestRandomTensor(t *testing.T) {
	for typ := gguf.Type(0); typ < 64; typ++ {
		if !gguf.CanDequantize(typ) {
			continue
		}
		n := 4 * 256
		b, err := RandomTensor(typ, n, 7, 0.02)
		if err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		x := make([]float32, n)
		if err := gguf.Dequantize(typ, b, x); err != nil {
			t.Fatal(err)
		}
		var ss float64
		for _, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%v: value %g", typ, v)
			}
			ss += float64(v) * float64(v)
		}
		// f16 rounding of the scale moves the RMS by under 0.1%.
		if rms := math.Sqrt(ss / float64(n)); math.Abs(rms-0.02) > 0.02*0.05 {
			t.Errorf("%v: RMS %.5f, want 0.02", typ, rms)
		}
		again, _ := RandomTensor(typ, n, 7, 0.02)
		other, _ := RandomTensor(typ, n, 8, 0.02)
		if !bytes.Equal(b, again) || bytes.Equal(b, other) {
			t.Errorf("%v: the seed does not decide the bytes", typ)
		}
	}
	if _, err := RandomTensor(gguf.TypeIQ2_XXS, 100, 1, 1); err == nil {
		t.Error("100 IQ2_XXS values (not whole blocks) accepted")
	}
	if _, err := RandomTensor(gguf.TypeMXFP4, 32, 1, 1); err == nil {
		t.Error("MXFP4 accepted")
	}
}
