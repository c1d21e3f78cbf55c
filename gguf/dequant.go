package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// littleEndian is true on the machines where float32 bytes in a GGUF file
// can be used in place.
var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// RowFunc dequantizes whole blocks: src holds len(dst)/BlockSize blocks of
// its type, back to back. It never allocates. The lengths are the caller's
// contract (Dequantize checks them); a row function is meant to be looked
// up once with RowDequantizer and then called from a kernel's inner loop.
type RowFunc func(src []byte, dst []float32)

var dequantizers = map[Type]RowFunc{
	TypeF32:    DequantizeRowF32,
	TypeF16:    DequantizeRowF16,
	TypeBF16:   DequantizeRowBF16,
	TypeQ4_0:   DequantizeRowQ4_0,
	TypeQ4_1:   DequantizeRowQ4_1,
	TypeQ5_0:   DequantizeRowQ5_0,
	TypeQ5_1:   DequantizeRowQ5_1,
	TypeQ8_0:   DequantizeRowQ8_0,
	TypeQ2_K:   DequantizeRowQ2_K,
	TypeQ3_K:   DequantizeRowQ3_K,
	TypeQ4_K:   DequantizeRowQ4_K,
	TypeQ5_K:   DequantizeRowQ5_K,
	TypeQ6_K:   DequantizeRowQ6_K,
	TypeQ8_K:   DequantizeRowQ8_K,
	TypeIQ4_NL: DequantizeRowIQ4_NL,
	TypeIQ4_XS: DequantizeRowIQ4_XS,

	TypeIQ2_XXS: DequantizeRowIQ2_XXS,
	TypeIQ2_XS:  DequantizeRowIQ2_XS,
	TypeIQ2_S:   DequantizeRowIQ2_S,
	TypeIQ3_XXS: DequantizeRowIQ3_XXS,
	TypeIQ3_S:   DequantizeRowIQ3_S,
	TypeIQ1_S:   DequantizeRowIQ1_S,
	TypeIQ1_M:   DequantizeRowIQ1_M,
}

// RowDequantizer returns the row function of t, or an error naming t when
// this package cannot dequantize it (TQ*, MXFP4, integer types, ...).
func RowDequantizer(t Type) (RowFunc, error) {
	fn, ok := dequantizers[t]
	if !ok {
		return nil, fmt.Errorf("gguf: dequantizing %s is not supported", t)
	}
	return fn, nil
}

// CanDequantize reports whether Dequantize supports t.
func CanDequantize(t Type) bool { _, ok := dequantizers[t]; return ok }

// Dequantize converts len(dst) elements of type t from src to float32. src
// must hold exactly the bytes of len(dst) elements, and len(dst) must be a
// multiple of t's block size. The results match ggml's dequantize_row_*.
func Dequantize(t Type, src []byte, dst []float32) error {
	fn, err := RowDequantizer(t)
	if err != nil {
		return err
	}
	want, err := t.RowBytes(len(dst))
	if err != nil {
		return err
	}
	if len(src) != want {
		return fmt.Errorf("gguf: dequantize %s: %d elements need %d bytes, got %d", t, len(dst), want, len(src))
	}
	fn(src, dst)
	return nil
}

// DequantizeTensor returns the tensor's values as a new float32 slice.
func DequantizeTensor(t *TensorInfo) ([]float32, error) {
	n := t.Elements()
	if n != uint64(int(n)) {
		return nil, fmt.Errorf("gguf: tensor %q has too many elements (%d) for this machine", t.Name, n)
	}
	if uint64(len(t.Data)) != t.Size {
		return nil, fmt.Errorf("gguf: tensor %q has no data loaded", t.Name)
	}
	dst := make([]float32, n)
	if err := Dequantize(t.Type, t.Data, dst); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return dst, nil
}

func f16At(b []byte, i int) float32 { return f16Table[binary.LittleEndian.Uint16(b[i:])] }

// DequantizeRowF32 copies little-endian float32s. On little-endian
// machines with 4-byte aligned data (all GGUF tensor data is) it is a plain
// copy.
func DequantizeRowF32(src []byte, dst []float32) {
	src = src[:4*len(dst)]
	if len(dst) > 0 && littleEndian && uintptr(unsafe.Pointer(&src[0]))%4 == 0 {
		copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), len(dst)))
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// DequantizeRowF16 widens IEEE halves.
func DequantizeRowF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = f16Table[binary.LittleEndian.Uint16(src[2*i:])]
	}
}

// DequantizeRowBF16 widens bfloat16s.
func DequantizeRowBF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

// Q4_0 block (18 bytes): f16 d, 16 bytes of nibbles. Element j is the low
// nibble of byte j, element j+16 the high nibble; value (q-8)*d.
func DequantizeRowQ4_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*18 : b*18+18]
		d := f16At(blk, 0)
		qs := blk[2:18]
		y := dst[b*32 : b*32+32]
		for j := 0; j < 16; j++ {
			y[j] = float32(int32(qs[j]&0xf)-8) * d
			y[j+16] = float32(int32(qs[j]>>4)-8) * d
		}
	}
}

// Q4_1 block (20 bytes): f16 d, f16 m, 16 bytes of nibbles; value q*d + m.
func DequantizeRowQ4_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*20 : b*20+20]
		d, m := f16At(blk, 0), f16At(blk, 2)
		qs := blk[4:20]
		y := dst[b*32 : b*32+32]
		for j := 0; j < 16; j++ {
			// The explicit conversions keep Go from fusing into an FMA,
			// which would round differently from ggml.
			y[j] = float32(float32(qs[j]&0xf)*d) + m
			y[j+16] = float32(float32(qs[j]>>4)*d) + m
		}
	}
}

// Q5_0 block (22 bytes): f16 d, u32 qh (the fifth bits), 16 bytes of
// nibbles; value (q-16)*d.
func DequantizeRowQ5_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*22 : b*22+22]
		d := f16At(blk, 0)
		qh := binary.LittleEndian.Uint32(blk[2:])
		qs := blk[6:22]
		y := dst[b*32 : b*32+32]
		for j := 0; j < 16; j++ {
			h0 := (qh >> j << 4) & 0x10
			h1 := (qh >> (j + 12)) & 0x10
			y[j] = float32(int32(uint32(qs[j]&0xf)|h0)-16) * d
			y[j+16] = float32(int32(uint32(qs[j]>>4)|h1)-16) * d
		}
	}
}

// Q5_1 block (24 bytes): f16 d, f16 m, u32 qh, 16 bytes of nibbles;
// value q*d + m.
func DequantizeRowQ5_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*24 : b*24+24]
		d, m := f16At(blk, 0), f16At(blk, 2)
		qh := binary.LittleEndian.Uint32(blk[4:])
		qs := blk[8:24]
		y := dst[b*32 : b*32+32]
		for j := 0; j < 16; j++ {
			h0 := (qh >> j << 4) & 0x10
			h1 := (qh >> (j + 12)) & 0x10
			y[j] = float32(float32(uint32(qs[j]&0xf)|h0)*d) + m
			y[j+16] = float32(float32(uint32(qs[j]>>4)|h1)*d) + m
		}
	}
}

// Q8_0 block (34 bytes): f16 d, 32 int8; value q*d.
func DequantizeRowQ8_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*34 : b*34+34]
		d := f16At(blk, 0)
		qs := blk[2:34]
		y := dst[b*32 : b*32+32]
		for j := range y {
			y[j] = float32(int8(qs[j])) * d
		}
	}
}
