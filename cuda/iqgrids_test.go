package cuda

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// iqGridHeader renders iq_grids.cuh: ggml's grids (gguf.IQGridBytes) as C
// initializers, so that the kernels and kernel_check's CPU references use
// the tables gguf itself was checked against (gguf's TestGGMLVectors).
// IQ1's entries are stored as g+1 (bytes 0, 1, 2) instead of int8 -1, 0,
// 1: the kernels then make 8g±1 per byte with no borrow (quant_iq.cuh).
func iqGridHeader() []byte {
	var b bytes.Buffer
	b.WriteString("// iq_grids.cuh: ggml's IQ1, IQ2 and IQ3 grids as C initializers, entry i's\n" +
		"// byte j its weight j (IQ1's as g+1: 0, 1, 2). Generated from gguf.IQGridBytes\n" +
		"// by TestIQGridHeader (cuda/iqgrids_test.go); ORCD_UPDATE=1 rewrites it.\n" +
		"#pragma once\n")
	tables := []struct {
		name string
		t    gguf.Type
	}{
		{"IQ2XXS", gguf.TypeIQ2_XXS}, {"IQ2XS", gguf.TypeIQ2_XS}, {"IQ2S", gguf.TypeIQ2_S},
		{"IQ3XXS", gguf.TypeIQ3_XXS}, {"IQ3S", gguf.TypeIQ3_S}, {"IQ1S", gguf.TypeIQ1_S},
	}
	for _, tb := range tables {
		grid, width := gguf.IQGridBytes(tb.t)
		n := len(grid) / width
		fmt.Fprintf(&b, "\n#define ORCD_%s_N %d\n#define ORCD_%s_GRID { \\\n", tb.name, n, tb.name)
		for i := 0; i < n; i++ {
			e := append([]byte(nil), grid[i*width:(i+1)*width]...)
			if tb.t == gguf.TypeIQ1_S {
				for j := range e {
					e[j]++ // -1, 0, 1 -> 0, 1, 2
				}
			}
			if i%4 == 0 {
				b.WriteString("\t")
			}
			if width == 8 {
				fmt.Fprintf(&b, "0x%016xull,", binary.LittleEndian.Uint64(e))
			} else {
				fmt.Fprintf(&b, "0x%08xu,", binary.LittleEndian.Uint32(e))
			}
			if i%4 == 3 || i == n-1 {
				b.WriteString(" \\\n")
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// TestIQGridHeader: iq_grids.cuh is what gguf's grids render to.
func TestIQGridHeader(t *testing.T) {
	want := iqGridHeader()
	if os.Getenv("ORCD_UPDATE") == "1" {
		if err := os.WriteFile("iq_grids.cuh", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("iq_grids.cuh")
	if err != nil {
		t.Fatalf("%v (ORCD_UPDATE=1 go test ./cuda -run TestIQGridHeader writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("cuda/iq_grids.cuh differs from gguf's grids: ORCD_UPDATE=1 go test ./cuda -run TestIQGridHeader rewrites it")
	}
}
