package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// quantizers turn whole blocks of float32 into a type's bytes, following
// ggml's quantize_row_*_ref (no importance matrix), which is what
// llama-quantize uses when it has none: quantizing the F32 fixture
// reproduces the quantized fixtures byte for byte. IQ4_NL and IQ4_XS are
// the exception: valid files of comparable error (quant_iq4.go).
var quantizers = map[Type]func(src []float32, dst []byte){
	TypeF32:    quantizeRowF32,
	TypeF16:    quantizeRowF16,
	TypeBF16:   quantizeRowBF16,
	TypeQ4_0:   quantizeRowQ4_0,
	TypeQ4_1:   quantizeRowQ4_1,
	TypeQ5_0:   quantizeRowQ5_0,
	TypeQ5_1:   quantizeRowQ5_1,
	TypeQ8_0:   quantizeRowQ8_0,
	TypeQ2_K:   quantizeRowQ2_K,
	TypeQ3_K:   quantizeRowQ3_K,
	TypeQ4_K:   quantizeRowQ4_K,
	TypeQ5_K:   quantizeRowQ5_K,
	TypeQ6_K:   quantizeRowQ6_K,
	TypeQ8_K:   quantizeRowQ8_K,
	TypeIQ4_NL: quantizeRowIQ4_NL,
	TypeIQ4_XS: quantizeRowIQ4_XS,
}

// CanQuantize reports whether Quantize supports t.
func CanQuantize(t Type) bool { _, ok := quantizers[t]; return ok }

// Quantize encodes src as type t. len(src) must be a multiple of t's block
// size; for a matrix that means every row length must be.
func Quantize(t Type, src []float32) ([]byte, error) {
	n, err := t.RowBytes(len(src))
	if err != nil {
		return nil, err
	}
	dst := make([]byte, n)
	if err := QuantizeTo(t, src, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// QuantizeTo is Quantize into a caller-provided buffer of exactly the right size.
func QuantizeTo(t Type, src []float32, dst []byte) error {
	fn, ok := quantizers[t]
	if !ok {
		return fmt.Errorf("gguf: quantizing to %s is not supported", t)
	}
	n, err := t.RowBytes(len(src))
	if err != nil {
		return err
	}
	if len(dst) != n {
		return fmt.Errorf("gguf: quantize %s: %d elements need %d bytes, got %d", t, len(src), n, len(dst))
	}
	fn(src, dst)
	return nil
}

func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

// nearestInt rounds to nearest, ties to even, the way ggml's nearest_int
// does it: adding 1.5*2^23 leaves the rounded integer in the low mantissa
// bits. Valid for |f| < 2^22, like the original.
func nearestInt(f float32) int32 {
	v := float32(f) + 12582912 // f rounded first: no fused multiply-add on arm64
	return int32(math.Float32bits(v)&0x7fffff) - 0x400000
}

// roundAway is C's roundf: halves away from zero.
func roundAway(f float32) float32 { return float32(math.Round(float64(f))) }

func quantizeRowF32(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func quantizeRowF16(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
	}
}

func quantizeRowBF16(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

// absMaxSigned returns the value of largest magnitude (first one on ties).
func absMaxSigned(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); amax < a {
			amax, max = a, v
		}
	}
	return amax, max
}

func minMax(x []float32) (min, max float32) {
	min, max = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	return min, max
}

func inverse(d float32) float32 {
	if d != 0 {
		return 1 / d
	}
	return 0
}

func quantizeRowQ4_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x := src[b*32 : b*32+32]
		y := dst[b*18 : b*18+18]
		_, max := absMaxSigned(x)
		d := max / -8
		id := inverse(d)
		putF16(y, d)
		for j := 0; j < 16; j++ {
			xi0 := min(15, int32(float32(x[j]*id)+8.5))
			xi1 := min(15, int32(float32(x[j+16]*id)+8.5))
			y[2+j] = uint8(xi0) | uint8(xi1)<<4
		}
	}
}

func quantizeRowQ4_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x := src[b*32 : b*32+32]
		y := dst[b*20 : b*20+20]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		id := inverse(d)
		putF16(y, d)
		putF16(y[2:], lo)
		for j := 0; j < 16; j++ {
			xi0 := min(15, int32(float32((x[j]-lo)*id)+0.5))
			xi1 := min(15, int32(float32((x[j+16]-lo)*id)+0.5))
			y[4+j] = uint8(xi0) | uint8(xi1)<<4
		}
	}
}

func quantizeRowQ5_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x := src[b*32 : b*32+32]
		y := dst[b*22 : b*22+22]
		_, max := absMaxSigned(x)
		d := max / -16
		id := inverse(d)
		putF16(y, d)
		var qh uint32
		for j := 0; j < 16; j++ {
			xi0 := uint32(min(31, int32(float32(x[j]*id)+16.5)))
			xi1 := uint32(min(31, int32(float32(x[j+16]*id)+16.5)))
			y[6+j] = uint8(xi0&0xf | (xi1&0xf)<<4)
			qh |= (xi0 & 0x10 >> 4) << j
			qh |= (xi1 & 0x10 >> 4) << (j + 16)
		}
		binary.LittleEndian.PutUint32(y[2:], qh)
	}
}

func quantizeRowQ5_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x := src[b*32 : b*32+32]
		y := dst[b*24 : b*24+24]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		id := inverse(d)
		putF16(y, d)
		putF16(y[2:], lo)
		var qh uint32
		for j := 0; j < 16; j++ {
			xi0 := uint32(uint8(int32(float32((x[j]-lo)*id) + 0.5)))
			xi1 := uint32(uint8(int32(float32((x[j+16]-lo)*id) + 0.5)))
			y[8+j] = uint8(xi0&0xf | (xi1&0xf)<<4)
			qh |= (xi0 & 0x10 >> 4) << j
			qh |= (xi1 & 0x10 >> 4) << (j + 16)
		}
		binary.LittleEndian.PutUint32(y[4:], qh)
	}
}

func quantizeRowQ8_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x := src[b*32 : b*32+32]
		y := dst[b*34 : b*34+34]
		amax, _ := absMaxSigned(x)
		d := amax / 127
		id := inverse(d)
		putF16(y, d)
		for j, v := range x {
			y[2+j] = uint8(int8(roundAway(v * id)))
		}
	}
}
