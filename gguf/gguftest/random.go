// Package gguftest makes tensor data for tests: valid blocks of any type
// that gguf can dequantize, for the types no fixture file covers and no
// quantizer here writes (the IQ1, IQ2 and IQ3 families).
package gguftest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/orcd/orcd/gguf"
)

// RandomTensor returns n values of type t: random blocks whose scale
// fields are set so that the dequantized values have about the given RMS.
// Every scale is a finite half, so every value is finite. The same seed
// gives the same bytes.
func RandomTensor(t gguf.Type, n int, seed uint64, rms float32) ([]byte, error) {
	nb, err := t.RowBytes(n)
	if err != nil {
		return nil, err
	}
	if !gguf.CanDequantize(t) {
		return nil, fmt.Errorf("gguftest: %v cannot be dequantized", t)
	}
	r := rand.New(rand.NewPCG(seed, 0x6775_6674_6573_74))
	b := make([]byte, nb)
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64()) * rms
		}
		return gguf.Quantize(t, x)
	}
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	// Scales of 1 first, to measure what the random quants give, then
	// the scale that brings that to rms: every value is linear in them.
	setScales(t, b, 0x3c00)
	x := make([]float32, n)
	if err := gguf.Dequantize(t, b, x); err != nil {
		return nil, err
	}
	var ss float64
	for _, v := range x {
		ss += float64(float64(v) * float64(v))
	}
	got := math.Sqrt(ss / float64(n))
	if got == 0 {
		return b, nil
	}
	setScales(t, b, gguf.F32ToF16(float32(float64(rms)/got)))
	return b, nil
}

// setScales writes the half h into every scale field of every block (for
// Q8_K, whose scale is a float32, h as a float32).
func setScales(t gguf.Type, b []byte, h uint16) {
	bs := t.BlockBytes()
	var offs []int
	switch t {
	case gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeQ4_K, gguf.TypeQ5_K:
		offs = []int{0, 2} // d and dmin
	case gguf.TypeQ2_K:
		offs = []int{80, 82}
	case gguf.TypeQ3_K:
		offs = []int{108}
	case gguf.TypeQ6_K:
		offs = []int{208}
	case gguf.TypeQ8_K, gguf.TypeIQ1_M:
	default:
		offs = []int{0}
	}
	for blk := b; len(blk) >= bs; blk = blk[bs:] {
		switch t {
		case gguf.TypeQ8_K:
			binary.LittleEndian.PutUint32(blk, math.Float32bits(gguf.F16ToF32(h)))
		case gguf.TypeIQ1_M:
			// No scale field: the half is the top nibbles of the four
			// 16-bit block scales at byte 48.
			for k := range 4 {
				sc := binary.LittleEndian.Uint16(blk[48+2*k:])
				binary.LittleEndian.PutUint16(blk[48+2*k:], sc&0x0fff|(h>>(4*k)&0xf)<<12)
			}
		}
		for _, o := range offs {
			binary.LittleEndian.PutUint16(blk[o:], h)
		}
	}
}
