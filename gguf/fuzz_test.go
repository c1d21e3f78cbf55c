package gguf

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// miniature re-writes a real file with every array cut to 4 elements and
// every tensor cut to one block of its real data: the fuzzer then starts
// from small inputs that still have the real files' structure.
func miniature(tb testing.TB, f *File) []byte {
	meta := make([]KV, len(f.Metadata))
	for i, kv := range f.Metadata {
		meta[i] = KV{kv.Key, kv.Value}
		if a, ok := kv.Value.V.(Array); ok {
			meta[i].Value.V = shortArray(a)
		}
	}
	ts := make([]TensorInfo, len(f.Tensors))
	for i, t := range f.Tensors {
		bs := uint64(t.Type.BlockSize())
		ts[i] = TensorInfo{Name: t.Name, Type: t.Type, Dims: []uint64{bs}, Data: t.Data[:t.Type.BlockBytes()]}
	}
	var buf bytes.Buffer
	if err := Write(&buf, meta, ts); err != nil {
		tb.Fatalf("miniature: %v", err)
	}
	return buf.Bytes()
}

func shortArray(a Array) Array {
	switch s := a.Values.(type) {
	case []string:
		a.Values = s[:min(4, len(s))]
	case []float32:
		a.Values = s[:min(4, len(s))]
	case []int32:
		a.Values = s[:min(4, len(s))]
	case []uint32:
		a.Values = s[:min(4, len(s))]
	case []Array:
		s = s[:min(4, len(s))]
		for i := range s {
			s[i] = shortArray(s[i])
		}
		a.Values = s
	}
	return a
}

// FuzzParse feeds arbitrary bytes to both parsers. Either both fail with a
// FormatError whose offset lies in the file, or both succeed and the file's
// tensors dequantize and the file re-writes and re-reads identically.
func FuzzParse(f *testing.F) {
	for _, rel := range append(append([]string{}, modelFixtures...), vocabFixtures...) {
		b, err := os.ReadFile(fixture(f, rel))
		if err != nil {
			f.Fatal(err)
		}
		gf, err := NewFileBytes(b)
		if err != nil {
			f.Fatalf("%s: %v", rel, err)
		}
		f.Add(b[:min(len(b), 4<<10)]) // header start: large seeds slow the fuzzer to a crawl
		f.Add(miniature(f, gf))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		gf, err := NewFileBytes(b)
		_, err2 := NewFile(byteReaderAt(b), int64(len(b)))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("memory and ReaderAt parsers disagree: %v vs %v", err, err2)
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Off < 0 || fe.Off > int64(len(b)) {
				t.Fatalf("error without a valid offset: %v", err)
			}
			return
		}
		for i := range gf.Tensors {
			ti := &gf.Tensors[i]
			bs, bb := ti.Type.BlockSize(), ti.Type.BlockBytes()
			if CanDequantize(ti.Type) && len(ti.Data) >= bb {
				if err := Dequantize(ti.Type, ti.Data[:bb], make([]float32, bs)); err != nil {
					t.Fatalf("tensor %q: %v", ti.Name, err)
				}
			}
		}
		var w1 bytes.Buffer
		if Write(&w1, gf.Metadata, gf.Tensors) != nil {
			return // the writer is stricter (names, alignment type); fine
		}
		again, err := NewFileBytes(w1.Bytes())
		if err != nil {
			t.Fatalf("re-reading a written file: %v", err)
		}
		var w2 bytes.Buffer
		if err := Write(&w2, again.Metadata, again.Tensors); err != nil {
			t.Fatalf("re-writing: %v", err)
		}
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatal("write -> read -> write is not stable")
		}
	})
}
