package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// chunkLanes is the packed Q4_0, Q8_0 and IQ4_NL kernels' arithmetic for one
// row (each row one int32 lane): per block the exact integer dot s, then
// acc = fma(s, f16(d_w)·d_a, acc) with one rounding. refGemmChunks adds
// unfused; this is what the assembly does on both architectures.
func chunkLanes(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	one := make([]float32, 1)
	bb := rows8Block(t)
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*bb:][:per*bb]
			// The block's integer dot: refGemmChunks over this block
			// alone with both scales 1.
			tmp := make([]byte, per*bb)
			copy(tmp, blk)
			for i := 0; i < per; i++ {
				tmp[2*i], tmp[2*i+1] = 0x00, 0x3c // f16 1.0
			}
			ad := a.D[blk0+b]
			a.D[blk0+b] = 1
			refGemmChunksRow(tmp, t, per, r, a, blk0+b, one)
			a.D[blk0+b] = ad
			acc = fma32(one[0], f16ToF32(le16(blk[2*r:]))*ad, acc)
		}
		out[r] = acc
	}
}

// refGemmChunksRow is refGemmChunks for row r of one packed block.
func refGemmChunksRow(blk []byte, t gguf.Type, per, r int, a *Q8, blk0 int, out []float32) {
	all := make([]float32, per)
	refGemmChunks(blk, t, per, 0, 1, a, blk0, all)
	out[0] = all[r]
}

// TestPackedChunkLanes holds the packed Q4_0 and Q8_0 kernels (one, two,
// four and eight tokens, as MatMul runs them) to chunkLanes bit for bit,
// so that amd64 and arm64 give the same bits.
func TestPackedChunkLanes(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			continue
		}
		t.Run(isa, func(t *testing.T) {
			testPackedLanes(t, []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeIQ4_NL}, chunkLanes)
		})
	}
}

// testPackedLanes runs every packed kernel of the types against model,
// token by token.
func testPackedLanes(t *testing.T, types []gguf.Type, model func(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32)) {
	r := rand.New(rand.NewPCG(81, 82))
	for _, typ := range types {
		m := randMatrix(t, r, typ, 32, 2*QK_K)
		if !CanPack(m) {
			t.Logf("%v: not packed on this CPU (kernels %q)", typ, Impl())
			continue
		}
		pw, err := Pack(m)
		if err != nil {
			t.Fatal(err)
		}
		per, nb := groupRows(pw.Layout), m.Cols/rows8Cols(typ)
		gb := nb * rows8Packed(typ) * per / 8
		k := packedKernels(typ, pw.Layout)
		const nTok = 8
		var a Q8
		quantizeForPacked(t, &a, pw, randVec(r, nTok*m.Cols), nTok)
		want := make([]float32, per)
		got := make([]float32, nTok*m.Rows)
		for g := 0; g < m.Rows/per; g++ {
			wg := pw.Data[g*gb:][:gb]
			for _, x := range []struct {
				n int
				f func([]byte, *Q8, int, int, []float32, int)
			}{{1, func(w []byte, a *Q8, blk0, nb int, out []float32, _ int) { k.x1(w, a, blk0, nb, out) }}, {2, k.x2}, {4, k.x4}, {8, k.x8}} {
				if x.f == nil {
					continue
				}
				x.f(wg, &a, 0, nb, got, m.Rows)
				for tok := 0; tok < x.n; tok++ {
					model(wg, typ, per, 0, nb, &a, tok*nb, want)
					bitsEqual(t, fmt.Sprintf("%v %d-token kernel, group %d token %d", typ, x.n, g, tok), got[tok*m.Rows:][:per], want)
				}
			}
		}
	}
}

// kLanes is the packed Q4_K, Q5_K and Q6_K kernels' arithmetic for one
// row: per block the exact integer totals of refGemmQ4K and refGemmQ6K,
// then acc = fma(sumi, f16(d)·d_a, acc) and, for the mins of Q4_K and
// Q5_K, acc = fma(-summ, f16(dmin)·d_a, acc), one rounding each.
func kLanes(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			da := a.D[blk0+b]
			switch t {
			case gguf.TypeQ6_K:
				blk := w[(g*nb+b)*per*q6KBlock:][:per*q6KBlock]
				total := q6KPackedTotal(blk, per, r, a.Qs[(blk0+b)*QK_K:][:QK_K])
				acc = fma32(float32(total), f16ToF32(le16(blk[2*r:]))*da, acc)
			default:
				pb := q4KPackedBlock * per / 8
				if t == gguf.TypeQ5_K {
					pb = q5KPackedBlock * per / 8
				}
				blk := w[(g*nb+b)*pb:][:pb]
				sumi, summ := q4KPackedTotals(blk, t == gguf.TypeQ5_K, per, r, a.Qs[(blk0+b)*QK_K:][:QK_K], a.BSums[(blk0+b)*16:][:16])
				acc = fma32(float32(sumi), f16ToF32(le16(blk[2*r:]))*da, acc)
				acc = fma32(-float32(summ), f16ToF32(le16(blk[2*per+2*r:]))*da, acc)
			}
		}
		out[r] = acc
	}
}

// xsLanes is the packed IQ4_XS layout's kernels' arithmetic (IQ4_XS, and
// IQ3_S and IQ3_XXS re-encoded into it): per block acc = fma(total,
// f16(d)·d_a, acc), then the row's result acc times the type's factor.
func xsLanes(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	pb := 138 * per
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			sumi := xsPackedTotal(blk, xsCodebook(t), per, r, a.Qs[(blk0+b)*QK_K:][:QK_K])
			acc = fma32(float32(sumi), f16ToF32(le16(blk[2*r:]))*a.D[blk0+b], acc)
		}
		out[r] = acc * xsFactor(t)
	}
}

// q3Lanes is the packed Q3_K layout's kernels' arithmetic (Q3_K, and the
// IQ2 and IQ1 types re-encoded into it), as xsLanes.
func q3Lanes(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	pb := q3KPackedRow * per
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*pb:][:pb]
			sumi := q3PackedTotal(blk, grid3Codebook(t), per, r, a.Qs[(blk0+b)*QK_K:][:QK_K])
			acc = fma32(float32(sumi), f16ToF32(le16(blk[2*r:]))*a.D[blk0+b], acc)
		}
		out[r] = acc * grid3Factor(t)
	}
}

// TestPackedQ3Lanes holds the packed Q3_K, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S
// and IQ1_M kernels to q3Lanes bit for bit, on this CPU's kernels and on
// the AVX2 ones.
func TestPackedQ3Lanes(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			continue
		}
		t.Run(isa, func(t *testing.T) {
			testPackedLanes(t, []gguf.Type{gguf.TypeQ3_K, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M}, q3Lanes)
		})
	}
}

// legacyLanes is the packed Q5_0, Q4_1 and Q5_1 kernels' arithmetic: per
// block acc = fma(dot, f16(d)·d_a, acc), then for Q4_1 and Q5_1 acc =
// fma(f16(m), s_y, acc), one rounding each.
func legacyLanes(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	s, _ := legacyShapeOf(t)
	mins, _, _ := s.offsets(per)
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*s.bb:][:per*s.bb]
			dot, sum := legacyPackedDot(blk, t, per, r, a, blk0+b)
			acc = fma32(float32(dot), f16ToF32(le16(blk[2*r:]))*a.D[blk0+b], acc)
			if s.min {
				acc = fma32(f16ToF32(le16(blk[mins+2*r:])), q8_1SumOf(sum, a.D[blk0+b]), acc)
			}
		}
		out[r] = acc
	}
}

// TestPackedLegacyLanes holds the packed Q5_0, Q4_1 and Q5_1 kernels to
// legacyLanes bit for bit, on this CPU's kernels and on the AVX2 ones.
func TestPackedLegacyLanes(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			continue
		}
		t.Run(isa, func(t *testing.T) {
			testPackedLanes(t, []gguf.Type{gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1}, legacyLanes)
		})
	}
}

// TestPackedXSLanes holds the packed IQ4_XS, IQ3_S and IQ3_XXS kernels to
// xsLanes bit for bit, on this CPU's kernels and on the AVX2 ones.
func TestPackedXSLanes(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			continue
		}
		t.Run(isa, func(t *testing.T) {
			testPackedLanes(t, []gguf.Type{gguf.TypeIQ4_XS, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS}, xsLanes)
		})
	}
}

// TestPackedKLanes holds the packed Q4_K, Q5_K and Q6_K kernels (one, two,
// four and eight tokens) to kLanes bit for bit, on this CPU's kernels and
// on the AVX2 ones.
func TestPackedKLanes(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			continue
		}
		t.Run(isa, func(t *testing.T) {
			testPackedLanes(t, []gguf.Type{gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K}, kLanes)
		})
	}
}

// quantizeForPacked quantizes nTok tokens of x as MatMul does for the
// packed matrix w: the blocks, and the Corr, Off and S1 its kernels read.
func quantizeForPacked(t *testing.T, a *Q8, w Matrix, x []float32, nTok int) {
	t.Helper()
	a.resize(nTok*w.Cols, actBlock(w.Type))
	a.Corr = grow(a.Corr, nTok*w.Cols/4)
	a.Off = grow(a.Off, nTok*w.Cols/valuesPerOff(w))
	a.S1 = grow(a.S1, nTok*w.Cols/QK8_0)
	j := job{w: w, x: x, nTok: nTok}
	j.quantizeBlocks(a, 0, nTok*w.Cols/a.Block)
}
