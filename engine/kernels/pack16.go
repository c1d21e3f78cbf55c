package kernels

import "github.com/orcd/orcd/gguf"

// LayoutRows16 (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, Q5_0, Q4_1, Q5_1,
// IQ4_XS, Q2_K and Q3_K, and the grid types re-encoded into IQ4_XS's and
// Q3_K's: pack_iq3.go, pack_grid3.go) is LayoutRows8 widened
// to sixteen rows for the 512-bit kernels (gemm_x16_amd64.s,
// gemm_q4k16_amd64.s, gemm_q5k16_amd64.s, gemm_q6k16_amd64.s).
// For Q4_0, IQ4_NL (the same block bytes) and Q8_0: groups of sixteen rows and, block by block, the
// sixteen rows' f16 scales (32 bytes) then chunk k (k = 0..3 for Q4_0,
// 0..7 for Q8_0; 64 bytes at 32+64k) holding bytes 4k..4k+3 of each row's
// quants, row r at 4r. For Q5_0, Q4_1 and Q5_1: see pack_legacy.go; for IQ4_XS,
// pack_iq4xs.go; for Q2_K and Q3_K, pack_q2k.go and
// pack_q3k.go; for Q4_K, Q5_K and
// Q6_K: see packQ4KGroupsAs and packQ6KGroupsAs. A block of sixteen rows is sixteen blocks' bytes, so
// PackedSize is the same. Pack makes it for matrices of whole sixteen-row
// groups when the active kernels have the sixteen-row set; a matrix packed
// so keeps its layout across UseReference and UseAVX2Only, which run it on
// the Go references (refPacked).

// packedKernels is the kernel set for a packed matrix's type and layout.
func packedKernels(t gguf.Type, l Layout) packedSet {
	if l == LayoutRows16 {
		switch t {
		case gguf.TypeQ4_0:
			return packedSet{active.q4_0x16x1, active.q4_0x16x2, active.q4_0x16x4, active.q4_0x16x8}
		case gguf.TypeQ8_0:
			return packedSet{active.q8_0x16x1, active.q8_0x16x2, active.q8_0x16x4, active.q8_0x16x8}
		case gguf.TypeIQ4_NL:
			return packedSet{active.iq4_nlx16x1, active.iq4_nlx16x2, active.iq4_nlx16x4, active.iq4_nlx16x8}
		case gguf.TypeQ5_0:
			return packedSet{active.q5_0x16x1, active.q5_0x16x2, active.q5_0x16x4, active.q5_0x16x8}
		case gguf.TypeQ4_1:
			return packedSet{active.q4_1x16x1, active.q4_1x16x2, active.q4_1x16x4, active.q4_1x16x8}
		case gguf.TypeQ5_1:
			return packedSet{active.q5_1x16x1, active.q5_1x16x2, active.q5_1x16x4, active.q5_1x16x8}
		case gguf.TypeIQ4_XS:
			return packedSet{active.iq4_xsx16x1, active.iq4_xsx16x2, active.iq4_xsx16x4, active.iq4_xsx16x8}
		case gguf.TypeQ2_K:
			return packedSet{active.q2_Kx16x1, active.q2_Kx16x2, active.q2_Kx16x4, active.q2_Kx16x8}
		case gguf.TypeQ3_K:
			return packedSet{active.q3_Kx16x1, active.q3_Kx16x2, active.q3_Kx16x4, active.q3_Kx16x8}
		case gguf.TypeQ4_K:
			return packedSet{active.q4_Kx16x1, active.q4_Kx16x2, active.q4_Kx16x4, active.q4_Kx16x8}
		case gguf.TypeQ5_K:
			return packedSet{active.q5_Kx16x1, active.q5_Kx16x2, active.q5_Kx16x4, active.q5_Kx16x8}
		case gguf.TypeQ6_K:
			return packedSet{active.q6_Kx16x1, active.q6_Kx16x2, active.q6_Kx16x4, active.q6_Kx16x8}
		}
		return active.typed16[t]
	}
	return rows8Kernels(t)
}

// groupRows is the rows per group of a packed layout.
func groupRows(l Layout) int {
	if l == LayoutRows16 {
		return 16
	}
	return 8
}

// PackLayout is the layout Pack gives m with the kernels active now:
// LayoutRows16 for the packed types' matrices (rows16Type) of whole
// sixteen-row groups on CPUs with the 512-bit kernels, LayoutRows8
// otherwise.
func PackLayout(m Matrix) Layout {
	if m.Rows%16 == 0 && packedKernels(m.Type, LayoutRows16).x1 != nil {
		return LayoutRows16
	}
	return LayoutRows8
}

// rows16Type reports whether t has a sixteen-row layout.
func rows16Type(t gguf.Type) bool {
	switch t {
	case gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K, gguf.TypeIQ4_NL, gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeIQ4_XS, gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS,
		gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M:
		return true
	}
	return false
}

// packRows16Groups writes eight-row groups [g0, g1) of m into dst in
// LayoutRows16: group g is the upper or lower half (g odd or even) of
// sixteen-row group g/2.
func packRows16Groups(dst []byte, m Matrix, g0, g1 int) { packGroupsAs(dst, m, g0, g1, 16) }
