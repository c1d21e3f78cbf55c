package kernels

// IQ4_NL repacked as Q4_0 is (LayoutRows8 and LayoutRows16: the same
// 18-byte blocks), and Q5_0, Q4_1 and Q5_1 repacked with their fifth bits
// reordered (pack_legacy.go), multiplied by gemm_legacy_amd64.s and
// gemm_mins_amd64.s: Q4_0's packed kernels with a codebook lookup or the
// fifth bits after the nibble unpack, and for Q4_1 and Q5_1 a min term.
// With the row-layout kernels, whose per-row horizontal sums the packed
// ones do not pay, their prefill was 0.81x to 2.1x llama.cpp's
// (engine/kernels/BENCH.md).

//go:noescape
func gemmIQ4_NLx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

//go:noescape
func gemmIQ4_NLx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

//go:noescape
func gemmQ5_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x8x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb int, out *float32)

//go:noescape
func gemmQ4_1x8x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x8x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x8x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x16x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x16x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x16x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x16x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x8x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb int, out *float32)

//go:noescape
func gemmQ5_1x8x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x8x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x8x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x16x1VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x16x2VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x16x4VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x16x8VNNI(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_0x8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x8x1AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x8x2AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_1x8x4AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x8x1AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x8x2AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_1x8x4AVX2(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

// legacyGemm is the signature of the packed Q4_0-shaped kernels but the
// eight-row one-token ones.
// The packed IQ4_NL kernels for AVX2 alone (gemm_iq4nl_avx2_amd64.s; off
// is not read).
//
//go:noescape
func gemmIQ4_NLx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_NLx8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

type legacyGemm func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

// legacyTokens binds such a kernel of n tokens (or one of one token,
// through oneTok) over groups of per rows
// (blocks of bb bytes per row): token t's blocks start nb*t blocks after
// blk0, its results at out[t*ostride:].
func legacyTokens(f legacyGemm, n, per, bb int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[(n-1)*ostride+per-1]
		_ = w[nb*per*bb-1]
		_ = a.Off[blk0+n*nb-1]
		_ = a.Qs[(blk0+n*nb)*QK8_0-1]
		_ = a.D[blk0+n*nb-1]
		f(&w[0], &a.Qs[blk0*QK8_0], &a.D[blk0], &a.Off[blk0], nb, nb*QK8_0, nb*4, &out[0], 4*ostride)
	}
}

// minsGemm is legacyGemm for Q4_1 and Q5_1, whose kernels read the
// tokens' Q8.S1 where the others read Q8.Off.
type minsGemm func(w *byte, qs *int8, d *float32, off *float32, nb, qstride, dstride int, out *float32, ostride int)

// minsTokens is legacyTokens for a minsGemm kernel.
func minsTokens(f minsGemm, n, per, bb int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[(n-1)*ostride+per-1]
		_ = w[nb*per*bb-1]
		_ = a.S1[blk0+n*nb-1]
		_ = a.Qs[(blk0+n*nb)*QK8_0-1]
		_ = a.D[blk0+n*nb-1]
		f(&w[0], &a.Qs[blk0*QK8_0], &a.D[blk0], &a.S1[blk0], nb, nb*QK8_0, nb*4, &out[0], 4*ostride)
	}
}

// legacyOne8 binds an eight-row one-token IQ4_NL or Q5_0 kernel.
func legacyOne8(f func(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32), bb int) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		_ = w[nb*8*bb-1]
		_ = a.Off[blk0+nb-1]
		_ = a.Qs[(blk0+nb)*QK8_0-1]
		_ = a.D[blk0+nb-1]
		f(&w[0], &a.Qs[blk0*QK8_0], &a.D[blk0], &a.Off[blk0], nb, &out[0])
	}
}

// oneTok is a one-token kernel of a set from its token-count form (n = 1).
func oneTok(f func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32) { f(w, a, blk0, nb, out, 0) }
}

// minsOne8 binds an eight-row one-token Q4_1 or Q5_1 kernel.
func minsOne8(f func(w *byte, qs *int8, d *float32, off *float32, nb int, out *float32), bb int) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		_ = w[nb*8*bb-1]
		_ = a.S1[blk0+nb-1]
		_ = a.Qs[(blk0+nb)*QK8_0-1]
		_ = a.D[blk0+nb-1]
		f(&w[0], &a.Qs[blk0*QK8_0], &a.D[blk0], &a.S1[blk0], nb, &out[0])
	}
}

// addLegacyPacked adds the packed IQ4_NL, Q5_0, Q4_1 and Q5_1 kernels to
// s; they need AVX-512 BW (vpshufb on the upper registers) and VNNI.
func addLegacyPacked(s *dotSet) {
	s.iq4_nlx8x1 = legacyOne8(gemmIQ4_NLx8x1VNNI, 18)
	s.iq4_nlx8x2 = legacyTokens(gemmIQ4_NLx8x2VNNI, 2, 8, 18)
	s.iq4_nlx8x4 = legacyTokens(gemmIQ4_NLx8x4VNNI, 4, 8, 18)
	s.iq4_nlx8x8 = legacyTokens(gemmIQ4_NLx8x8VNNI, 8, 8, 18)
	s.iq4_nlx16x1 = oneTok(legacyTokens(gemmIQ4_NLx16x1VNNI, 1, 16, 18))
	s.iq4_nlx16x2 = legacyTokens(gemmIQ4_NLx16x2VNNI, 2, 16, 18)
	s.iq4_nlx16x4 = legacyTokens(gemmIQ4_NLx16x4VNNI, 4, 16, 18)
	s.iq4_nlx16x8 = legacyTokens(gemmIQ4_NLx16x8VNNI, 8, 16, 18)
	s.q5_0x8x1 = legacyOne8(gemmQ5_0x8x1VNNI, 22)
	s.q5_0x8x2 = legacyTokens(gemmQ5_0x8x2VNNI, 2, 8, 22)
	s.q5_0x8x4 = legacyTokens(gemmQ5_0x8x4VNNI, 4, 8, 22)
	s.q5_0x8x8 = legacyTokens(gemmQ5_0x8x8VNNI, 8, 8, 22)
	s.q5_0x16x1 = oneTok(legacyTokens(gemmQ5_0x16x1VNNI, 1, 16, 22))
	s.q5_0x16x2 = legacyTokens(gemmQ5_0x16x2VNNI, 2, 16, 22)
	s.q5_0x16x4 = legacyTokens(gemmQ5_0x16x4VNNI, 4, 16, 22)
	s.q5_0x16x8 = legacyTokens(gemmQ5_0x16x8VNNI, 8, 16, 22)
	s.q4_1x8x1 = minsOne8(gemmQ4_1x8x1VNNI, 20)
	s.q4_1x8x2 = minsTokens(gemmQ4_1x8x2VNNI, 2, 8, 20)
	s.q4_1x8x4 = minsTokens(gemmQ4_1x8x4VNNI, 4, 8, 20)
	s.q4_1x8x8 = minsTokens(gemmQ4_1x8x8VNNI, 8, 8, 20)
	s.q4_1x16x1 = oneTok(minsTokens(gemmQ4_1x16x1VNNI, 1, 16, 20))
	s.q4_1x16x2 = minsTokens(gemmQ4_1x16x2VNNI, 2, 16, 20)
	s.q4_1x16x4 = minsTokens(gemmQ4_1x16x4VNNI, 4, 16, 20)
	s.q4_1x16x8 = minsTokens(gemmQ4_1x16x8VNNI, 8, 16, 20)
	s.q5_1x8x1 = minsOne8(gemmQ5_1x8x1VNNI, 24)
	s.q5_1x8x2 = minsTokens(gemmQ5_1x8x2VNNI, 2, 8, 24)
	s.q5_1x8x4 = minsTokens(gemmQ5_1x8x4VNNI, 4, 8, 24)
	s.q5_1x8x8 = minsTokens(gemmQ5_1x8x8VNNI, 8, 8, 24)
	s.q5_1x16x1 = oneTok(minsTokens(gemmQ5_1x16x1VNNI, 1, 16, 24))
	s.q5_1x16x2 = minsTokens(gemmQ5_1x16x2VNNI, 2, 16, 24)
	s.q5_1x16x4 = minsTokens(gemmQ5_1x16x4VNNI, 4, 16, 24)
	s.q5_1x16x8 = minsTokens(gemmQ5_1x16x8VNNI, 8, 16, 24)
}

// addLegacyPackedAVX2 adds the eight-row packed Q5_0, Q4_1 and Q5_1
// kernels of CPUs with AVX2 but not AVX-512 (gemm_legacy_avx2_amd64.s;
// one, two and four tokens, bit for bit the VNNI ones).
func addLegacyPackedAVX2(s *dotSet) {
	s.iq4_nlx8x1 = oneTok(legacyTokens(gemmIQ4_NLx8x1AVX2, 1, 8, 18))
	s.iq4_nlx8x2 = legacyTokens(gemmIQ4_NLx8x2AVX2, 2, 8, 18)
	s.iq4_nlx8x4 = legacyTokens(gemmIQ4_NLx8x4AVX2, 4, 8, 18)
	s.q5_0x8x1 = oneTok(legacyTokens(gemmQ5_0x8x1AVX2, 1, 8, 22))
	s.q5_0x8x2 = legacyTokens(gemmQ5_0x8x2AVX2, 2, 8, 22)
	s.q5_0x8x4 = legacyTokens(gemmQ5_0x8x4AVX2, 4, 8, 22)
	s.q4_1x8x1 = oneTok(minsTokens(gemmQ4_1x8x1AVX2, 1, 8, 20))
	s.q4_1x8x2 = minsTokens(gemmQ4_1x8x2AVX2, 2, 8, 20)
	s.q4_1x8x4 = minsTokens(gemmQ4_1x8x4AVX2, 4, 8, 20)
	s.q5_1x8x1 = oneTok(minsTokens(gemmQ5_1x8x1AVX2, 1, 8, 24))
	s.q5_1x8x2 = minsTokens(gemmQ5_1x8x2AVX2, 2, 8, 24)
	s.q5_1x8x4 = minsTokens(gemmQ5_1x8x4AVX2, 4, 8, 24)
}
