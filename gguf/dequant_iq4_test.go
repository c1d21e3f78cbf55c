package gguf

import (
	"encoding/binary"
	"testing"
)

// TestDequantizeIQ4 checks both IQ4 layouts on hand-built blocks: every
// nibble value in both halves of a byte, and for IQ4_XS each sub-block's
// 6-bit scale split across scales_l and scales_h.
func TestDequantizeIQ4(t *testing.T) {
	nl := make([]byte, 18)
	binary.LittleEndian.PutUint16(nl, F32ToF16(0.5))
	for j := 0; j < 16; j++ {
		nl[2+j] = byte(j) | byte(15-j)<<4
	}
	y := make([]float32, 32)
	if err := Dequantize(TypeIQ4_NL, nl, y); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 16; j++ {
		if lo, hi := 0.5*float32(KValuesIQ4NL[j]), 0.5*float32(KValuesIQ4NL[15-j]); y[j] != lo || y[j+16] != hi {
			t.Fatalf("IQ4_NL value %d: %v %v, want %v %v", j, y[j], y[j+16], lo, hi)
		}
	}

	xs := make([]byte, 136)
	binary.LittleEndian.PutUint16(xs, F32ToF16(0.25))
	ls := []int{0, 1, 31, 32, 33, 47, 62, 63} // scale - 32: -32 .. 31
	var sh uint16
	for ib, l := range ls {
		xs[4+ib/2] |= byte(l&0xf) << (4 * (ib % 2))
		sh |= uint16(l>>4) << (2 * ib)
	}
	binary.LittleEndian.PutUint16(xs[2:], sh)
	for i := range 128 {
		xs[8+i] = byte(i%16) | byte((i+5)%16)<<4
	}
	y = make([]float32, 256)
	if err := Dequantize(TypeIQ4_XS, xs, y); err != nil {
		t.Fatal(err)
	}
	for ib, l := range ls {
		for j := 0; j < 16; j++ {
			i := 16*ib + j
			dl := 0.25 * float32(l-32)
			lo, hi := dl*float32(KValuesIQ4NL[i%16]), dl*float32(KValuesIQ4NL[(i+5)%16])
			if got := y[32*ib+j]; got != lo {
				t.Fatalf("IQ4_XS sub-block %d value %d: %v, want %v", ib, j, got, lo)
			}
			if got := y[32*ib+j+16]; got != hi {
				t.Fatalf("IQ4_XS sub-block %d value %d: %v, want %v", ib, j+16, got, hi)
			}
		}
	}
}
