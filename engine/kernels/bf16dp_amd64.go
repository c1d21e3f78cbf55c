package kernels

import "golang.org/x/sys/cpu"

// The BF16 tiles on AVX-512 BF16 (vdpbf16ps; gemm_bf16_amd64.s): 32-column
// chunks, each lane adding the products of two adjacent columns. Before
// them BF16 prefill ran at 0.88x llama.cpp's on this machine, which uses
// the same instruction (engine/kernels/BENCH.md).

//go:noescape
func gemmBF16DPx4x1(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16DPx4x2(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16DPx4x4(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16DPx4x6(w *byte, rb int, x *float32, xs, n int, out *float32, os int)

//go:noescape
func gemmBF16DPx1x1(w *byte, x *float32, n int, out *float32)

// hasAVX512BF16 gates the vdpbf16ps tiles.
var hasAVX512BF16 = hasAVX512 && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512BF16

var bf16DPTiles = tileKernels{
	per: 4, width: 32,
	quads: [4]struct {
		tok int
		f   quadKernel
	}{{6, gemmBF16DPx4x6}, {4, gemmBF16DPx4x4}, {2, gemmBF16DPx4x2}, {1, gemmBF16DPx4x1}},
	one:   gemmBF16DPx1x1,
	pairs: true,
}

// bf16DPRows is dotSet.bf16rows on the vdpbf16ps tiles for rows whose
// length is a multiple of 32 (x then packed by packBF16), and on
// bf16Tiles for the others (x rounded to bfloat16 values): a matrix
// always takes the same path, so a token's result does not depend on its
// batch.
func bf16DPRows(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int) {
	if cols%32 == 0 {
		bf16DPTiles.rows(w, rb, rows, x, cols, nTok, out, ostride)
		return
	}
	bf16Tiles.rows(w, rb, rows, x, cols, nTok, out, ostride)
}
