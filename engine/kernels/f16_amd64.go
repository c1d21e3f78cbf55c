package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func gemmF16x4x1(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x4x2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x4x4(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x4x6(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x1x1(w *byte, x *float32, n int, out *float32)

// hasAVX512 gates the F16 tile kernels (gemm_f16_amd64.s): 512-bit FMA
// and conversions, and the upper sixteen registers.
var hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// f16Quads are the four-row F16 kernels by the tokens they take.
var f16Quads = [...]struct {
	tok int
	f   func(w *byte, rb int, x *float32, xs, n int, out *float32, os int)
}{{6, gemmF16x4x6}, {4, gemmF16x4x4}, {2, gemmF16x4x2}, {1, gemmF16x4x1}}

// f16RowsAVX512 is dotSet.f16rows on the AVX-512 kernels: rows [0, rows)
// of w (rb bytes apart) against nTok tokens of x (cols values each, cols
// a multiple of 16), token t's results at out[t*ostride:][:rows].
func f16RowsAVX512(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int) {
	_ = w[(rows-1)*rb+2*cols-1]
	_ = x[nTok*cols-1]
	_ = out[(nTok-1)*ostride+rows-1]
	n := cols / 16
	if nTok == 1 {
		for r := 0; r < rows; r++ {
			gemmF16x1x1(&w[r*rb], &x[0], n, &out[r])
		}
		return
	}
	for t := 0; t < nTok; {
		k := f16Quads[0]
		for _, q := range f16Quads {
			if k = q; t+q.tok <= nTok {
				break
			}
		}
		r := 0
		for ; r+4 <= rows; r += 4 {
			k.f(&w[r*rb], rb, &x[t*cols], 4*cols, n, &out[t*ostride+r], 4*ostride)
		}
		for ; r < rows; r++ {
			for i := t; i < t+k.tok; i++ {
				gemmF16x1x1(&w[r*rb], &x[i*cols], n, &out[i*ostride+r])
			}
		}
		t += k.tok
	}
}
