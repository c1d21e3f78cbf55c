package gguf

import "math/bits"

// The IQ grids as float32, weight j of entry i at [i][j]: expanded once
// from the codes in iq_grids.go so that the row functions index a table
// instead of unpacking bits per weight.
var (
	iq2xxsGrid [256][8]float32
	iq2xsGrid  [512][8]float32
	iq2sGrid   [1024][8]float32
	iq3xxsGrid [256][4]float32
	iq3sGrid   [512][4]float32
	iq1sGrid   [2048][8]float32
)

// iqSigns[s] is ggml's ksigns_iq2xs: IQ2_XXS, IQ2_XS and IQ3_XXS store 7
// sign bits per 8 weights and the eighth is whatever makes the count of
// negatives even, because the quantizer only emits even-parity patterns.
var iqSigns [128]uint8

func init() {
	for i := range iqSigns {
		iqSigns[i] = uint8(i) | uint8(bits.OnesCount8(uint8(i))&1)<<7
	}
	expandGrid8(iq2xxsGrid[:], iq2xxsCodes[:], levelsF32(iq2Levels[:]))
	expandGrid8(iq2xsGrid[:], iq2xsCodes[:], levelsF32(iq2Levels[:]))
	expandGrid8(iq2sGrid[:], iq2sCodes[:], levelsF32(iq2Levels[:]))
	expandGrid4(iq3xxsGrid[:], iq3xxsCodes[:], levelsF32(iq3xxsLevels[:]))
	expandGrid4(iq3sGrid[:], iq3sCodes[:], levelsF32(iq3sLevels[:]))
	l1 := make([]float32, len(iq1Levels))
	for i, v := range iq1Levels {
		l1[i] = float32(v)
	}
	expandGrid8(iq1sGrid[:], iq1sCodes[:], l1)
}

func levelsF32(l []uint8) []float32 {
	f := make([]float32, len(l))
	for i, v := range l {
		f[i] = float32(v)
	}
	return f
}

// 8-weight grids use 2 bits a weight, 4-weight grids 3 bits.
func expandGrid8(dst [][8]float32, codes []uint16, levels []float32) {
	for i, c := range codes {
		for j := range 8 {
			dst[i][j] = levels[c>>(2*j)&3]
		}
	}
}

func expandGrid4(dst [][4]float32, codes []uint16, levels []float32) {
	for i, c := range codes {
		for j := range 4 {
			dst[i][j] = levels[c>>(3*j)&7]
		}
	}
}

// Packed grids for IQGridBytes, built at init: entry i's weight j is
// byte j of entry i, as ggml stores them.
var iqPacked = map[Type][]byte{}

func init() {
	pack := func(codes []uint16, width, bits int, level func(c int) byte) []byte {
		b := make([]byte, len(codes)*width)
		for i, c := range codes {
			for j := range width {
				b[i*width+j] = level(int(c) >> (bits * j) & (1<<bits - 1))
			}
		}
		return b
	}
	iq2 := func(c int) byte { return iq2Levels[c] }
	iq1 := pack(iq1sCodes[:], 8, 2, func(c int) byte { return byte(iq1Levels[c]) })
	iqPacked[TypeIQ2_XXS] = pack(iq2xxsCodes[:], 8, 2, iq2)
	iqPacked[TypeIQ2_XS] = pack(iq2xsCodes[:], 8, 2, iq2)
	iqPacked[TypeIQ2_S] = pack(iq2sCodes[:], 8, 2, iq2)
	iqPacked[TypeIQ3_XXS] = pack(iq3xxsCodes[:], 4, 3, func(c int) byte { return iq3xxsLevels[c] })
	iqPacked[TypeIQ3_S] = pack(iq3sCodes[:], 4, 3, func(c int) byte { return iq3sLevels[c] })
	iqPacked[TypeIQ1_S] = iq1
	iqPacked[TypeIQ1_M] = iq1
}

// IQGridBytes returns the grid of an IQ1, IQ2 or IQ3 type as ggml stores
// it: width bytes an entry (8 for IQ1 and IQ2, 4 for IQ3), entry i's
// weight j at byte width*i+j (IQ1's as int8 -1, 0, 1). It is nil for
// other types. Kernels index it directly; callers must not modify it.
func IQGridBytes(t Type) (grid []byte, width int) {
	g := iqPacked[t]
	switch t {
	case TypeIQ3_XXS, TypeIQ3_S:
		return g, 4
	case TypeIQ1_S, TypeIQ1_M, TypeIQ2_XXS, TypeIQ2_XS, TypeIQ2_S:
		return g, 8
	}
	return nil, 0
}

// IQSigns is ggml's ksigns_iq2xs: entry i is the 8 sign bits of a run
// whose stored 7-bit index is i (the eighth bit is the parity).
func IQSigns() *[128]uint8 { return &iqSigns }
