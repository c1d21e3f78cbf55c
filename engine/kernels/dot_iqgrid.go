package kernels

import (
	"encoding/binary"

	"github.com/orcd/orcd/gguf"
)

// Row dots of the grid types IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S,
// IQ3_XXS and IQ3_S against Q8_K activations. Every 32 weights are grid points (8 or 4
// weights an index, gguf.IQGridBytes), each weight with a sign, and one
// or two integer scales. The kernels decode a group to 32 signed bytes,
// multiply them with the activation quants in 8 int32 lanes of 4 weights
// (lanes 0-3 the first 16 weights, 4-7 the last 16, so a per-16 scale is
// a per-lane one), add the scaled lanes over the block, then one FMA per
// block with d = x.d*y.d into 8 float lanes, and finally factor times
// ggml's hsum_float_8. That is the shape of ggml's AVX2 kernels for these
// types, with exact integer products (ggml's sign trick would wrap a -128
// activation quant). These Go definitions are what the assembly is held
// to bit for bit.

var (
	_ = registerExtra(gguf.TypeIQ2_XXS, nil, refDotIQ2_XXS)
	_ = registerExtra(gguf.TypeIQ2_XS, nil, refDotIQ2_XS)
	_ = registerExtra(gguf.TypeIQ2_S, nil, refDotIQ2_S)
	_ = registerExtra(gguf.TypeIQ3_XXS, nil, refDotIQ3_XXS)
	_ = registerExtra(gguf.TypeIQ3_S, nil, refDotIQ3_S)
	_ = registerExtra(gguf.TypeIQ1_S, nil, refDotIQ1_S)
	_ = registerExtra(gguf.TypeIQ1_M, nil, refDotIQ1_M)
)

const (
	iq2xxsBytes = 66
	iq2xsBytes  = 74
	iq2sBytes   = 82
	iq3xxsBytes = 98
	iq3sBytes   = 110
	iq1sBytes   = 50
	iq1mBytes   = 56
)

var (
	gridIQ2XXS, _ = gguf.IQGridBytes(gguf.TypeIQ2_XXS)
	gridIQ2XS, _  = gguf.IQGridBytes(gguf.TypeIQ2_XS)
	gridIQ2S, _   = gguf.IQGridBytes(gguf.TypeIQ2_S)
	gridIQ3XXS, _ = gguf.IQGridBytes(gguf.TypeIQ3_XXS)
	gridIQ3S, _   = gguf.IQGridBytes(gguf.TypeIQ3_S)
	gridIQ1S, _   = gguf.IQGridBytes(gguf.TypeIQ1_S) // IQ1_M's too
)

// signBytes[s] is 8 bytes, byte j -1 (0xff) where bit j of s is set and
// +1 otherwise: what vpsignb takes to negate those weights.
// keptSigns[i] is signBytes of ggml's ksigns_iq2xs[i], for the types that
// store 7 sign bits and leave the eighth to parity.
var signBytes, keptSigns = func() (s [256]uint64, k [128]uint64) {
	for v := range s {
		for j := range 8 {
			b := uint64(0x01)
			if v>>j&1 != 0 {
				b = 0xff
			}
			s[v] |= b << (8 * j)
		}
	}
	for i, v := range gguf.IQSigns() {
		k[i] = s[v]
	}
	return
}()

// iqGroup is one decoded group of 32 weights: signed grid values and the
// scale of each half.
type iqGroup struct {
	g        [32]int8
	ls0, ls1 int32
	// ix, where set, makes the group's runs write each weight's codebook
	// index into u instead of its value into g: Pack's re-encoding
	// (pack_iq3.go, pack_grid3.go), eight weights a word.
	ix *gridIndices
	u  [32]byte
}

// gridIndices is a grid's entries as codebook indices: run[i] holds entry
// i's weights' indices without sign, one byte each (a 4-wide entry in the
// low half), and a negative weight's index is that or 0x80>>neg (its sign
// byte's top bit, shifted). For IQ1, run is the entries with delta +1 and
// runM with delta -1.
type gridIndices struct {
	run, runM []uint64
	neg       int
}

// indicesOf is the grid's entries (width bytes each) as indices: index[v]
// of each weight's value v, as val gives it.
func indicesOf(grid []byte, width int, val func(b byte) int8, index *[256]byte) []uint64 {
	run := make([]uint64, len(grid)/width)
	for i := range run {
		for j := range width {
			run[i] |= uint64(index[uint8(val(grid[width*i+j]))]) << (8 * j)
		}
	}
	return run
}

const signTops = 0x8080808080808080 // the sign bytes' top bits

// put8 writes 8 grid bytes (entry idx of an 8-wide grid) with signs s
// (a signBytes word) at g[off:].
func (q *iqGroup) put8(grid []byte, idx int, s uint64, off int) {
	if q.ix != nil {
		binary.LittleEndian.PutUint64(q.u[off:], q.ix.run[idx]|s&signTops>>q.ix.neg)
		return
	}
	e := grid[8*idx:][:8]
	for j := range 8 {
		q.g[off+j] = int8(e[j]) * int8(s>>(8*j)) // the sign byte is 1 or -1: no branch
	}
}

// put4x2 writes two 4-wide grid entries with one sign word at g[off:].
func (q *iqGroup) put4x2(grid []byte, i0, i1 int, s uint64, off int) {
	if q.ix != nil {
		binary.LittleEndian.PutUint64(q.u[off:], q.ix.run[i0]|q.ix.run[i1]<<32|s&signTops>>q.ix.neg)
		return
	}
	e0, e1 := grid[4*i0:][:4], grid[4*i1:][:4]
	for j := range 4 {
		q.g[off+j] = int8(e0[j]) * int8(s>>(8*j))
		q.g[off+4+j] = int8(e1[j]) * int8(s>>(8*(j+4)))
	}
}

func iq2xxsGroup(blk []byte, ib int, q *iqGroup) {
	aux := le32(blk[6+8*ib:])
	for l := range 4 {
		q.put8(gridIQ2XXS, int(blk[2+8*ib+l]), keptSigns[aux>>(7*l)&127], 8*l)
	}
	q.ls0 = int32(2*(aux>>28) + 1)
	q.ls1 = q.ls0
}

func iq2xsGroup(blk []byte, ib int, q *iqGroup) {
	for l := range 4 {
		v := le16(blk[2+8*ib+2*l:])
		q.put8(gridIQ2XS, int(v&511), keptSigns[v>>9], 8*l)
	}
	sc := blk[66+ib]
	q.ls0, q.ls1 = int32(2*(sc&0xf)+1), int32(2*(sc>>4)+1)
}

func iq2sGroup(blk []byte, ib int, q *iqGroup) {
	qh := int(blk[66+ib])
	for l := range 4 {
		idx := int(blk[2+4*ib+l]) | qh<<(8-2*l)&0x300
		q.put8(gridIQ2S, idx, signBytes[blk[34+4*ib+l]], 8*l)
	}
	sc := blk[74+ib]
	q.ls0, q.ls1 = int32(2*(sc&0xf)+1), int32(2*(sc>>4)+1)
}

func iq3xxsGroup(blk []byte, ib int, q *iqGroup) {
	aux := le32(blk[66+4*ib:])
	for l := range 4 {
		q.put4x2(gridIQ3XXS, int(blk[2+8*ib+2*l]), int(blk[2+8*ib+2*l+1]), keptSigns[aux>>(7*l)&127], 8*l)
	}
	q.ls0 = int32(2*(aux>>28) + 1)
	q.ls1 = q.ls0
}

func iq3sGroup(blk []byte, ib int, q *iqGroup) {
	qh := int(blk[66+ib])
	for l := range 4 {
		i0 := int(blk[2+8*ib+2*l]) | qh<<(8-2*l)&256
		i1 := int(blk[2+8*ib+2*l+1]) | qh<<(7-2*l)&256
		q.put4x2(gridIQ3S, i0, i1, signBytes[blk[74+4*ib+l]], 8*l)
	}
	q.ls0 = int32(1 + 2*(blk[106+ib/2]>>(4*(ib%2))&0xf))
	q.ls1 = q.ls0
}

// The IQ1 grids hold -1, 0 and 1, and each run of 8 (IQ1_M) or 32 (IQ1_S)
// weights adds a delta of ±1/8: a weight is (8g ± 1)/8, so the kernels
// take the integers 8g ± 1 (at most 9 in magnitude) as the group's values
// and 1/8 as the factor. That folds ggml's separate delta term (the
// activations' block sums) into the same integer lanes.

// put8IQ1 writes entry idx of the IQ1 grid as 8g+delta at g[off:].
func (q *iqGroup) put8IQ1(idx int, delta int8, off int) {
	if q.ix != nil {
		run := q.ix.run
		if delta < 0 {
			run = q.ix.runM
		}
		binary.LittleEndian.PutUint64(q.u[off:], run[idx])
		return
	}
	for j := range 8 {
		q.g[off+j] = 8*int8(gridIQ1S[8*idx+j]) + delta
	}
}

func iq1sGroup(blk []byte, ib int, q *iqGroup) {
	qh := int(le16(blk[34+2*ib:]))
	delta := int8(1)
	if qh&0x8000 != 0 {
		delta = -1
	}
	for l := range 4 {
		q.put8IQ1(int(blk[2+4*ib+l])|qh>>(3*l)&7<<8, delta, 8*l)
	}
	q.ls0 = int32(2*(qh>>12&7) + 1)
	q.ls1 = q.ls0
}

func iq1mGroup(blk []byte, ib int, q *iqGroup) {
	for l := range 4 {
		h := int(blk[32+2*ib+l/2] >> (4 * (l % 2)))
		delta := int8(1)
		if h&8 != 0 {
			delta = -1
		}
		q.put8IQ1(int(blk[4*ib+l])|h&7<<8, delta, 8*l)
	}
	sc := int32(le16(blk[48+2*(ib/2):])) >> (6 * (ib % 2))
	q.ls0, q.ls1 = 2*(sc&7)+1, 2*(sc>>3&7)+1
}

// iq1mD is IQ1_M's f16 scale, kept in the top nibbles of its four 16-bit
// block scales.
func iq1mD(blk []byte) float32 { return f16ToF32(iq1mDBits(blk)) }

func f16D(blk []byte) float32 { return f16ToF32(le16(blk)) }

// refDotGrid is the row dot of nb blocks of bs bytes, each group decoded
// by group, the sum times factor (the dequantization's constant: 1/8 for
// IQ2 and IQ1, 1/4 for IQ3_XXS, 1 for IQ3_S).
func refDotGrid(w []byte, a *Q8, blk0, nb, bs int, group func([]byte, int, *iqGroup), factor float32) float32 {
	return refDotGridD(w, a, blk0, nb, bs, group, factor, f16D)
}

// refDotGridD is refDotGrid with the block's scale d read by dOf.
func refDotGridD(w []byte, a *Q8, blk0, nb, bs int, group func([]byte, int, *iqGroup), factor float32, dOf func([]byte) float32) float32 {
	var acc [8]float32
	var q iqGroup
	for b := 0; b < nb; b++ {
		blk := w[b*bs : (b+1)*bs]
		y := a.Qs[(blk0+b)*QK_K : (blk0+b+1)*QK_K]
		var lane [8]int32
		for ib := range 8 {
			group(blk, ib, &q)
			yy := y[32*ib : 32*ib+32]
			for k := range lane {
				ls := q.ls0
				if k >= 4 {
					ls = q.ls1
				}
				var s int32
				for i := 4 * k; i < 4*k+4; i++ {
					s += int32(q.g[i]) * int32(yy[i])
				}
				lane[k] += ls * s
			}
		}
		d := dOf(blk) * a.D[blk0+b]
		for i := range acc {
			acc[i] = fma32(d, float32(lane[i]), acc[i])
		}
	}
	return factor * iq4Hsum(&acc)
}

func refDotIQ2_XXS(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGrid(w, a, blk0, nb, iq2xxsBytes, iq2xxsGroup, 0.125)
}

func refDotIQ2_XS(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGrid(w, a, blk0, nb, iq2xsBytes, iq2xsGroup, 0.125)
}

func refDotIQ2_S(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGrid(w, a, blk0, nb, iq2sBytes, iq2sGroup, 0.125)
}

func refDotIQ3_XXS(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGrid(w, a, blk0, nb, iq3xxsBytes, iq3xxsGroup, 0.25)
}

func refDotIQ3_S(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGrid(w, a, blk0, nb, iq3sBytes, iq3sGroup, 1)
}

func refDotIQ1_S(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGrid(w, a, blk0, nb, iq1sBytes, iq1sGroup, 0.125)
}

func refDotIQ1_M(w []byte, a *Q8, blk0, nb int) float32 {
	return refDotGridD(w, a, blk0, nb, iq1mBytes, iq1mGroup, 0.125, iq1mD)
}
