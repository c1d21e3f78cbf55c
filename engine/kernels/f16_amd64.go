package kernels

import "golang.org/x/sys/cpu"

// Tile kernels for F16 (gemm_f16_amd64.s) and BF16 (gemm_bf16_amd64.s)
// weights: four rows against 1, 2, 4 or 6 tokens, and one row against one
// token. Arguments as tile_amd64.h says.

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

//go:noescape
func gemmBF16x4x1(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x4x2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x4x4(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x4x6(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x1x1(w *byte, x *float32, n int, out *float32)

// The AVX2 tiles (gemm_half_avx2_amd64.s): two rows, 8-column chunks.

//go:noescape
func gemmF16x2x1AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x2x2AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x2x4AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x2x6AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmF16x1x1AVX2(w *byte, x *float32, n int, out *float32)

//go:noescape
func gemmBF16x2x1AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x2x2AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x2x4AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x2x6AVX2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16x1x1AVX2(w *byte, x *float32, n int, out *float32)

// hasAVX512 gates the tile kernels: 512-bit FMA and conversions, and the
// upper sixteen registers.
var hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

type quadKernel func(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

// tileKernels are one weight type's tile kernels: per rows at a time
// against 6, 4, 2 or 1 tokens, and one row against one token, on chunks
// of width columns.
type tileKernels struct {
	per, width int
	quads      [4]struct {
		tok int
		f   quadKernel
	}
	one func(w *byte, x *float32, n int, out *float32)
	// pairs: x holds the tokens' activations as bfloat16 pairs (packBF16),
	// cols/2 float32-sized words a token.
	pairs bool
}

var (
	f16Tiles = tileKernels{
		per: 4, width: 16,
		quads: [4]struct {
			tok int
			f   quadKernel
		}{{6, gemmF16x4x6}, {4, gemmF16x4x4}, {2, gemmF16x4x2}, {1, gemmF16x4x1}},
		one: gemmF16x1x1,
	}
	bf16Tiles = tileKernels{
		per: 4, width: 16,
		quads: [4]struct {
			tok int
			f   quadKernel
		}{{6, gemmBF16x4x6}, {4, gemmBF16x4x4}, {2, gemmBF16x4x2}, {1, gemmBF16x4x1}},
		one: gemmBF16x1x1,
	}
	f16TilesAVX2 = tileKernels{
		per: 2, width: 8,
		quads: [4]struct {
			tok int
			f   quadKernel
		}{{6, gemmF16x2x6AVX2}, {4, gemmF16x2x4AVX2}, {2, gemmF16x2x2AVX2}, {1, gemmF16x2x1AVX2}},
		one: gemmF16x1x1AVX2,
	}
	bf16TilesAVX2 = tileKernels{
		per: 2, width: 8,
		quads: [4]struct {
			tok int
			f   quadKernel
		}{{6, gemmBF16x2x6AVX2}, {4, gemmBF16x2x4AVX2}, {2, gemmBF16x2x2AVX2}, {1, gemmBF16x2x1AVX2}},
		one: gemmBF16x1x1AVX2,
	}
)

// rows is dotSet.f16rows (or bf16rows) on k: rows [0, rows) of w (rb
// bytes apart) against nTok tokens of x (cols values each, cols a
// multiple of k.width), token t's results at out[t*ostride:][:rows].
func (k *tileKernels) rows(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int) {
	xw := cols // x's words a token
	if k.pairs {
		xw = cols / 2
	}
	_ = w[(rows-1)*rb+2*cols-1]
	_ = x[nTok*xw-1]
	_ = out[(nTok-1)*ostride+rows-1]
	n := cols / k.width
	if nTok == 1 {
		// Row after row: one sequential stream, which the hardware
		// prefetcher follows; four rows at a time decoded at 9 tok/s
		// against 14 (engine/kernels/BENCH.md).
		for r := 0; r < rows; r++ {
			k.one(&w[r*rb], &x[0], n, &out[r])
		}
		return
	}
	for t := 0; t < nTok; {
		q := k.quads[0]
		for _, q = range k.quads {
			if t+q.tok <= nTok {
				break
			}
		}
		r := 0
		for ; r+k.per <= rows; r += k.per {
			q.f(&w[r*rb], rb, &x[t*xw], 4*xw, n, &out[t*ostride+r], 4*ostride)
		}
		for ; r < rows; r++ {
			for i := t; i < t+q.tok; i++ {
				k.one(&w[r*rb], &x[i*xw], n, &out[i*ostride+r])
			}
		}
		t += q.tok
	}
}
