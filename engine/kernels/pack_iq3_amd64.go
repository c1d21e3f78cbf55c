package kernels

import "github.com/orcd/orcd/gguf"

// The eight-row kernels of re-encoded IQ3_S and IQ3_XXS for CPUs with
// AVX2 (gemm_xs_avx2_amd64.s): cb is the type's codebook plus the bias
// 1<<bshift, each value unsigned and at most 126.

//go:noescape
func gemmXSx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)

//go:noescape
func gemmXSx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)

//go:noescape
func gemmXSx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)

// xsBiasShift is log2 of the bias that makes t's codebook unsigned for
// vpmaddubsw without saturating its pair sums (see the assembly).
func xsBiasShift(t gguf.Type) int {
	if t == gguf.TypeIQ3_XXS {
		return 6 // ±62 -> 2..126
	}
	return 4 // IQ3_S: ±15 -> 1..31
}

// addXSAVX2 adds the eight-row kernels of the re-encoded types (IQ3_S and
// IQ3_XXS here, the IQ2 and IQ1 types in pack_grid3_amd64.go) and packed
// Q3_K's (the same kernels, with Q3_K's identity codebook) to s, in a new
// map: the sets share none.
func addXSAVX2(s *dotSet) {
	m := map[gguf.Type]packedSet{}
	for t, k := range s.typed8 {
		m[t] = k
	}
	for _, t := range []gguf.Type{gguf.TypeIQ3_S, gguf.TypeIQ3_XXS} {
		var k packedSet
		k.x1, k.x2, k.x4 = xs8AVX2Set(t)
		m[t] = k
	}
	for _, t := range append([]gguf.Type{gguf.TypeQ3_K}, grid3Types...) {
		m[t] = grid3x8AVX2Set(t)
	}
	s.typed8 = m
}

func xs8AVX2Set(t gguf.Type) (x1 func(w []byte, a *Q8, blk0, nb int, out []float32), x2, x4 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)) {
	shift := xsBiasShift(t)
	tab := new([16]byte)
	for i, v := range xsCodebook(t) {
		tab[i] = byte(int(v) + 1<<shift)
	}
	factor := xsFactor(t)
	const bb, offs = iq4xsPackedBlock8, 4
	x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		_ = w[nb*bb-1]
		_ = a.Off[(blk0+nb)*offs-1]
		gemmXSx8x1AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, 0, 0, 0, &out[0], 0, &tab[0], shift)
		scaleOut(out, 8, 1, 0, factor)
	}
	tokens := func(k func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int), t int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[(t-1)*ostride+7]
			_ = w[nb*bb-1]
			_ = a.Off[(blk0+t*nb)*offs-1]
			k(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, nb*QK_K, nb*4, nb*offs*4, &out[0], 4*ostride, &tab[0], shift)
			scaleOut(out, 8, t, ostride, factor)
		}
	}
	return x1, tokens(gemmXSx8x2AVX2, 2), tokens(gemmXSx8x4AVX2, 4)
}
