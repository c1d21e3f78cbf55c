package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHalfSlices checks the slice conversions (vector body and Go tail)
// against the scalar ones: every half value widened, and float32s around
// every rounding case narrowed. NaNs only need to stay NaN.
func TestHalfSlices(t *testing.T) {
	src := make([]uint16, 1<<16+3)
	for i := range src {
		src[i] = uint16(i)
	}
	wide := make([]float32, len(src))
	F16ToF32Slice(wide, src)
	for i, h := range src {
		want := f16ToF32(h)
		if math.IsNaN(float64(want)) {
			if !math.IsNaN(float64(wide[i])) {
				t.Fatalf("half %#04x: %v, want NaN", h, wide[i])
			}
			continue
		}
		if math.Float32bits(wide[i]) != math.Float32bits(want) {
			t.Fatalf("half %#04x: %v, want %v", h, wide[i], want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	f := make([]float32, 0, 1<<18)
	for _, w := range wide {
		// Each half, and the points just around halfway to the next one.
		f = append(f, w, math.Nextafter32(w, float32(math.Inf(1))), w*(1+1.0/2048), w*(1+1.0/2048)*(1+1e-7))
	}
	for range 1 << 16 {
		f = append(f, math.Float32frombits(r.Uint32()))
	}
	narrow := make([]uint16, len(f))
	F32ToF16Slice(narrow, f)
	for i, v := range f {
		want := f32ToF16(v)
		if math.IsNaN(float64(v)) {
			if narrow[i]&0x7c00 != 0x7c00 || narrow[i]&0x3ff == 0 {
				t.Fatalf("%v: %#04x, want a NaN", v, narrow[i])
			}
			continue
		}
		if narrow[i] != want {
			t.Fatalf("%v (%#08x): %#04x, want %#04x", v, math.Float32bits(v), narrow[i], want)
		}
	}
}
