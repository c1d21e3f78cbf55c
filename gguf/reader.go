package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
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

// cursor reads little-endian fields sequentially from a ReaderAt, buffering
// so that parsing a vocabulary of 100k strings does not make 100k reads.
type cursor struct {
	r      io.ReaderAt
	size   int64
	off    int64
	buf    []byte
	bufOff int64
}

type byteReaderAt []byte

func (b byteReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func newCursor(r io.ReaderAt, size int64) *cursor { return &cursor{r: r, size: size} }

func (c *cursor) remaining() int64 { return c.size - c.off }

func (c *cursor) errAt(off int64, msg string) error { return &FormatError{off, msg} }

// next returns the next n bytes and advances. The slice is valid until the
// following call.
func (c *cursor) next(n int64) ([]byte, error) {
	if n < 0 || n > c.remaining() {
		return nil, c.errAt(c.off, fmt.Sprintf("unexpected end of file: need %d bytes, %d left", n, c.remaining()))
	}
	if br, ok := c.r.(byteReaderAt); ok {
		b := br[c.off : c.off+n]
		c.off += n
		return b, nil
	}
	if c.off < c.bufOff || c.off+n > c.bufOff+int64(len(c.buf)) {
		want := n
		if want < 64<<10 {
			want = 64 << 10
		}
		if want > c.remaining() {
			want = c.remaining()
		}
		if int64(cap(c.buf)) < want {
			c.buf = make([]byte, want)
		}
		c.buf = c.buf[:want]
		m, err := c.r.ReadAt(c.buf, c.off)
		if int64(m) < n {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, &FormatError{c.off, fmt.Sprintf("read failed: %v", err)}
		}
		c.buf = c.buf[:m]
		c.bufOff = c.off
	}
	b := c.buf[c.off-c.bufOff : c.off-c.bufOff+n]
	c.off += n
	return b, nil
}

func (c *cursor) u32() (uint32, error) {
	b, err := c.next(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (c *cursor) u64() (uint64, error) {
	b, err := c.next(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (c *cursor) str() (string, error) {
	off := c.off
	n, err := c.u64()
	if err != nil {
		return "", err
	}
	if n > uint64(c.remaining()) {
		return "", c.errAt(off, fmt.Sprintf("string length %d exceeds the %d bytes left in the file", n, c.remaining()))
	}
	b, err := c.next(int64(n))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (c *cursor) value(t ValueType, depth int) (Value, error) {
	off := c.off
	if sz := t.scalarSize(); sz > 0 {
		b, err := c.next(int64(sz))
		if err != nil {
			return Value{}, err
		}
		return Value{t, decodeScalar(t, b)}, nil
	}
	switch t {
	case ValueString:
		s, err := c.str()
		return Value{t, s}, err
	case ValueArray:
		a, err := c.array(depth)
		return Value{t, a}, err
	}
	return Value{}, c.errAt(off-4, fmt.Sprintf("unknown metadata value type %d", uint32(t)))
}

func (c *cursor) array(depth int) (Array, error) {
	off := c.off
	// Nested arrays recurse; bound the depth so a hostile file cannot
	// exhaust the stack.
	if depth >= maxArrayDepth {
		return Array{}, c.errAt(off, fmt.Sprintf("arrays nested deeper than %d", maxArrayDepth))
	}
	tag, err := c.u32()
	if err != nil {
		return Array{}, err
	}
	et := ValueType(tag)
	n, err := c.u64()
	if err != nil {
		return Array{}, err
	}
	// Bound the allocation by what the rest of the file could encode.
	minSize := uint64(et.scalarSize())
	if et == ValueString || et == ValueArray {
		minSize = 8
		if et == ValueArray {
			minSize = 12
		}
	} else if minSize == 0 {
		return Array{}, c.errAt(off, fmt.Sprintf("unknown array element type %d", tag))
	}
	if hi, lo := bits.Mul64(n, minSize); hi != 0 || lo > uint64(c.remaining()) {
		return Array{}, c.errAt(off+4, fmt.Sprintf("array length %d exceeds what the file can hold", n))
	}
	a := Array{Elem: et}
	if sz := et.scalarSize(); sz > 0 {
		b, err := c.next(int64(n) * int64(sz))
		if err != nil {
			return Array{}, err
		}
		a.Values = decodeScalarArray(et, b, int(n))
		return a, nil
	}
	if et == ValueString {
		ss := make([]string, n)
		for i := range ss {
			if ss[i], err = c.str(); err != nil {
				return Array{}, err
			}
		}
		a.Values = ss
		return a, nil
	}
	as := make([]Array, n)
	for i := range as {
		if as[i], err = c.array(depth + 1); err != nil {
			return Array{}, err
		}
	}
	a.Values = as
	return a, nil
}

func (c *cursor) tensorInfo() (TensorInfo, error) {
	start := c.off
	name, err := c.str()
	if err != nil {
		return TensorInfo{}, err
	}
	nd, err := c.u32()
	if err != nil {
		return TensorInfo{}, err
	}
	if nd == 0 || nd > maxDims {
		return TensorInfo{}, c.errAt(c.off-4, fmt.Sprintf("tensor %q has %d dims (want 1..%d)", name, nd, maxDims))
	}
	t := TensorInfo{Name: name, Dims: make([]uint64, nd)}
	elems := uint64(1)
	for i := range t.Dims {
		if t.Dims[i], err = c.u64(); err != nil {
			return TensorInfo{}, err
		}
		hi, lo := bits.Mul64(elems, t.Dims[i])
		if hi != 0 || lo > math.MaxInt64 {
			return TensorInfo{}, c.errAt(c.off-8, fmt.Sprintf("tensor %q dims %v overflow", name, t.Dims[:i+1]))
		}
		elems = lo
	}
	typ, err := c.u32()
	if err != nil {
		return TensorInfo{}, err
	}
	t.Type = Type(typ)
	ti, ok := t.Type.Info()
	if !ok {
		return TensorInfo{}, c.errAt(c.off-4, fmt.Sprintf("tensor %q has unknown type %d", name, typ))
	}
	if t.Dims[0]%uint64(ti.BlockSize) != 0 {
		return TensorInfo{}, c.errAt(start, fmt.Sprintf("tensor %q row length %d is not a multiple of the %s block size %d", name, t.Dims[0], ti.Name, ti.BlockSize))
	}
	hi, size := bits.Mul64(elems/uint64(ti.BlockSize), uint64(ti.BlockBytes))
	if hi != 0 || size > math.MaxInt64 {
		return TensorInfo{}, c.errAt(start, fmt.Sprintf("tensor %q byte size overflows", name))
	}
	t.Size = size
	if t.Offset, err = c.u64(); err != nil {
		return TensorInfo{}, err
	}
	return t, nil
}

func decodeScalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case ValueUint8:
		return b[0]
	case ValueInt8:
		return int8(b[0])
	case ValueBool:
		return b[0] != 0
	case ValueUint16:
		return le.Uint16(b)
	case ValueInt16:
		return int16(le.Uint16(b))
	case ValueUint32:
		return le.Uint32(b)
	case ValueInt32:
		return int32(le.Uint32(b))
	case ValueFloat32:
		return math.Float32frombits(le.Uint32(b))
	case ValueUint64:
		return le.Uint64(b)
	case ValueInt64:
		return int64(le.Uint64(b))
	case ValueFloat64:
		return math.Float64frombits(le.Uint64(b))
	}
	return nil
}

func decodeScalarArray(t ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case ValueUint8:
		return append([]uint8(nil), b...)
	case ValueInt8:
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(b[i])
		}
		return s
	case ValueBool:
		s := make([]bool, n)
		for i := range s {
			s[i] = b[i] != 0
		}
		return s
	case ValueUint16:
		s := make([]uint16, n)
		for i := range s {
			s[i] = le.Uint16(b[2*i:])
		}
		return s
	case ValueInt16:
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(le.Uint16(b[2*i:]))
		}
		return s
	case ValueUint32:
		s := make([]uint32, n)
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
		return s
	case ValueInt32:
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(le.Uint32(b[4*i:]))
		}
		return s
	case ValueFloat32:
		s := make([]float32, n)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return s
	case ValueUint64:
		s := make([]uint64, n)
		for i := range s {
			s[i] = le.Uint64(b[8*i:])
		}
		return s
	case ValueInt64:
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(le.Uint64(b[8*i:]))
		}
		return s
	case ValueFloat64:
		s := make([]float64, n)
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return s
	}
	return nil
}
