package kernels

import "github.com/orcd/orcd/gguf"

//go:noescape
func gemmQ4_0x16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmIQ4_XSx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmIQ4_XSx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmIQ4_XSx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmIQ4_XSx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

//go:noescape
func gemmQ2_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ2_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ2_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ2_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ3_Kx16x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ3_Kx16x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ3_Kx16x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ3_Kx16x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

// addRows16 adds the sixteen-row Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_XS, Q2_K and Q3_K kernels
// (LayoutRows16) to s; they need AVX-512 BW (word shifts on 512-bit registers) and VNNI. Token t's
// blocks start nb*t blocks after blk0, its sixteen results at out[t*ostride:].
func addRows16(s *dotSet) {
	s.q4_0x16x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[15]
		_ = w[nb*288-1]
		gemmQ4_0x16x1VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, 0, 0, &out[0], 0)
	}
	s.q4_0x16x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[ostride+15]
		_ = w[nb*288-1]
		_ = a.Off[blk0+2*nb-1]
		gemmQ4_0x16x2VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	}
	s.q4_0x16x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[3*ostride+15]
		_ = w[nb*288-1]
		_ = a.Off[blk0+4*nb-1]
		gemmQ4_0x16x4VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	}
	s.q4_0x16x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[7*ostride+15]
		_ = w[nb*288-1]
		_ = a.Off[blk0+8*nb-1]
		gemmQ4_0x16x8VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	}
	s.q8_0x16x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[15]
		_ = w[nb*544-1]
		gemmQ8_0x16x1VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, 0, 0, &out[0], 0)
	}
	s.q8_0x16x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[1*ostride+15]
		_ = w[nb*544-1]
		_ = a.Off[blk0+2*nb-1]
		gemmQ8_0x16x2VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	}
	s.q8_0x16x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[3*ostride+15]
		_ = w[nb*544-1]
		_ = a.Off[blk0+4*nb-1]
		gemmQ8_0x16x4VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	}
	s.q8_0x16x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[7*ostride+15]
		_ = w[nb*544-1]
		_ = a.Off[blk0+8*nb-1]
		gemmQ8_0x16x8VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	}
	s.q4_Kx16x1 = k16One(gemmQ4_Kx16x1VNNI, 2*q4KPackedBlock, 4)
	s.q4_Kx16x2 = k16Tokens(gemmQ4_Kx16x2VNNI, 2, 2*q4KPackedBlock, 4)
	s.q4_Kx16x4 = k16Tokens(gemmQ4_Kx16x4VNNI, 4, 2*q4KPackedBlock, 4)
	s.q4_Kx16x8 = k16Tokens(gemmQ4_Kx16x8VNNI, 8, 2*q4KPackedBlock, 4)
	s.q5_Kx16x1 = k16One(gemmQ5_Kx16x1VNNI, 2*q5KPackedBlock, 4)
	s.q5_Kx16x2 = k16Tokens(gemmQ5_Kx16x2VNNI, 2, 2*q5KPackedBlock, 4)
	s.q5_Kx16x4 = k16Tokens(gemmQ5_Kx16x4VNNI, 4, 2*q5KPackedBlock, 4)
	s.q5_Kx16x8 = k16Tokens(gemmQ5_Kx16x8VNNI, 8, 2*q5KPackedBlock, 4)
	s.q6_Kx16x1 = k16One(gemmQ6_Kx16x1VNNI, 16*q6KBlock, 16)
	s.q6_Kx16x2 = k16Tokens(gemmQ6_Kx16x2VNNI, 2, 16*q6KBlock, 16)
	s.q6_Kx16x4 = k16Tokens(gemmQ6_Kx16x4VNNI, 4, 16*q6KBlock, 16)
	s.q6_Kx16x8 = k16Tokens(gemmQ6_Kx16x8VNNI, 8, 16*q6KBlock, 16)
	xs := xs16Set(gguf.TypeIQ4_XS)
	s.iq4_xsx16x1, s.iq4_xsx16x2, s.iq4_xsx16x4, s.iq4_xsx16x8 = xs.x1, xs.x2, xs.x4, xs.x8
	s.typed16 = map[gguf.Type]packedSet{}
	for _, t := range []gguf.Type{gguf.TypeIQ3_S, gguf.TypeIQ3_XXS} {
		s.typed16[t] = xs16Set(t)
	}
	for _, t := range grid3Types {
		s.typed16[t] = grid3x16Set(t)
	}
	s.q2_Kx16x1 = k16One(gemmQ2_Kx16x1VNNI, 16*q2KPackedRow, 8)
	s.q2_Kx16x2 = k16Tokens(gemmQ2_Kx16x2VNNI, 2, 16*q2KPackedRow, 8)
	s.q2_Kx16x4 = k16Tokens(gemmQ2_Kx16x4VNNI, 4, 16*q2KPackedRow, 8)
	s.q2_Kx16x8 = k16Tokens(gemmQ2_Kx16x8VNNI, 8, 16*q2KPackedRow, 8)
	s.q3_Kx16x1 = k16One(gemmQ3_Kx16x1VNNI, 16*q3KPackedRow, 16)
	s.q3_Kx16x2 = k16Tokens(gemmQ3_Kx16x2VNNI, 2, 16*q3KPackedRow, 16)
	s.q3_Kx16x4 = k16Tokens(gemmQ3_Kx16x4VNNI, 4, 16*q3KPackedRow, 16)
	s.q3_Kx16x8 = k16Tokens(gemmQ3_Kx16x8VNNI, 8, 16*q3KPackedRow, 16)
}

// kGemm16 is the signature of the sixteen-row K-quant kernels.
type kGemm16 func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

// k16One and k16Tokens bind a sixteen-row K-quant kernel of one token or
// t tokens: blockBytes is one packed block of sixteen rows, offs the
// activation offsets (Q8.Off) a block. Their bounds checks keep the
// assembly inside w, a and out.
func k16One(k kGemm16, blockBytes, offs int) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[15]
		_ = w[nb*blockBytes-1]
		_ = a.Off[(blk0+nb)*offs-1]
		k(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, 0, 0, 0, &out[0], 0)
	}
}

func k16Tokens(k kGemm16, t, blockBytes, offs int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[(t-1)*ostride+15]
		_ = w[nb*blockBytes-1]
		_ = a.Off[(blk0+t*nb)*offs-1]
		k(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, nb*QK_K, nb*4, nb*offs*4, &out[0], 4*ostride)
	}
}

// xs16Set is the sixteen-row kernels of a type in packed IQ4_XS layout
// (IQ4_XS, IQ3_S, IQ3_XXS): gemm_iq4xs16_amd64.s with the type's
// codebook+128 table, the results times its factor.
func xs16Set(t gguf.Type) packedSet {
	return cbSet([4]cbKernel{gemmIQ4_XSx16x1VNNI, gemmIQ4_XSx16x2VNNI, gemmIQ4_XSx16x4VNNI, gemmIQ4_XSx16x8VNNI},
		biasedTable(xsCodebook(t)[:], 128), xsFactor(t), 16, 2*iq4xsPackedBlock8, 4)
}
