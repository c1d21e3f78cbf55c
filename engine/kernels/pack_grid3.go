package kernels

import "github.com/orcd/orcd/gguf"

// IQ2_XXS, IQ2_XS, IQ2_S, IQ1_S and IQ1_M re-encoded at load into packed
// Q3_K's layout (pack_q3k.go), exactly, as pack_iq3.go does IQ3 into
// IQ4_XS's.
//
// A weight of these types takes one of six values: a sign times one of
// the IQ2 grids' three levels (8, 25, 43), or for IQ1 the integers 8g±1
// with g in -1, 0, 1 (±1, ±7, ±9; the kernels' 1/8 is the factor). So a
// weight is a 3-bit index into an 8-entry codebook: Q3_K's low and high
// bit planes hold it, and each 16 values have one odd scale 1..31
// (per 32 for IQ2_XXS and IQ1_S, written twice), which fits Q3_K's int8
// scale byte. The packed Q3_K kernels, with one vpshufb more per value
// register, look the index up as value + bias (unsigned for vpdpbusd);
// the lanes start at -bias times the group's quant sum, as Q3_K's start
// at -4 times it.
//
// The cost is memory: 114 bytes a block of 256 against the source's 82
// (IQ2_S, +39%), 74 (IQ2_XS, +54%), 66 (IQ2_XXS, +73%), 56 (IQ1_M, +104%)
// or 50 (IQ1_S, +128%). engine/cpu repacks them only where memory allows.

// grid3Codebook is the signed value of each 3-bit index in packed Q3_K
// layout for t: Q3_K's u-4, or a re-encoded type's levels then their
// negatives (index 3 and 7 unused). Nil for other types.
func grid3Codebook(t gguf.Type) *[8]int8 {
	switch t {
	case gguf.TypeQ3_K:
		return &q3kCodebook
	case gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S:
		return &iq2Codebook
	case gguf.TypeIQ1_S, gguf.TypeIQ1_M:
		return &iq1Codebook
	}
	return nil
}

// grid3Bias is what makes t's codebook unsigned: the kernels look an index
// up as value + bias, and a group's lanes start at -bias times its quant
// sum (makeOff3).
func grid3Bias(t gguf.Type) int32 {
	switch t {
	case gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S:
		return 64 // ±43 -> 21..107
	case gguf.TypeIQ1_S, gguf.TypeIQ1_M:
		return 16 // ±9 -> 7..25
	}
	return 4
}

// grid3Factor is the dequantization's constant beyond d·scale·value: 1/8
// for the IQ2 and IQ1 types (d·(2s+1)/8), 1 for Q3_K.
func grid3Factor(t gguf.Type) float32 {
	if t == gguf.TypeQ3_K {
		return 1
	}
	return 0.125
}

// grid3Types are the types Pack re-encodes into packed Q3_K layout.
var grid3Types = []gguf.Type{gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M}

// grid3Reencoded reports whether Pack re-encodes t into packed Q3_K layout.
func grid3Reencoded(t gguf.Type) bool { return t != gguf.TypeQ3_K && grid3Codebook(t) != nil }

var (
	q3kCodebook = [8]int8{-4, -3, -2, -1, 0, 1, 2, 3}
	iq2Codebook = signedLevels(gguf.TypeIQ2_XXS)
	iq1Codebook = [8]int8{1, 7, 9, 0, -1, -7, -9, 0}
	iq2Index    = codebookIndex(iq2Codebook[:])
	iq1Index    = codebookIndex(iq1Codebook[:])
)

// signedLevels is the three levels of an IQ2 grid, ascending, then their
// negatives (indices 3 and 7 unused).
func signedLevels(t gguf.Type) (cb [8]int8) {
	for i, v := range gridLevels(t, 3) {
		cb[i], cb[4+i] = v, -v
	}
	return cb
}

// grid3Source is t's source block bytes and group decoder (dot_iqgrid.go),
// its grid's entries as codebook indices, and its d.
func grid3Source(t gguf.Type) (bs int, group func([]byte, int, *iqGroup), ix *gridIndices, d func(blk []byte) uint16) {
	f16 := func(blk []byte) uint16 { return le16(blk) }
	switch t {
	case gguf.TypeIQ2_XXS:
		return iq2xxsBytes, iq2xxsGroup, &iq2xxsIx, f16
	case gguf.TypeIQ2_XS:
		return iq2xsBytes, iq2xsGroup, &iq2xsIx, f16
	case gguf.TypeIQ2_S:
		return iq2sBytes, iq2sGroup, &iq2sIx, f16
	case gguf.TypeIQ1_S:
		return iq1sBytes, iq1sGroup, &iq1Ix, f16
	case gguf.TypeIQ1_M:
		return iq1mBytes, iq1mGroup, &iq1Ix, iq1mDBits
	}
	return 0, nil, nil, nil
}

// The grids as 3-bit indices: a negative weight's index is 4 more
// (0x80>>5), IQ1's 8g±1 looked up per delta.
var (
	iq2Pos   = func(b byte) int8 { return int8(b) }
	iq2xxsIx = gridIndices{run: indicesOf(gridIQ2XXS, 8, iq2Pos, &iq2Index), neg: 5}
	iq2xsIx  = gridIndices{run: indicesOf(gridIQ2XS, 8, iq2Pos, &iq2Index), neg: 5}
	iq2sIx   = gridIndices{run: indicesOf(gridIQ2S, 8, iq2Pos, &iq2Index), neg: 5}
	iq1Ix    = gridIndices{
		run:  indicesOf(gridIQ1S, 8, func(b byte) int8 { return 8*int8(b) + 1 }, &iq1Index),
		runM: indicesOf(gridIQ1S, 8, func(b byte) int8 { return 8*int8(b) - 1 }, &iq1Index),
	}
)

// iq1mDBits is IQ1_M's f16 scale, kept in the top nibbles of its four
// 16-bit block scales.
func iq1mDBits(blk []byte) uint16 {
	var h uint16
	for k := range 4 {
		h |= le16(blk[48+2*k:]) >> 12 << (4 * k)
	}
	return h
}

// packGrid3Groups writes eight-row groups [g0, g1) of m, of a type that
// grid3Reencoded, into dst in packed Q3_K layout, groups of per rows.
func packGrid3Groups(dst []byte, m Matrix, g0, g1, per int) {
	bs, group, ix, dOf := grid3Source(m.Type)
	q := iqGroup{ix: ix}
	packQ3Layout(dst, m, g0, g1, per, bs, func(src []byte, d *[2]byte, sc *[16]int32, u *[QK_K]byte) {
		h := dOf(src)
		d[0], d[1] = byte(h), byte(h>>8)
		for j := range 8 {
			group(src, j, &q)
			sc[2*j], sc[2*j+1] = q.ls0, q.ls1
			copy(u[32*j:][:32], q.u[:])
		}
	})
}
