package gguf

import (
	"math"
	"testing"
)

// Every half survives the round trip half -> float32 -> half.
func TestF16RoundTripAllHalves(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if f != f { // NaN: the payload may be quieted, but must stay NaN
			if g := F16ToF32(F32ToF16(f)); g == g {
				t.Fatalf("NaN %#04x came back as %v", h, g)
			}
			continue
		}
		if got := F32ToF16(f); got != uint16(h) {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)=%v) = %#04x", h, f, got)
		}
	}
}

// Midpoints between adjacent halves round to the even neighbour; points just
// off the midpoint round to the nearer one.
func TestF32ToF16RoundsToNearestEven(t *testing.T) {
	for h := uint16(0); h < 0x7bff; h++ {
		lo, hi := float64(F16ToF32(h)), float64(F16ToF32(h+1))
		mid := float32((lo + hi) / 2)
		want := h
		if h&1 == 1 {
			want = h + 1
		}
		if got := F32ToF16(mid); got != want {
			t.Fatalf("midpoint of %#04x and %#04x: got %#04x want %#04x", h, h+1, got, want)
		}
		if got := F32ToF16(math.Nextafter32(mid, float32(hi))); got != h+1 {
			t.Fatalf("just above midpoint of %#04x: got %#04x", h, got)
		}
		if got := F32ToF16(math.Nextafter32(mid, float32(lo))); got != h {
			t.Fatalf("just below midpoint of %#04x: got %#04x", h, got)
		}
		if got := F32ToF16(-mid); got != want|0x8000 {
			t.Fatalf("negative midpoint of %#04x: got %#04x", h, got)
		}
	}
	cases := []struct {
		f    float32
		want uint16
	}{
		{65504, 0x7bff}, {65520, 0x7c00}, {1e10, 0x7c00}, {float32(math.Inf(-1)), 0xfc00},
		{1e-10, 0}, {-1e-10, 0x8000}, {float32(math.Ldexp(1, -25)), 0}, {float32(math.Ldexp(1.5, -25)), 1},
	}
	for _, c := range cases {
		if got := F32ToF16(c.f); got != c.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
	if got := F16ToF32(F32ToF16(float32(math.NaN()))); got == got {
		t.Errorf("NaN did not stay NaN: %v", got)
	}
}

func TestBF16(t *testing.T) {
	cases := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3f80}, {-2, 0xc000}, {math.Float32frombits(0x3f808000), 0x3f80}, // tie to even (down)
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie to even (up)
		{math.Float32frombits(0x3f808001), 0x3f81},
	}
	for _, c := range cases {
		if got := F32ToBF16(c.f); got != c.want {
			t.Errorf("F32ToBF16(%v) = %#04x, want %#04x", c.f, got, c.want)
		}
		if got := BF16ToF32(c.want); F32ToBF16(got) != c.want {
			t.Errorf("BF16 %#04x does not round-trip", c.want)
		}
	}
	if v := BF16ToF32(F32ToBF16(float32(math.NaN()))); v == v {
		t.Error("bf16 NaN lost")
	}
}
