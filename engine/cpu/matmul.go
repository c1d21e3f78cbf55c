package cpu

import (
	"unsafe"

	"github.com/orcd/orcd/gguf"
)

// matmul computes out[t] = W x[t] for nTok tokens: W has GGUF dims
// [nIn, nOut] (nOut rows of nIn values, in any supported type), x is
// [nTok][nIn] and out is [nTok][nOut]. Rows of W are split across workers.
//
// This is the plain reference: each row is dequantized (block by block,
// into a per-worker buffer) and dotted in float32 with every token, so a
// row is expanded once per call however many tokens the batch holds. It is
// the single entry point that faster kernels replace.
func matmul(ws *workers, out []float32, w *gguf.TensorInfo, x []float32, nTok int) {
	nIn, nOut := int(w.Dims[0]), int(w.Dims[1])
	rowBytes, _ := w.Type.RowBytes(nIn) // checked at load time
	f32 := w.Type == gguf.TypeF32
	dequant, _ := gguf.RowDequantizer(w.Type) // checked at load time
	ws.run(nOut, nOut*nIn*nTok, func(worker, lo, hi int) {
		row := ws.rowBuf[worker][:nIn]
		for r := lo; r < hi; r++ {
			src := w.Data[r*rowBytes : (r+1)*rowBytes]
			if f32 {
				row = unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), nIn)
			} else {
				dequant(src, row)
			}
			for t := 0; t < nTok; t++ {
				out[t*nOut+r] = dot(row, x[t*nIn:(t+1)*nIn])
			}
		}
	})
}

// dot is a float32 dot product with four partial sums (which lets the CPU
// overlap the additions, like a SIMD reduction).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
