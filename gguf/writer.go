package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// maxNameLen is GGML_MAX_NAME - 1: llama.cpp rejects longer tensor names.
const maxNameLen = 63

// Writer streams a GGUF v3 file. The metadata and the tensor table are
// written up front by NewWriter; tensor data then follows through Write, in
// declaration order, so a multi-GB model never has to be in memory at once.
// Layout matches llama.cpp's gguf writer: tensor offsets are packed in
// order, each rounded up to general.alignment, and every tensor's data is
// zero-padded to the alignment (including the last), so re-writing a file
// that llama.cpp produced reproduces it byte for byte.
type Writer struct {
	bw      *bufio.Writer
	align   uint64
	tensors []TensorInfo
	cur     int    // tensor whose data Write is filling
	filled  uint64 // bytes of tensors[cur] written so far
	err     error  // sticky: the first write error
	n       uint64 // bytes written so far
}

// NewWriter validates meta and tensors (Name, Type and Dims are used;
// Offset and Size are computed) and writes the header. Keys are written in
// the given order; general.alignment, when present, must be a uint32 power
// of two, as llama.cpp requires.
func NewWriter(w io.Writer, meta []KV, tensors []TensorInfo) (*Writer, error) {
	wr := &Writer{bw: bufio.NewWriterSize(w, 1<<20), align: DefaultAlignment}
	seen := map[string]bool{}
	for _, kv := range meta {
		if seen[kv.Key] {
			return nil, fmt.Errorf("gguf: duplicate metadata key %q", kv.Key)
		}
		seen[kv.Key] = true
		if err := checkValue(kv.Value, 0); err != nil {
			return nil, fmt.Errorf("gguf: metadata key %q: %w", kv.Key, err)
		}
		if kv.Key == "general.alignment" {
			a, ok := kv.Value.V.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("gguf: general.alignment must be a uint32 power of two, got %s %v", kv.Value.Type, kv.Value.V)
			}
			wr.align = uint64(a)
		}
	}
	if err := wr.layout(tensors); err != nil {
		return nil, err
	}
	wr.writeHeader(meta)
	if wr.err != nil {
		return nil, wr.err
	}
	return wr, nil
}

// layout checks the tensor table and assigns offsets and sizes.
func (w *Writer) layout(tensors []TensorInfo) error {
	w.tensors = make([]TensorInfo, len(tensors))
	names := map[string]bool{}
	off := uint64(0)
	for i, t := range tensors {
		if t.Name == "" || len(t.Name) > maxNameLen {
			return fmt.Errorf("gguf: tensor %d: name %q must have 1..%d bytes", i, t.Name, maxNameLen)
		}
		if names[t.Name] {
			return fmt.Errorf("gguf: duplicate tensor name %q", t.Name)
		}
		names[t.Name] = true
		ti, ok := t.Type.Info()
		if !ok {
			return fmt.Errorf("gguf: tensor %q: unknown type %d", t.Name, uint32(t.Type))
		}
		if len(t.Dims) == 0 || len(t.Dims) > maxDims {
			return fmt.Errorf("gguf: tensor %q has %d dims (want 1..%d)", t.Name, len(t.Dims), maxDims)
		}
		if t.Dims[0]%uint64(ti.BlockSize) != 0 {
			return fmt.Errorf("gguf: tensor %q row length %d is not a multiple of the %s block size %d", t.Name, t.Dims[0], ti.Name, ti.BlockSize)
		}
		n := uint64(1)
		for _, d := range t.Dims {
			if d != 0 && n > math.MaxInt64/d {
				return fmt.Errorf("gguf: tensor %q dims %v overflow", t.Name, t.Dims)
			}
			n *= d
		}
		size := n / uint64(ti.BlockSize) * uint64(ti.BlockBytes)
		w.tensors[i] = TensorInfo{Name: t.Name, Type: t.Type, Dims: append([]uint64(nil), t.Dims...), Offset: off, Size: size}
		off += w.pad(size)
	}
	return nil
}

func (w *Writer) pad(n uint64) uint64 { return (n + w.align - 1) / w.align * w.align }

// Tensors returns the tensor table as written, with offsets and sizes.
func (w *Writer) Tensors() []TensorInfo { return w.tensors }

func (w *Writer) writeHeader(meta []KV) {
	w.u32(Magic)
	w.u32(3)
	w.u64(uint64(len(w.tensors)))
	w.u64(uint64(len(meta)))
	for _, kv := range meta {
		w.str(kv.Key)
		w.u32(uint32(kv.Value.Type))
		w.value(kv.Value)
	}
	for _, t := range w.tensors {
		w.str(t.Name)
		w.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w.u64(d)
		}
		w.u32(uint32(t.Type))
		w.u64(t.Offset)
	}
	w.zeros(w.pad(w.n) - w.n)
	w.skipEmpty()
}

// Next returns the tensor whose data Write expects next, or nil when all
// data has been written.
func (w *Writer) Next() *TensorInfo {
	if w.cur >= len(w.tensors) {
		return nil
	}
	return &w.tensors[w.cur]
}

// Write appends tensor data: the bytes of the tensors in declaration order,
// back to back, without padding (the writer adds it). A write may span
// tensors and may be of any size.
func (w *Writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && w.err == nil {
		t := w.Next()
		if t == nil {
			return n, errors.New("gguf: write past the last tensor's data")
		}
		k := min(uint64(len(p)), t.Size-w.filled)
		w.raw(p[:k])
		n += int(k)
		p = p[k:]
		w.filled += k
		if w.filled == t.Size {
			w.zeros(w.pad(t.Size) - t.Size)
			w.cur++
			w.filled = 0
			w.skipEmpty()
		}
	}
	return n, w.err
}

// skipEmpty moves past zero-byte tensors, which need no Write call.
func (w *Writer) skipEmpty() {
	for w.cur < len(w.tensors) && w.tensors[w.cur].Size == 0 {
		w.cur++
	}
}

// Close flushes the buffer. It fails if some tensor data was never written.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if t := w.Next(); t != nil {
		return fmt.Errorf("gguf: tensor %q: %d of %d data bytes written", t.Name, w.filled, t.Size)
	}
	return w.bw.Flush()
}

// WriteFile writes a complete file to path. Each tensor's data comes from
// its Data field.
func WriteFile(path string, meta []KV, tensors []TensorInfo) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return Write(f, meta, tensors)
}

// Write writes a complete file to w, taking each tensor's data from Data.
func Write(w io.Writer, meta []KV, tensors []TensorInfo) error {
	gw, err := NewWriter(w, meta, tensors)
	if err != nil {
		return err
	}
	for i, t := range gw.Tensors() {
		if uint64(len(tensors[i].Data)) != t.Size {
			return fmt.Errorf("gguf: tensor %q: has %d data bytes, its type and dims need %d", t.Name, len(tensors[i].Data), t.Size)
		}
		if _, err := gw.Write(tensors[i].Data); err != nil {
			return err
		}
	}
	return gw.Close()
}

func (w *Writer) raw(b []byte) {
	if w.err == nil {
		_, w.err = w.bw.Write(b)
		w.n += uint64(len(b))
	}
}

var zeroPad [256]byte

func (w *Writer) zeros(n uint64) {
	for n > 0 {
		k := min(n, uint64(len(zeroPad)))
		w.raw(zeroPad[:k])
		n -= k
	}
}

func (w *Writer) u32(v uint32) { w.raw(binary.LittleEndian.AppendUint32(nil, v)) }
func (w *Writer) u64(v uint64) { w.raw(binary.LittleEndian.AppendUint64(nil, v)) }
func (w *Writer) str(s string) { w.u64(uint64(len(s))); w.raw([]byte(s)) }
