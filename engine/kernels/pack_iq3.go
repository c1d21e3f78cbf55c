package kernels

import (
	"slices"

	"github.com/orcd/orcd/gguf"
)

// IQ3_S and IQ3_XXS re-encoded at load into packed IQ4_XS's layout
// (pack_iq4xs.go), exactly.
//
// Their row dots are bound by the grid: every 4 weights cost a scalar
// index decode and a dependent table load, so decode ran at llama.cpp's
// speed and no faster. But each weight is only one of 16 values: a sign
// times one of the grid's 8 levels (IQ3_S 1, 3, ..., 15; IQ3_XXS 4, 12,
// ..., 62). So a weight is a nibble into a 16-entry codebook, exactly as
// IQ4_XS's, and each 32-weight sub-block has one odd integer scale
// 1..31 (IQ3_S 1+2s, IQ3_XXS 2s+1), which fits IQ4_XS's int8 scale byte.
// The packed IQ4_XS kernels then run them with the type's own codebook
// in place of IQ4_NL's, and IQ3_XXS's constant 1/4 is one exact float
// multiply of the results (xsFactor).
//
// The cost is memory: 138 bytes a block of 256 against the source's 110
// (IQ3_S, +25%) or 98 (IQ3_XXS, +41%). What it buys is IQ4_XS's speed,
// about 3x the grid kernels' on a decode step.

// xsCodebook is the signed codebook of a type in packed IQ4_XS layout
// (nil for other types): nibble i is value cb[i].
func xsCodebook(t gguf.Type) *[16]int8 {
	switch t {
	case gguf.TypeIQ4_XS:
		return &iq4xsCodebook
	case gguf.TypeIQ3_S:
		return &iq3sCodebook
	case gguf.TypeIQ3_XXS:
		return &iq3xxsCodebook
	}
	return nil
}

// xsFactor is the constant the dequantization multiplies a packed IQ4_XS
// layout's d·scale·value by: 1/4 for IQ3_XXS (d·(0.5+s)·0.5), 1 otherwise.
func xsFactor(t gguf.Type) float32 {
	if t == gguf.TypeIQ3_XXS {
		return 0.25
	}
	return 1
}

var (
	iq4xsCodebook  = [16]int8(gguf.KValuesIQ4NL[:])
	iq3sCodebook   = gridCodebook(gguf.TypeIQ3_S)
	iq3xxsCodebook = gridCodebook(gguf.TypeIQ3_XXS)
	// xsNibble[t][uint8(v)] is the nibble of value v in t's codebook.
	iq3sNibble   = codebookIndex(iq3sCodebook[:])
	iq3xxsNibble = codebookIndex(iq3xxsCodebook[:])
)

// gridCodebook is the 8 levels of t's grid, ascending, then their
// negatives.
func gridCodebook(t gguf.Type) (cb [16]int8) {
	for i, v := range gridLevels(t, 8) {
		cb[i], cb[8+i] = v, -v
	}
	return cb
}

// gridLevels is the distinct values of t's grid, ascending; there must be
// n of them.
func gridLevels(t gguf.Type, n int) []int8 {
	grid, _ := gguf.IQGridBytes(t)
	var levels []int8
	for _, b := range grid {
		if !slices.Contains(levels, int8(b)) {
			levels = append(levels, int8(b))
		}
	}
	if len(levels) != n {
		panic("kernels: an IQ grid with other levels than expected") // a bad table in gguf, caught by any test
	}
	slices.Sort(levels)
	return levels
}

// codebookIndex maps each nonzero value of cb (as a byte) to its index.
func codebookIndex(cb []int8) (n [256]byte) {
	for i, v := range cb {
		if v != 0 {
			n[uint8(v)] = byte(i)
		}
	}
	return n
}

// xsSource is the source block decoder of a type re-encoded into packed
// IQ4_XS layout: block bytes, the group decoder of dot_iqgrid.go, and the
// grid's entries as nibbles.
func xsSource(t gguf.Type) (bs int, group func([]byte, int, *iqGroup), ix *gridIndices) {
	switch t {
	case gguf.TypeIQ3_S:
		return iq3sBytes, iq3sGroup, &iq3sIx
	case gguf.TypeIQ3_XXS:
		return iq3xxsBytes, iq3xxsGroup, &iq3xxsIx
	}
	return 0, nil, nil
}

// The IQ3 grids as nibbles: a negative weight's is 8 more (0x80>>4).
var (
	iq3sIx   = gridIndices{run: indicesOf(gridIQ3S, 4, func(b byte) int8 { return int8(b) }, &iq3sNibble), neg: 4}
	iq3xxsIx = gridIndices{run: indicesOf(gridIQ3XXS, 4, func(b byte) int8 { return int8(b) }, &iq3xxsNibble), neg: 4}
)

// packIQ3Groups writes eight-row groups [g0, g1) of the IQ3_S or IQ3_XXS
// matrix m into dst in packed IQ4_XS layout, groups of per rows: d as it
// is, each sub-block's odd scale as the int8, and each weight's nibble in
// the type's codebook where IQ4_XS has its own.
func packIQ3Groups(dst []byte, m Matrix, g0, g1, per int) {
	bs, group, ix := xsSource(m.Type)
	nb := m.Cols / QK_K
	rb := nb * bs
	pb := 138 * per
	q := iqGroup{ix: ix}
	for g := g0; g < g1; g++ {
		for b := 0; b < nb; b++ {
			blk := dst[(g*8/per*nb+b)*pb:][:pb]
			for r := 0; r < 8; r++ {
				lane := g*8%per + r
				src := m.Data[(g*8+r)*rb+b*bs:][:bs]
				copy(blk[2*lane:][:2], src[0:2])
				for j := 0; j < 8; j++ {
					group(src, j, &q)
					blk[2*per+per*j+lane] = byte(q.ls0) // 1..31; IQ3 types have one scale per 32
					for k := 0; k < 4; k++ {
						for i := 0; i < 4; i++ {
							blk[10*per+16*per*j+4*per*k+4*lane+i] = q.u[4*k+i] | q.u[16+4*k+i]<<4
						}
					}
				}
			}
		}
	}
}
