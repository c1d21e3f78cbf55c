package kernels

import (
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestExtraRegistered checks that every extra type has its Go definition,
// and its assembly (row dot and four-token kernel) wherever the CPU runs
// the fast kernels, so that a file
// dropped from the build does not silently send a type back to the float
// reference.
func TestExtraRegistered(t *testing.T) {
	defer UseReference(false)
	for _, typ := range []gguf.Type{gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ5_K, gguf.TypeQ4_1, gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeIQ4_NL, gguf.TypeIQ4_XS} {
		if refExtra[typ] == nil {
			t.Errorf("%v has no Go definition", typ)
		}
		// AVX2 has every kind; arm64's NEON set row dots for Q2_K,
		// Q3_K, Q5_K, IQ4_NL and IQ4_XS.
		wantRow := hasAVX2 && Impl() != "ref"
		wantQuad := wantRow
		if !hasAVX2 && Impl() != "ref" {
			switch typ {
			case gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ5_K, gguf.TypeIQ4_NL, gguf.TypeIQ4_XS:
				wantRow = true
			default:
				wantRow = false
			}
		}
		if wantRow && extraDot(typ) == nil {
			t.Errorf("%v has no fast row dot on this CPU (%s)", typ, Impl())
		}
		if wantQuad && extraQuad(typ) == nil {
			t.Errorf("%v has no four-token kernel on this CPU (%s)", typ, Impl())
		}
		if (typ == gguf.TypeQ2_K || typ == gguf.TypeQ3_K || typ == gguf.TypeQ5_0 || typ == gguf.TypeQ4_1 || typ == gguf.TypeQ5_1 || typ == gguf.TypeIQ4_XS || typ == gguf.TypeIQ4_NL) && hasAVX512BW && hasVNNI && extraOct(typ) == nil {
			t.Errorf("%v has no eight-token kernel on this CPU (%s)", typ, Impl())
		}
		if Supported(typ) != wantRow {
			t.Errorf("Supported(%v) is %v with the %s kernels", typ, Supported(typ), Impl())
		}
		UseReference(true)
		if Supported(typ) {
			t.Errorf("Supported(%v) with the reference kernels: engine/cpu's float reference should take it", typ)
		}
		UseReference(false)
	}
	// The grid types have row dots and four- and eight-token kernels on
	// AVX2 (the eight-token ones used where the kernel set is wide).
	for _, typ := range gridTypes {
		if refExtra[typ] == nil {
			t.Errorf("%v has no Go definition", typ)
		}
		if hasAVX2 && Impl() != "ref" && (extraDot(typ) == nil || extraQuad(typ) == nil || !Supported(typ)) {
			t.Errorf("%v lacks a fast row dot or four-token kernel on this CPU (%s)", typ, Impl())
		}
		if hasAVX2 && active.wide && extraOct(typ) == nil {
			t.Errorf("%v has no eight-token kernel on this CPU (%s)", typ, Impl())
		}
	}
}
