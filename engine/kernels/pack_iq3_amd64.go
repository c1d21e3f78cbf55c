package kernels

import "github.com/orcd/orcd/gguf"

// The eight-row kernels of re-encoded IQ3_S and IQ3_XXS for CPUs with
// AVX2 (gemm_xs_avx2_amd64.s): cb is the type's codebook plus the bias
// 1<<bshift, each value unsigned and at most 126.

// IQ4_XS's, signed (the same file).
//
//go:noescape
func gemmIQ4_XSx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmIQ4_XSx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmIQ4_XSx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

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
		m[t] = xs8AVX2Set(t)
	}
	m[gguf.TypeIQ4_XS] = cbSet([4]cbKernel{gemmIQ4_XSx8x1AVX2, gemmIQ4_XSx8x2AVX2, gemmIQ4_XSx8x4AVX2, nil},
		biasedTable(iq4xsCodebook[:], 0), 1, 8, iq4xsPackedBlock8, 4)
	for _, t := range append([]gguf.Type{gguf.TypeQ3_K}, grid3Types...) {
		m[t] = grid3x8AVX2Set(t)
	}
	s.typed8 = m
}

func xs8AVX2Set(t gguf.Type) packedSet {
	shift := xsBiasShift(t)
	with := func(k func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte, bshift int)) cbKernel {
		return func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte) {
			k(w, qs, d, off, nb, qstride, dstride, offstride, out, ostride, cb, shift)
		}
	}
	return cbSet([4]cbKernel{with(gemmXSx8x1AVX2), with(gemmXSx8x2AVX2), with(gemmXSx8x4AVX2), nil},
		biasedTable(xsCodebook(t)[:], 1<<shift), xsFactor(t), 8, iq4xsPackedBlock8, 4)
}
