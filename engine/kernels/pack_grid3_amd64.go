package kernels

import "github.com/orcd/orcd/gguf"

// The sixteen-row kernels of the types re-encoded into packed Q3_K layout
// (pack_grid3.go): gemm_q3k16_amd64.s's, with cb the type's codebook plus
// its bias (grid3Bias) for the index lookup.

//go:noescape
func gemmQ3Lx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

// grid3x16Set is the sixteen-row kernels of t, with its codebook plus
// its bias (grid3Bias) and the results times its factor.
func grid3x16Set(t gguf.Type) packedSet {
	return cbSet([4]cbKernel{gemmQ3Lx16x1VNNI, gemmQ3Lx16x2VNNI, gemmQ3Lx16x4VNNI, gemmQ3Lx16x8VNNI},
		biasedTable(grid3Codebook(t)[:], int(grid3Bias(t))), grid3Factor(t), 16, 16*q3KPackedRow, 16)
}

// The eight-row AVX2 kernels of the same layout (gemm_q3l_avx2_amd64.s).

//go:noescape
func gemmQ3Lx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

// grid3x8AVX2Set is the eight-row AVX2 kernels of t (one, two and four
// tokens), as grid3x16Set.
func grid3x8AVX2Set(t gguf.Type) packedSet {
	return cbSet([4]cbKernel{gemmQ3Lx8x1AVX2, gemmQ3Lx8x2AVX2, gemmQ3Lx8x4AVX2, nil},
		biasedTable(grid3Codebook(t)[:], int(grid3Bias(t))), grid3Factor(t), 8, 8*q3KPackedRow, 16)
}
