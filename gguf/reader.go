package gguf

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// Magic is the first four bytes of every GGUF file ("GGUF", little endian).
const Magic = 0x46554747

// DefaultAlignment is used when general.alignment is absent.
const DefaultAlignment = 32

// maxDims is GGML_MAX_DIMS: a tensor has at most four dimensions.
const maxDims = 4

// maxArrayDepth bounds nested arrays so hostile files cannot recurse deeply.
const maxArrayDepth = 8

// FormatError reports a malformed file and the byte offset where parsing failed.
type FormatError struct {
	Off int64
	Msg string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("gguf: %s (at byte offset %d)", e.Msg, e.Off)
}

// ErrNotGGUF is wrapped by the error returned for a file without the GGUF magic.
var ErrNotGGUF = errors.New("not a GGUF file")

// TensorInfo describes one tensor. Dims are listed fastest-varying first, as
// in ggml: a matrix with Dims [n_in, n_out] holds n_out rows of n_in values.
type TensorInfo struct {
	Name   string
	Type   Type
	Dims   []uint64
	Offset uint64 // relative to the start of the data section
	Size   uint64 // bytes
	// Data is the tensor's bytes: a slice of the memory mapping when the
	// file was opened with Open or NewFileBytes, nil for NewFile readers
	// (use File.ReadTensor there).
	Data []byte
}

// Elements is the product of the dims.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF file.
type File struct {
	Version    uint32
	Metadata   []KV
	Tensors    []TensorInfo
	Alignment  uint64
	DataOffset int64 // absolute byte offset of the tensor data section
	Size       int64 // file size in bytes

	index   map[string]int // metadata key -> index in Metadata
	tindex  map[string]int // tensor name -> index in Tensors
	r       io.ReaderAt
	data    []byte // whole file, when backed by memory
	mapped  bool   // data is a file mapping made by Open
	closeFn func() error
}

// NewFileBytes parses a GGUF file held in memory. Tensor data slices point
// into b; b must outlive the File.
func NewFileBytes(b []byte) (*File, error) {
	f, err := parse(newCursor(byteReaderAt(b), int64(len(b))))
	if err != nil {
		return nil, err
	}
	f.data = b
	for i := range f.Tensors {
		t := &f.Tensors[i]
		start := uint64(f.DataOffset) + t.Offset
		t.Data = b[start : start+t.Size : start+t.Size]
	}
	return f, nil
}

// NewFile parses a GGUF file read through r, which holds size bytes. Tensor
// data is not read; use ReadTensor.
func NewFile(r io.ReaderAt, size int64) (*File, error) {
	f, err := parse(newCursor(r, size))
	if err != nil {
		return nil, err
	}
	f.r = r
	return f, nil
}

// Close releases the memory mapping of a file opened with Open. Tensor data
// slices must not be used afterwards.
func (f *File) Close() error {
	if f.closeFn == nil {
		return nil
	}
	fn := f.closeFn
	f.closeFn = nil
	f.data = nil
	return fn()
}

// Tensor returns the tensor with the given name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tindex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// ReadTensor returns the bytes of t: the mapped slice when there is one,
// otherwise a fresh copy read from the underlying reader.
func (f *File) ReadTensor(t *TensorInfo) ([]byte, error) {
	if t.Data != nil || t.Size == 0 {
		return t.Data, nil
	}
	if f.r == nil {
		return nil, fmt.Errorf("gguf: tensor %q: file is closed", t.Name)
	}
	buf := make([]byte, t.Size)
	if _, err := f.r.ReadAt(buf, f.DataOffset+int64(t.Offset)); err != nil {
		return nil, fmt.Errorf("gguf: reading tensor %q: %w", t.Name, err)
	}
	return buf, nil
}

func parse(c *cursor) (*File, error) {
	magic, err := c.u32()
	if err != nil {
		return nil, err
	}
	if magic != Magic {
		return nil, &FormatError{0, fmt.Sprintf("%v: bad magic %#08x", ErrNotGGUF, magic)}
	}
	f := &File{Size: c.size, index: map[string]int{}, tindex: map[string]int{}}
	if f.Version, err = c.u32(); err != nil {
		return nil, err
	}
	if f.Version != 2 && f.Version != 3 {
		return nil, c.errAt(4, fmt.Sprintf("unsupported GGUF version %d (want 2 or 3)", f.Version))
	}
	tensorCount, err := c.u64()
	if err != nil {
		return nil, err
	}
	kvCount, err := c.u64()
	if err != nil {
		return nil, err
	}
	// Every KV needs at least a key length and a type tag (12 bytes); every
	// tensor info at least name length, n_dims, type and offset (24 bytes).
	if kvCount > uint64(c.remaining())/12 {
		return nil, c.errAt(16, fmt.Sprintf("metadata count %d exceeds what the file can hold", kvCount))
	}
	if tensorCount > uint64(c.remaining())/24 {
		return nil, c.errAt(8, fmt.Sprintf("tensor count %d exceeds what the file can hold", tensorCount))
	}
	f.Metadata = make([]KV, 0, kvCount)
	alignOff := int64(0)
	for i := uint64(0); i < kvCount; i++ {
		off := c.off
		if i == 0 {
			alignOff = off
		}
		key, err := c.str()
		if err != nil {
			return nil, err
		}
		if _, dup := f.index[key]; dup {
			return nil, c.errAt(off, fmt.Sprintf("duplicate metadata key %q", key))
		}
		tag, err := c.u32()
		if err != nil {
			return nil, err
		}
		v, err := c.value(ValueType(tag), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata key %q: %w", key, err)
		}
		if key == "general.alignment" {
			alignOff = off
		}
		f.index[key] = len(f.Metadata)
		f.Metadata = append(f.Metadata, KV{key, v})
	}

	f.Alignment = DefaultAlignment
	if v, ok := f.Get("general.alignment"); ok {
		a, isInt := v.asInt64()
		if !isInt || a <= 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, &FormatError{alignOff, fmt.Sprintf("general.alignment %v is not a power of two of at most 1 MiB", v.V)}
		}
		f.Alignment = uint64(a)
	}

	f.Tensors = make([]TensorInfo, 0, tensorCount)
	// infoOffs[i] is where tensor i's info starts: placement errors point
	// there, since the data offset itself may lie outside the file.
	infoOffs := make([]int64, 0, tensorCount)
	for i := uint64(0); i < tensorCount; i++ {
		infoOff := c.off
		t, err := c.tensorInfo()
		if err != nil {
			return nil, err
		}
		if _, dup := f.tindex[t.Name]; dup {
			return nil, c.errAt(infoOff, fmt.Sprintf("duplicate tensor name %q", t.Name))
		}
		infoOffs = append(infoOffs, infoOff)
		f.tindex[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}

	// The data section starts at the next multiple of the alignment.
	dataOff := (uint64(c.off) + f.Alignment - 1) / f.Alignment * f.Alignment
	if len(f.Tensors) > 0 && dataOff > uint64(c.size) {
		return nil, c.errAt(c.off, "data section starts past the end of the file")
	}
	f.DataOffset = int64(dataOff)
	if err := f.checkTensorPlacement(infoOffs); err != nil {
		return nil, err
	}
	return f, nil
}

// checkTensorPlacement validates alignment, bounds and overlap of tensor
// data. Errors carry the offset of the offending tensor's info.
func (f *File) checkTensorPlacement(infoOffs []int64) error {
	avail := uint64(0)
	if uint64(f.Size) > uint64(f.DataOffset) {
		avail = uint64(f.Size) - uint64(f.DataOffset)
	}
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
		t := &f.Tensors[i]
		if t.Offset%f.Alignment != 0 {
			return &FormatError{infoOffs[i], fmt.Sprintf("tensor %q data offset %d is not aligned to %d", t.Name, t.Offset, f.Alignment)}
		}
		if t.Offset > avail || t.Size > avail-t.Offset {
			return &FormatError{infoOffs[i], fmt.Sprintf("tensor %q (%d bytes at data offset %d) extends past the end of the file (%d data bytes)", t.Name, t.Size, t.Offset, avail)}
		}
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	// Compare each tensor with the furthest-reaching one before it, so an
	// empty tensor in between cannot hide an overlap.
	var reach *TensorInfo
	for _, i := range order {
		cur := &f.Tensors[i]
		if cur.Size == 0 {
			continue
		}
		if reach != nil && reach.Offset+reach.Size > cur.Offset {
			return &FormatError{infoOffs[i], fmt.Sprintf("tensor %q overlaps tensor %q", cur.Name, reach.Name)}
		}
		if reach == nil || cur.Offset+cur.Size > reach.Offset+reach.Size {
			reach = cur
		}
	}
	return nil
}
