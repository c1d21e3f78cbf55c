package gguf

import "testing"

// TestIQGridBytes: the packed grids the kernels read hold the same points
// as the float grids the dequantizers (checked against ggml) read.
func TestIQGridBytes(t *testing.T) {
	check := func(typ Type, n int, at func(i, j int) float32) {
		g, w := IQGridBytes(typ)
		if len(g) != n*w {
			t.Fatalf("%v: %d bytes, want %d entries of %d", typ, len(g), n, w)
		}
		for i := range n {
			for j := range w {
				v := float32(g[i*w+j])
				if typ == TypeIQ1_S || typ == TypeIQ1_M {
					v = float32(int8(g[i*w+j]))
				}
				if v != at(i, j) {
					t.Fatalf("%v entry %d weight %d: %v, the float grid has %v", typ, i, j, v, at(i, j))
				}
			}
		}
	}
	check(TypeIQ2_XXS, 256, func(i, j int) float32 { return iq2xxsGrid[i][j] })
	check(TypeIQ2_XS, 512, func(i, j int) float32 { return iq2xsGrid[i][j] })
	check(TypeIQ2_S, 1024, func(i, j int) float32 { return iq2sGrid[i][j] })
	check(TypeIQ3_XXS, 256, func(i, j int) float32 { return iq3xxsGrid[i][j] })
	check(TypeIQ3_S, 512, func(i, j int) float32 { return iq3sGrid[i][j] })
	check(TypeIQ1_S, 2048, func(i, j int) float32 { return iq1sGrid[i][j] })
	check(TypeIQ1_M, 2048, func(i, j int) float32 { return iq1sGrid[i][j] })
	if g, w := IQGridBytes(TypeQ4_K); g != nil || w != 0 {
		t.Error("Q4_K has a grid")
	}
}
