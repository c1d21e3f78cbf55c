package gguf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rmsError is the RMS of dequantize(quantize(x)) - x, relative to x's RMS.
func rmsError(t *testing.T, typ Type, x []float32) float64 {
	t.Helper()
	y := dequantized(t, typ, x)
	var se, sx float64
	for i := range x {
		se += float64(y[i]-x[i]) * float64(y[i]-x[i])
		sx += float64(x[i]) * float64(x[i])
	}
	return math.Sqrt(se / sx)
}

// TestQuantizeIQ4: the codebook types must beat Q4_0 on Gaussian weights
// (as they do in llama.cpp) and stay near Q4_K; a block with one large
// value (either sign) must bring it back.
func TestQuantizeIQ4(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 64*QK_K)
	for i := range x {
		x[i] = float32(r.NormFloat64()) * 0.02
	}
	q40, q4k := rmsError(t, TypeQ4_0, x), rmsError(t, TypeQ4_K, x)
	nl, xs := rmsError(t, TypeIQ4_NL, x), rmsError(t, TypeIQ4_XS, x)
	t.Logf("relative RMS error: Q4_0 %.4f, Q4_K %.4f, IQ4_NL %.4f, IQ4_XS %.4f", q40, q4k, nl, xs)
	if nl >= q40 || xs >= q40 {
		t.Fatalf("IQ4_NL %.4f, IQ4_XS %.4f: not better than Q4_0's %.4f", nl, xs, q40)
	}
	if nl > 1.1*q4k || xs > 1.1*q4k {
		t.Fatalf("IQ4_NL %.4f, IQ4_XS %.4f: far from Q4_K's %.4f", nl, xs, q4k)
	}

	// (Zero and constant blocks: TestQuantizeDegenerateBlocks.)
	for _, typ := range []Type{TypeIQ4_NL, TypeIQ4_XS} {
		// One large value per block: it must come back within the
		// codebook's coarsest step (about 23/127 of it).
		spike := make([]float32, QK_K)
		for i := range spike {
			spike[i] = float32(r.NormFloat64()) * 1e-3
		}
		spike[5], spike[200] = 3, -7
		y := dequantized(t, typ, spike)
		for _, i := range []int{5, 200} {
			if d := math.Abs(float64(y[i] - spike[i])); d > 0.2*math.Abs(float64(spike[i])) {
				t.Fatalf("%v: value %d = %g came back as %g", typ, i, spike[i], y[i])
			}
		}
	}
}

func dequantized(t *testing.T, typ Type, x []float32) []float32 {
	t.Helper()
	q, err := Quantize(typ, x)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(x))
	if err := Dequantize(typ, q, y); err != nil {
		t.Fatal(err)
	}
	return y
}
