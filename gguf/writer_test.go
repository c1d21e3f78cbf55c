package gguf

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

var modelFixtures = []string{
	"models/stories260K.gguf", "models/llama-2-tiny-random.gguf", "models/tiny-llama-gqa-f32.gguf",
	"models/tiny-llama-gqa-f16.gguf", "models/tiny-llama-gqa-q8_0-pure.gguf", "models/tiny-llama-gqa-q4_0-pure.gguf",
	"models/tiny-llama-gqa-q4_k_m-pure.gguf", "models/tiny-llama-gqa-q6_k-pure.gguf", "models/tiny-llama-gqa-q4_k_m.gguf",
	"models/tiny-qwen2-q8_0.gguf", "models/tiny-llama3-q8_0.gguf", "models/tiny-qwen3-q8_0.gguf", "models/tiny-phi3-q8_0.gguf",
}

var vocabFixtures = []string{
	"vocab/ggml-vocab-deepseek-coder.gguf", "vocab/ggml-vocab-deepseek-llm.gguf", "vocab/ggml-vocab-gpt-2.gguf",
	"vocab/ggml-vocab-llama-bpe.gguf", "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-phi-3.gguf",
	"vocab/ggml-vocab-qwen2.gguf",
}

// Copying the metadata and tensors of every fixture (written by llama.cpp
// or gguf-py) through the writer reproduces the file byte for byte.
func TestWriterReproducesFixtures(t *testing.T) {
	for _, rel := range append(append([]string{}, modelFixtures...), vocabFixtures...) {
		orig, err := os.ReadFile(fixture(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewFileBytes(orig)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, f.Metadata, f.Tensors); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		got := buf.Bytes()
		if len(f.Tensors) == 0 && len(got) > len(orig) && int64(len(got)) == f.DataOffset {
			// Upstream's vocab-only files end right after the header; we,
			// like gguf-py (which made llama-bpe and qwen2 here), always
			// pad the header to the alignment. Both load in llama.cpp.
			if bytes.Count(got[len(orig):], []byte{0}) != len(got)-len(orig) {
				t.Errorf("%s: header padding is not zeros", rel)
			}
			got = got[:len(orig)]
		}
		if !bytes.Equal(got, orig) {
			n := 0
			for n < min(len(got), len(orig)) && got[n] == orig[n] {
				n++
			}
			t.Errorf("%s: rewrite differs from the original at byte %d (sizes %d vs %d)", rel, n, len(got), len(orig))
		}
	}
}

// sampleMeta has one key of every value type, nested and empty arrays.
func sampleMeta() []KV {
	vals := []any{
		uint8(200), int8(-3), uint16(60000), int16(-20000), uint32(4000000000), int32(-2000000000),
		float32(1.5), true, "héllo", uint64(1 << 60), int64(-1 << 60), float64(2.25), "",
		[]uint8{1, 2}, []int8{-1}, []uint16{7}, []int16{-7}, []uint32{1, 2, 3}, []int32{-1, 0, 1},
		[]float32{0.5, -0.25}, []bool{true, false}, []string{"a", "", "ccc"}, []uint64{9}, []int64{-9},
		[]float64{1e300}, []uint32{},
		[]Array{{ValueUint32, []uint32{1, 2}}, {ValueString, []string{"x"}}, {ValueArray, []Array{{ValueBool, []bool{true}}}}},
	}
	meta := []KV{{"general.architecture", MustValue("llama")}, {"general.alignment", MustValue(uint32(64))}}
	for i, v := range vals {
		meta = append(meta, KV{"test.key" + string(rune('A'+i)), MustValue(v)})
	}
	return meta
}

func sampleTensors(t *testing.T) []TensorInfo {
	x := gaussian(2*QK_K, 1, 3)
	var ts []TensorInfo
	for i, typ := range []Type{TypeF32, TypeF16, TypeQ8_0, TypeQ4_K, TypeQ6_K, TypeBF16} {
		q, err := Quantize(typ, x[:QK_K*(1+i%2)])
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, TensorInfo{Name: "t" + typ.String(), Type: typ, Dims: []uint64{QK_K, uint64(1 + i%2)}, Data: q})
	}
	// An odd-sized F32 vector leaves its data unaligned, so padding matters.
	ts = append(ts, TensorInfo{Name: "norm", Type: TypeF32, Dims: []uint64{3}, Data: make([]byte, 12)})
	ts = append(ts, TensorInfo{Name: "last", Type: TypeQ8_0, Dims: []uint64{32, 1, 1, 1}, Data: bytes.Repeat([]byte{1}, 34)})
	return ts
}

func TestWriterRoundTrip(t *testing.T) {
	meta, ts := sampleMeta(), sampleTensors(t)
	var buf bytes.Buffer
	if err := Write(&buf, meta, ts); err != nil {
		t.Fatal(err)
	}
	f, err := NewFileBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Alignment != 64 || f.DataOffset%64 != 0 {
		t.Fatalf("version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
	}
	if !reflect.DeepEqual(f.Metadata, meta) {
		t.Fatalf("metadata differs after the round trip:\n got %+v\nwant %+v", f.Metadata, meta)
	}
	if len(f.Tensors) != len(ts) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(ts))
	}
	for i, got := range f.Tensors {
		want := ts[i]
		if got.Name != want.Name || got.Type != want.Type || !reflect.DeepEqual(got.Dims, want.Dims) || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("tensor %d: got %s %s %v, want %s %s %v (data equal %v)", i, got.Name, got.Type, got.Dims,
				want.Name, want.Type, want.Dims, bytes.Equal(got.Data, want.Data))
		}
		if got.Offset%64 != 0 {
			t.Errorf("tensor %s offset %d not aligned", got.Name, got.Offset)
		}
	}
	if int64(buf.Len()) != f.DataOffset+int64(f.Tensors[len(ts)-1].Offset)+64 {
		t.Errorf("file is not padded after the last tensor: %d bytes", buf.Len())
	}
}

// Data may arrive in pieces of any size, spanning tensors.
func TestWriterStreamsInChunks(t *testing.T) {
	meta, ts := sampleMeta(), sampleTensors(t)
	var whole, chunked bytes.Buffer
	if err := Write(&whole, meta, ts); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(&chunked, meta, ts)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, x := range ts {
		all = append(all, x.Data...)
	}
	for len(all) > 0 {
		k := min(len(all), 77)
		if _, err := w.Write(all[:k]); err != nil {
			t.Fatal(err)
		}
		all = all[k:]
	}
	if w.Next() != nil {
		t.Fatal("Next is not nil after all data")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(whole.Bytes(), chunked.Bytes()) {
		t.Fatal("chunked writes give a different file")
	}
	if _, err := w.Write([]byte{1}); err == nil {
		t.Fatal("write past the last tensor accepted")
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// A 1 GiB model streams through a fixed-size buffer: the writer allocates a
// few MiB, not the data size.
func TestWriterLargeModelDoesNotBuffer(t *testing.T) {
	const rows = 4096
	ts := []TensorInfo{
		{Name: "a", Type: TypeF32, Dims: []uint64{32768, rows}},      // 512 MiB
		{Name: "b", Type: TypeQ8_0, Dims: []uint64{32768, rows * 2}}, // 272 MiB
		{Name: "c", Type: TypeF16, Dims: []uint64{32768, rows}},      // 256 MiB
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var cw countingWriter
	w, err := NewWriter(&cw, []KV{{"general.architecture", MustValue("llama")}}, ts)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20+13)
	var total uint64
	for _, x := range w.Tensors() {
		total += x.Size
	}
	for total > 0 {
		k := min(total, uint64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		total -= k
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if cw.n < 1<<30 {
		t.Fatalf("wrote only %d bytes", cw.n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("writing %d bytes allocated %d bytes", cw.n, alloc)
	}
}

func TestWriterRejects(t *testing.T) {
	good := []TensorInfo{{Name: "w", Type: TypeF32, Dims: []uint64{4}}}
	cases := []struct {
		name string
		meta []KV
		ts   []TensorInfo
		want string
	}{
		{"dup key", []KV{{"a", MustValue(uint8(1))}, {"a", MustValue(uint8(2))}}, good, "duplicate metadata key"},
		{"type mismatch", []KV{{"a", Value{ValueUint32, "x"}}}, good, "holds string"},
		{"array mismatch", []KV{{"a", Value{ValueArray, Array{ValueInt32, []uint32{1}}}}}, good, "array of int32"},
		{"alignment type", []KV{{"general.alignment", MustValue(uint64(32))}}, good, "general.alignment"},
		{"alignment value", []KV{{"general.alignment", MustValue(uint32(48))}}, good, "general.alignment"},
		{"dup tensor", nil, append(good, good...), "duplicate tensor"},
		{"long name", nil, []TensorInfo{{Name: strings.Repeat("x", 64), Type: TypeF32, Dims: []uint64{1}}}, "name"},
		{"no dims", nil, []TensorInfo{{Name: "w", Type: TypeF32}}, "dims"},
		{"five dims", nil, []TensorInfo{{Name: "w", Type: TypeF32, Dims: []uint64{1, 1, 1, 1, 1}}}, "dims"},
		{"block", nil, []TensorInfo{{Name: "w", Type: TypeQ4_K, Dims: []uint64{100}}}, "block size"},
		{"type", nil, []TensorInfo{{Name: "w", Type: Type(77), Dims: []uint64{1}}}, "unknown type"},
		{"overflow", nil, []TensorInfo{{Name: "w", Type: TypeF32, Dims: []uint64{1 << 40, 1 << 40}}}, "overflow"},
	}
	for _, c := range cases {
		_, err := NewWriter(io.Discard, c.meta, c.ts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	w, err := NewWriter(io.Discard, nil, good)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{1, 2, 3})
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "3 of 16") {
		t.Errorf("Close with missing data: %v", err)
	}
	if err := Write(io.Discard, nil, []TensorInfo{{Name: "w", Type: TypeF32, Dims: []uint64{4}, Data: []byte{1}}}); err == nil {
		t.Error("Write with short Data accepted")
	}
	if _, err := NewValue(struct{}{}); err == nil {
		t.Error("NewValue(struct) accepted")
	}
}

func TestWriteFile(t *testing.T) {
	p := t.TempDir() + "/m.gguf"
	if err := WriteFile(p, sampleMeta(), sampleTensors(t)); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s, _ := f.String("general.architecture"); s != "llama" || len(f.Tensors) != 8 {
		t.Fatalf("arch %q, %d tensors", s, len(f.Tensors))
	}
}

func TestArrayAt(t *testing.T) {
	for _, v := range []any{[]uint8{7}, []int8{7}, []uint16{7}, []int16{7}, []uint32{7}, []int32{7}, []float32{7},
		[]uint64{7}, []int64{7}, []float64{7}, []string{"7"}, []bool{true}, []Array{{ValueUint8, []uint8{7}}}} {
		a := MustValue(v).V.(Array)
		if got := a.At(0); !reflect.DeepEqual(got, reflect.ValueOf(v).Index(0).Interface()) {
			t.Errorf("%T: At(0) = %v", v, got)
		}
		if a.At(1) != nil || a.At(-1) != nil {
			t.Errorf("%T: out of range At is not nil", v)
		}
	}
}
