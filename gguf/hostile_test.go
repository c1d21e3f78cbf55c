package gguf

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// hdr builds GGUF bytes field by field, for files no writer would produce.
type hdr []byte

func newHdr(version uint32, tensors, kvs uint64) hdr {
	return hdr{}.u32(Magic).u32(version).u64(tensors).u64(kvs)
}
func (h hdr) u32(v uint32) hdr  { return binary.LittleEndian.AppendUint32(h, v) }
func (h hdr) u64(v uint64) hdr  { return binary.LittleEndian.AppendUint64(h, v) }
func (h hdr) str(s string) hdr  { return append(h.u64(uint64(len(s))), s...) }
func (h hdr) pad(align int) hdr { return append(h, make([]byte, (align-len(h)%align)%align)...) }

// kvU32 appends a uint32 metadata entry.
func (h hdr) kvU32(key string, v uint32) hdr { return h.str(key).u32(uint32(ValueUint32)).u32(v) }

// tensor appends a tensor info.
func (h hdr) tensor(name string, typ Type, off uint64, dims ...uint64) hdr {
	h = h.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		h = h.u64(d)
	}
	return h.u32(uint32(typ)).u64(off)
}

// mustFail parses b and checks for a FormatError at wantOff whose message
// contains want. Both the memory and the ReaderAt paths are checked.
func mustFail(t *testing.T, name string, b []byte, wantOff int64, want string) {
	t.Helper()
	for _, path := range []string{"bytes", "readerat"} {
		var err error
		if path == "bytes" {
			_, err = NewFileBytes(b)
		} else {
			_, err = NewFile(byteReaderAt(b), int64(len(b)))
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s (%s): got %v, want a FormatError", name, path, err)
			continue
		}
		if !strings.Contains(fe.Msg, want) || (wantOff >= 0 && fe.Off != wantOff) {
			t.Errorf("%s (%s): got %q at %d, want %q at %d", name, path, fe.Msg, fe.Off, want, wantOff)
		}
	}
}

func TestHostileHeaders(t *testing.T) {
	const huge = 1 << 62
	h0 := newHdr(3, 0, 1) // 24 bytes of header, the first KV at 24
	twoF32 := newHdr(3, 2, 0).tensor("a", TypeF32, 0, 16)
	cases := []struct {
		name string
		b    []byte
		off  int64
		want string
	}{
		{"empty", nil, 0, "end of file"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), 0, "bad magic"},
		{"version 1", newHdr(1, 0, 0), 4, "version 1"},
		{"version 4", newHdr(4, 0, 0), 4, "version 4"},
		{"kv count", newHdr(3, 0, huge), 16, "metadata count"},
		{"tensor count", newHdr(3, huge, 0), 8, "tensor count"},
		{"key length", append(h0.u64(huge), make([]byte, 16)...), 24, "string length"},
		{"value type", h0.str("k").u32(13).u32(0), 33, "unknown metadata value type 13"},
		{"string length", h0.str("k").u32(uint32(ValueString)).u64(huge), 37, "string length"},
		{"array length", h0.str("k").u32(uint32(ValueArray)).u32(uint32(ValueUint32)).u64(huge), 41, "array length"},
		{"array of strings length", h0.str("k").u32(uint32(ValueArray)).u32(uint32(ValueString)).u64(1 << 40), 41, "array length"},
		{"array elem type", h0.str("k").u32(uint32(ValueArray)).u32(99).u64(1), 37, "unknown array element type 99"},
		{"deep nesting", deepArray(20), 24 + 8 + 1 + 4 + 8*12, "nested deeper"},
		{"duplicate key", newHdr(3, 0, 2).kvU32("k", 1).kvU32("k", 2), 41, "duplicate metadata key"},
		{"alignment zero", newHdr(3, 0, 1).kvU32("general.alignment", 0), 24, "general.alignment"},
		{"alignment odd", newHdr(3, 0, 1).kvU32("general.alignment", 48), 24, "general.alignment"},
		{"alignment string", newHdr(3, 0, 1).str("general.alignment").u32(uint32(ValueString)).str("x"), 24, "general.alignment"},
		{"zero dims", newHdr(3, 1, 0).tensor("a", TypeF32, 0).pad(32), 33, "0 dims"},
		{"five dims", newHdr(3, 1, 0).tensor("a", TypeF32, 0, 1, 1, 1, 1, 1).pad(32), 33, "5 dims"},
		{"dims overflow", newHdr(3, 1, 0).tensor("a", TypeF32, 0, 1<<32, 1<<32).pad(32), 45, "overflow"},
		{"size overflow", newHdr(3, 1, 0).tensor("a", TypeF32, 0, 1<<62, 1).pad(32), 24, "byte size overflows"},
		{"unknown type", newHdr(3, 1, 0).tensor("a", Type(5), 0, 32).pad(32), 45, "unknown type 5"},
		{"huge type", newHdr(3, 1, 0).tensor("a", Type(1<<31), 0, 32).pad(32), 45, "unknown type"},
		{"partial block", newHdr(3, 1, 0).tensor("a", TypeQ4_0, 0, 31).pad(32), 24, "block size"},
		{"offset past EOF", append(newHdr(3, 1, 0).tensor("a", TypeF32, 1<<40, 4).pad(32), make([]byte, 16)...), 24, "past the end"},
		{"data past EOF", append(newHdr(3, 1, 0).tensor("a", TypeF32, 0, 8).pad(32), make([]byte, 16)...), 24, "past the end"},
		{"offset wraps", append(newHdr(3, 1, 0).tensor("a", TypeF32, 1<<64-32, 8).pad(32), make([]byte, 64)...), 24, "past the end"},
		{"misaligned", append(newHdr(3, 1, 0).tensor("a", TypeF32, 4, 4).pad(32), make([]byte, 64)...), 24, "not aligned"},
		{"overlap", append(twoF32.tensor("b", TypeF32, 32, 16).pad(32), make([]byte, 128)...), 57, "overlaps"},
		{"overlap behind empty", append(newHdr(3, 3, 0).tensor("a", TypeF32, 0, 32).tensor("e", TypeF32, 32, 0).tensor("b", TypeF32, 64, 16).pad(32), make([]byte, 256)...), 90, "overlaps"},
		{"duplicate tensor", append(newHdr(3, 2, 0).tensor("a", TypeF32, 0, 8).tensor("a", TypeF32, 32, 8).pad(32), make([]byte, 64)...), 57, "duplicate tensor name"},
		{"data section past EOF", newHdr(3, 1, 0).tensor("a", TypeF32, 0, 0), 57, "data section"},
	}
	for _, c := range cases {
		mustFail(t, c.name, c.b, c.off, c.want)
	}
	// Eight levels of arrays are allowed (the writer allows as many).
	if _, err := NewFileBytes(deepArray(7)); err != nil {
		t.Errorf("arrays 8 deep: %v", err)
	}
}

// deepArray nests arrays n deep under one key.
func deepArray(n int) []byte {
	h := newHdr(3, 0, 1).str("k").u32(uint32(ValueArray))
	for i := 0; i < n; i++ {
		h = h.u32(uint32(ValueArray)).u64(1)
	}
	return h.u32(uint32(ValueUint8)).u64(0)
}

// Listed types this package cannot dequantize (TQ*, MXFP4, integer and
// F64 tensors) parse and list; only dequantizing them fails. The IQ grid
// types, which it can, are in the list as a control.
func TestExoticTypesParse(t *testing.T) {
	types := []Type{TypeIQ2_XXS, TypeIQ3_S, TypeIQ1_M, TypeTQ1_0, TypeTQ2_0, TypeMXFP4, TypeI8, TypeF64}
	var ts []TensorInfo
	for _, typ := range types {
		n := uint64(typ.BlockSize())
		ts = append(ts, TensorInfo{Name: typ.String(), Type: typ, Dims: []uint64{n}, Data: make([]byte, typ.BlockBytes())})
	}
	p := t.TempDir() + "/x.gguf"
	if err := WriteFile(p, nil, ts); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, typ := range types {
		if f.Tensors[i].Type != typ {
			t.Errorf("tensor %d: type %s, want %s", i, f.Tensors[i].Type, typ)
		}
		_, err := DequantizeTensor(&f.Tensors[i])
		if CanDequantize(typ) {
			if err != nil {
				t.Errorf("dequantizing %s: %v", typ, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), typ.String()) {
			t.Errorf("dequantizing %s: %v", typ, err)
		}
	}
}

// A real file cut short anywhere before the end of its last tensor fails
// with a FormatError at or before the cut, and never panics. Every offset
// of the header and the first 4 KiB of data is tried, then a stride.
func TestTruncatedRealFile(t *testing.T) {
	b, err := os.ReadFile(fixture(t, "models/tiny-llama-gqa-q4_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFileBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	for _, ti := range f.Tensors {
		end = max(end, f.DataOffset+int64(ti.Offset+ti.Size))
	}
	tried := 0
	for cut := int64(0); cut < int64(len(b)); {
		_, err := NewFileBytes(b[:cut])
		var fe *FormatError
		switch {
		case cut < end && !errors.As(err, &fe):
			t.Fatalf("cut at %d: got %v, want a FormatError", cut, err)
		case cut < end && fe.Off > cut:
			t.Fatalf("cut at %d: error offset %d is past the cut: %v", cut, fe.Off, err)
		case cut >= end && err != nil:
			t.Fatalf("cut at %d (after the last tensor's data): %v", cut, err)
		}
		tried++
		if cut < f.DataOffset+4096 || cut >= end-64 {
			cut++
		} else {
			cut += 997
		}
	}
	t.Logf("%d truncations tried; header is %d bytes", tried, f.DataOffset)
}
