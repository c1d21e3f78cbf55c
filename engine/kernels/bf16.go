package kernels

import (
	"math"
	"unsafe"

	"github.com/orcd/orcd/gguf"
)

// roundBF16 rounds f to bfloat16 precision (ties to even, NaN kept) and
// back, as ggml converts activations for BF16 weights (GGML_FP32_TO_BF16).
func roundBF16(f float32) float32 { return gguf.BF16ToF32(gguf.F32ToBF16(f)) }

// packBF16 writes src as bfloat16 (rounded as roundBF16) into dst's
// memory two to a word, src[2i] low: the layout vdpbf16ps reads. dst
// needs len(src)/2 words.
func packBF16(dst, src []float32) {
	b := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(dst))), len(src))
	_ = dst[len(src)/2-1]
	for i, v := range src {
		b[i] = gguf.F32ToBF16(v)
	}
}

func roundBF16Slice(dst, src []float32) {
	for i, v := range src {
		dst[i] = roundBF16(v)
	}
}

// refDotBF16 is the dot of a BF16 row with x (already rounded to
// bfloat16): the fallback for rows whose length is not a multiple of 16.
func refDotBF16(w []byte, x []float32) float32 {
	var s float32
	for i, v := range x {
		s += float32(math.Float32frombits(uint32(le16(w[2*i:]))<<16) * v)
	}
	return s
}
