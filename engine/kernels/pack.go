package kernels

import (
	"fmt"

	"github.com/orcd/orcd/gguf"
)

// Layout is how a Matrix's bytes are arranged.
type Layout uint8

const (
	// LayoutRows is GGUF's: each row's blocks back to back.
	LayoutRows Layout = iota
	// LayoutRows8 is a matrix repacked by Pack in groups of eight rows.
	// For Q4_0, IQ4_NL and Q8_0: within a group, block by block, the eight
	// rows' f16 scales (16 bytes) then their quants interleaved four bytes
	// at a time: chunk k holds bytes 4k..4k+3 of rows 0..7 (Q4_0 and
	// IQ4_NL have 4 chunks, Q8_0 8). A block of eight rows is still eight
	// blocks' bytes, so the size is unchanged. The other types' layouts
	// are in their pack_*.go files.
	LayoutRows8
	// LayoutRows16: see pack16.go.
	LayoutRows16
)

// rows8Block is the bytes of one block of one row in the types Pack takes.
func rows8Block(t gguf.Type) int {
	switch t {
	case gguf.TypeQ4_0, gguf.TypeIQ4_NL:
		return 18
	case gguf.TypeQ8_0:
		return 34
	case gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1:
		s, _ := legacyShapeOf(t)
		return s.bb
	case gguf.TypeQ6_K:
		return q6KBlock
	case gguf.TypeQ4_K:
		return q4KBlock
	case gguf.TypeQ5_K:
		return q5KBlock
	case gguf.TypeIQ4_XS:
		return iq4xsBlock
	case gguf.TypeIQ3_S:
		return iq3sBytes
	case gguf.TypeIQ3_XXS:
		return iq3xxsBytes
	case gguf.TypeQ2_K:
		return q2KBlockBytes
	case gguf.TypeQ3_K:
		return q3kBytes
	}
	if grid3Reencoded(t) {
		bs, _, _, _ := grid3Source(t)
		return bs
	}
	return 0
}

// rows8Packed is the bytes of one packed block of eight rows: eight source
// blocks, except for Q4_K (see pack_q4k.go).
func rows8Packed(t gguf.Type) int {
	switch t {
	case gguf.TypeQ4_K:
		return q4KPackedBlock
	case gguf.TypeQ5_K:
		return q5KPackedBlock
	case gguf.TypeIQ4_XS, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS:
		return iq4xsPackedBlock8
	case gguf.TypeQ3_K:
		return 8 * q3KPackedRow
	}
	if grid3Reencoded(t) {
		return 8 * q3KPackedRow
	}
	return 8 * rows8Block(t)
}

// PackedSize is the bytes Pack makes of m (0 for a type it does not take).
func PackedSize(m Matrix) int {
	if rows8Block(m.Type) == 0 || m.Rows%8 != 0 || m.Cols%rows8Cols(m.Type) != 0 {
		return 0
	}
	return m.Rows / 8 * (m.Cols / rows8Cols(m.Type)) * rows8Packed(m.Type)
}

// rows8Cols is the values per block (and so the column multiple) of a type
// Pack takes.
func rows8Cols(t gguf.Type) int {
	if t == gguf.TypeQ6_K || t == gguf.TypeQ4_K || t == gguf.TypeQ5_K || xsCodebook(t) != nil || t == gguf.TypeQ2_K || grid3Codebook(t) != nil {
		return QK_K
	}
	return QK8_0
}

// packedSet is a packed layout's kernels for one type: one, two, four and
// eight tokens at a time (nil where there is none).
type packedSet struct {
	x1         func(w []byte, a *Q8, blk0, nb int, out []float32)
	x2, x4, x8 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
}

// rows8Kernels are the active LayoutRows8 kernels for weights of type t.
func rows8Kernels(t gguf.Type) packedSet {
	switch t {
	case gguf.TypeQ4_0:
		return packedSet{active.q4_0x8x1, active.q4_0x8x2, active.q4_0x8x4, active.q4_0x8x8}
	case gguf.TypeQ8_0:
		return packedSet{active.q8_0x8x1, active.q8_0x8x2, active.q8_0x8x4, active.q8_0x8x8}
	case gguf.TypeIQ4_NL:
		return packedSet{active.iq4_nlx8x1, active.iq4_nlx8x2, active.iq4_nlx8x4, active.iq4_nlx8x8}
	case gguf.TypeQ5_0:
		return packedSet{active.q5_0x8x1, active.q5_0x8x2, active.q5_0x8x4, active.q5_0x8x8}
	case gguf.TypeQ4_1:
		return packedSet{active.q4_1x8x1, active.q4_1x8x2, active.q4_1x8x4, active.q4_1x8x8}
	case gguf.TypeQ5_1:
		return packedSet{active.q5_1x8x1, active.q5_1x8x2, active.q5_1x8x4, active.q5_1x8x8}
	case gguf.TypeQ6_K:
		return packedSet{active.q6_Kx8x1, active.q6_Kx8x2, active.q6_Kx8x4, active.q6_Kx8x8}
	case gguf.TypeQ4_K:
		return packedSet{active.q4_Kx8x1, active.q4_Kx8x2, active.q4_Kx8x4, active.q4_Kx8x8}
	case gguf.TypeQ5_K:
		return packedSet{active.q5_Kx8x1, active.q5_Kx8x2, active.q5_Kx8x4, active.q5_Kx8x8}
	}
	return active.typed8[t]
}

// CanPack reports whether Pack would repack m on this CPU: a type with a
// packed layout, whole groups of eight rows, and kernels for the layout
// PackLayout gives it.
func CanPack(m Matrix) bool {
	return m.Layout == LayoutRows && rows8Block(m.Type) > 0 && m.Rows%8 == 0 && m.Rows > 0 && m.Cols%rows8Cols(m.Type) == 0 &&
		packedKernels(m.Type, PackLayout(m)).x1 != nil
}

// Pack copies a Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, Q5_0, Q4_1, Q5_1,
// IQ4_XS, Q2_K or Q3_K matrix into LayoutRows8 (or re-encodes a grid type's
// into IQ4_XS's or Q3_K's: pack_iq3.go, pack_grid3.go), which the VNNI
// kernels multiply with each int32 lane holding one row: eight rows per
// instruction, no per-row unpacking and no horizontal sums. llama.cpp
// repacks Q4_0 on x86 at load time in the same spirit (with its own
// interleave). The result is a new allocation; m is only read.
func Pack(m Matrix) (Matrix, error) {
	bb := rows8Block(m.Type)
	if bb == 0 || m.Layout != LayoutRows {
		return Matrix{}, fmt.Errorf("kernels: pack: want a Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, Q5_0, Q4_1, Q5_1, IQ4_XS, Q2_K or Q3_K matrix in row layout, have %v", m.Type)
	}
	if m.Rows%8 != 0 || m.Cols%rows8Cols(m.Type) != 0 || m.Rows <= 0 {
		return Matrix{}, fmt.Errorf("kernels: pack: %dx%d %v matrix is not whole groups of 8 rows and 32 columns", m.Rows, m.Cols, m.Type)
	}
	nb := m.Cols / rows8Cols(m.Type)
	rb := nb * bb
	if len(m.Data) < m.Rows*rb {
		return Matrix{}, fmt.Errorf("kernels: pack: %dx%d %v matrix needs %d bytes, has %d", m.Rows, m.Cols, m.Type, m.Rows*rb, len(m.Data))
	}
	out := make([]byte, PackedSize(m))
	packGroups(out, m, 0, m.Rows/8)
	return Matrix{Type: m.Type, Rows: m.Rows, Cols: m.Cols, Data: out, Layout: PackLayout(m)}, nil
}

// PackGroups is Pack for the eight-row groups [g0, g1) of m only, into
// dst (a whole packed matrix's bytes, len(m.Data) at least), so that a
// caller can pack a large matrix piece by piece and let go of each piece
// of the source as it goes. The result has layout PackLayout(m).
func PackGroups(dst []byte, m Matrix, g0, g1 int) error {
	bb := rows8Block(m.Type)
	switch {
	case bb == 0 || m.Layout != LayoutRows || m.Rows%8 != 0 || m.Cols%rows8Cols(m.Type) != 0:
		return fmt.Errorf("kernels: pack: cannot pack a %dx%d %v matrix", m.Rows, m.Cols, m.Type)
	case g0 < 0 || g1 > m.Rows/8 || g0 > g1:
		return fmt.Errorf("kernels: pack: groups [%d, %d) of %d", g0, g1, m.Rows/8)
	case len(m.Data) < m.Rows*m.Cols/rows8Cols(m.Type)*bb:
		return fmt.Errorf("kernels: pack: %dx%d %v matrix needs %d bytes", m.Rows, m.Cols, m.Type, m.Rows*m.Cols/rows8Cols(m.Type)*bb)
	case len(dst) < PackedSize(m):
		return fmt.Errorf("kernels: pack: %dx%d %v matrix packs into %d bytes, have %d", m.Rows, m.Cols, m.Type, PackedSize(m), len(dst))
	}
	packGroups(dst, m, g0, g1)
	return nil
}

func packGroups(dst []byte, m Matrix, g0, g1 int) {
	if PackLayout(m) == LayoutRows16 {
		packRows16Groups(dst, m, g0, g1)
		return
	}
	packRows8Groups(dst, m, g0, g1)
}

// packRows8Groups writes eight-row groups [g0, g1) of m into dst in
// LayoutRows8.
func packRows8Groups(dst []byte, m Matrix, g0, g1 int) { packGroupsAs(dst, m, g0, g1, 8) }

// packGroupsAs writes eight-row groups [g0, g1) of m into dst in groups of
// per (8 or 16) rows, in its type's layout.
func packGroupsAs(dst []byte, m Matrix, g0, g1, per int) {
	switch m.Type {
	case gguf.TypeQ6_K:
		packQ6KGroupsAs(dst, m, g0, g1, per)
	case gguf.TypeQ4_K, gguf.TypeQ5_K:
		packQ4KGroupsAs(dst, m, g0, g1, per)
	case gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1:
		packLegacyGroups(dst, m, g0, g1, per)
	case gguf.TypeIQ4_XS:
		packIQ4XSGroups(dst, m, g0, g1, per)
	case gguf.TypeIQ3_S, gguf.TypeIQ3_XXS:
		packIQ3Groups(dst, m, g0, g1, per)
	case gguf.TypeQ2_K:
		packQ2KGroups(dst, m, g0, g1, per)
	case gguf.TypeQ3_K:
		packQ3KGroups(dst, m, g0, g1, per)
	case gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M:
		packGrid3Groups(dst, m, g0, g1, per)
	default:
		packChunkGroups(dst, m, g0, g1, per)
	}
}

// packChunkGroups writes eight-row groups [g0, g1) of the Q4_0, IQ4_NL or Q8_0
// matrix m into dst in groups of per (8 or 16) rows: per block, the rows'
// f16 scales (2*per bytes), then chunk k (4*per bytes) holding bytes
// 4k..4k+3 of each row's quants. Eight-row group g is lanes 8*(g%2).. of
// group g/2 when per is 16.
func packChunkGroups(dst []byte, m Matrix, g0, g1, per int) {
	bb := rows8Block(m.Type)
	nb := m.Cols / QK8_0
	rb := nb * bb
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*per*bb:][:per*bb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*bb:][:bb]
				blk[2*lane], blk[2*lane+1] = src[0], src[1]
				for k := 0; k < (bb-2)/4; k++ {
					copy(blk[2*per+4*per*k+4*lane:][:4], src[2+4*k:][:4])
				}
			}
		}
	}
}

// refPacked is the reference packed kernel for weights of type t in
// groups of per (8 or 16) rows: rows [per*g, per*g+per) of w times token
// blocks starting at blk0 of a, into out[0:per].
func refPacked(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	switch t {
	case gguf.TypeQ6_K:
		refGemmQ6K(w, per, g, nb, a, blk0, out)
	case gguf.TypeQ4_K, gguf.TypeQ5_K:
		refGemmQ4K(w, t == gguf.TypeQ5_K, per, g, nb, a, blk0, out)
	case gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1:
		refGemmLegacy(w, t, per, g, nb, a, blk0, out)
	case gguf.TypeIQ4_XS, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS:
		refGemmIQ4XS(w, t, per, g, nb, a, blk0, out)
	case gguf.TypeQ2_K:
		refGemmQ2K(w, per, g, nb, a, blk0, out)
	case gguf.TypeQ3_K, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M:
		refGemmQ3K(w, t, per, g, nb, a, blk0, out)
	default:
		refGemmChunks(w, t, per, g, nb, a, blk0, out)
	}
}

// refGemmChunks is the readable definition of the packed Q4_0, IQ4_NL and
// Q8_0 kernels: rows [per*g, per*g+per) of packed w times token blocks
// starting at blk0 of a, into out[0:per]. Per block, the exact integer
// dot is scaled by the product of the two scales and accumulated in
// float32; the assembly does the last step as one fused multiply-add, so
// the two agree to float rounding, not bit for bit.
func refGemmChunks(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	bb := rows8Block(t)
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*bb:][:per*bb]
			qs := a.Qs[(blk0+b)*QK8_0:][:QK8_0]
			var s int32
			for k := 0; k < (bb-2)/4; k++ {
				for i := 0; i < 4; i++ {
					q := blk[2*per+4*per*k+4*r+i]
					switch t {
					case gguf.TypeQ8_0:
						s += int32(int8(q)) * int32(qs[4*k+i])
						continue
					case gguf.TypeIQ4_NL:
						s += int32(gguf.KValuesIQ4NL[q&0x0f])*int32(qs[4*k+i]) + int32(gguf.KValuesIQ4NL[q>>4])*int32(qs[16+4*k+i])
						continue
					}
					s += (int32(q&0x0f)-8)*int32(qs[4*k+i]) + (int32(q>>4)-8)*int32(qs[16+4*k+i])
				}
			}
			acc += float32(float32(s) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b]))
		}
		out[r] = acc
	}
}

// packedTokTile is how many tokens run over a chunk of packed rows before
// the next: their quantized activations (about 2.3 KB per 2048 columns)
// stay in L2 while the chunk's weights are reused from it.
const packedTokTile = 32

// packedRows is rows for a packed matrix: lo and hi are multiples of its
// group's rows (8 or 16). Eight, four, then two tokens at a time share
// each unpacked weight block (so a small batch streams the weights once
// while all its tokens compute); a last odd token goes alone, all through
// kernels with the same per-token arithmetic.
func (j *job) packedRows(a *Q8, lo, hi int) {
	w := j.w
	per := groupRows(w.Layout)
	nb := w.Cols / rows8Cols(w.Type)
	gb := nb * rows8Packed(w.Type) * per / 8
	k := packedKernels(w.Type, w.Layout)
	for t0 := 0; t0 < j.nTok; t0 += packedTokTile {
		t1 := min(j.nTok, t0+packedTokTile)
		for g := lo / per; g < hi/per; g++ {
			wg := w.Data[g*gb : (g+1)*gb]
			t := t0
			for _, xn := range [...]struct {
				n int
				f func([]byte, *Q8, int, int, []float32, int)
			}{{8, k.x8}, {4, k.x4}, {2, k.x2}} {
				for ; xn.f != nil && t+xn.n <= t1; t += xn.n {
					xn.f(wg, a, t*nb, nb, j.out[t*w.Rows+per*g:], w.Rows)
				}
			}
			for ; t < t1; t++ {
				out := j.out[t*w.Rows+per*g:][:per]
				if k.x1 != nil {
					k.x1(wg, a, t*nb, nb, out)
				} else {
					refPacked(w.Data, w.Type, per, g, nb, a, t*nb, out)
				}
			}
		}
	}
}
