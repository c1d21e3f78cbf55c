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

// grid3Types are the types Pack re-encodes into packed Q3_K layout.
var grid3Types = []gguf.Type{gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M}

// grid3Table is t's codebook plus its bias, as the kernels' lookup reads it
// (16 bytes; indices 8-15 never occur).
func grid3Table(t gguf.Type) *[16]byte {
	tab := new([16]byte)
	for i, v := range grid3Codebook(t) {
		tab[i] = byte(int32(v) + grid3Bias(t))
	}
	return tab
}

// grid3x16Set is the sixteen-row kernels of t, the results times its factor.
func grid3x16Set(t gguf.Type) packedSet {
	tab, factor := grid3Table(t), grid3Factor(t)
	const bb, offs = 16 * q3KPackedRow, 16
	tokens := func(k func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte), n int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[(n-1)*ostride+15]
			_ = w[nb*bb-1]
			_ = a.Off[(blk0+n*nb)*offs-1]
			k(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, nb*QK_K, nb*4, nb*offs*4, &out[0], 4*ostride, &tab[0])
			scaleOut(out, 16, n, ostride, factor)
		}
	}
	one := tokens(gemmQ3Lx16x1VNNI, 1)
	return packedSet{
		x1: func(w []byte, a *Q8, blk0, nb int, out []float32) { one(w, a, blk0, nb, out, 0) },
		x2: tokens(gemmQ3Lx16x2VNNI, 2), x4: tokens(gemmQ3Lx16x4VNNI, 4), x8: tokens(gemmQ3Lx16x8VNNI, 8),
	}
}

// The eight-row AVX2 kernels of the same layout (gemm_q3l_avx2_amd64.s).

//go:noescape
func gemmQ3Lx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ3Lx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

// grid3x8AVX2Set is the eight-row AVX2 kernels of t, the results times
// its factor.
func grid3x8AVX2Set(t gguf.Type) packedSet {
	tab, factor := grid3Table(t), grid3Factor(t)
	const bb, offs = 8 * q3KPackedRow, 16
	tokens := func(k func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte), n int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[(n-1)*ostride+7]
			_ = w[nb*bb-1]
			_ = a.Off[(blk0+n*nb)*offs-1]
			k(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, nb*QK_K, nb*4, nb*offs*4, &out[0], 4*ostride, &tab[0])
			scaleOut(out, 8, n, ostride, factor)
		}
	}
	one := tokens(gemmQ3Lx8x1AVX2, 1)
	return packedSet{
		x1: func(w []byte, a *Q8, blk0, nb int, out []float32) { one(w, a, blk0, nb, out, 0) },
		x2: tokens(gemmQ3Lx8x2AVX2, 2), x4: tokens(gemmQ3Lx8x4AVX2, 4),
	}
}
