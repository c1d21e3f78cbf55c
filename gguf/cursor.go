package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
)

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
		return decodeEach(b, n, 1, func(p []byte) int8 { return int8(p[0]) })
	case ValueBool:
		return decodeEach(b, n, 1, func(p []byte) bool { return p[0] != 0 })
	case ValueUint16:
		return decodeEach(b, n, 2, le.Uint16)
	case ValueInt16:
		return decodeEach(b, n, 2, func(p []byte) int16 { return int16(le.Uint16(p)) })
	case ValueUint32:
		return decodeEach(b, n, 4, le.Uint32)
	case ValueInt32:
		return decodeEach(b, n, 4, func(p []byte) int32 { return int32(le.Uint32(p)) })
	case ValueFloat32:
		return decodeEach(b, n, 4, func(p []byte) float32 { return math.Float32frombits(le.Uint32(p)) })
	case ValueUint64:
		return decodeEach(b, n, 8, le.Uint64)
	case ValueInt64:
		return decodeEach(b, n, 8, func(p []byte) int64 { return int64(le.Uint64(p)) })
	case ValueFloat64:
		return decodeEach(b, n, 8, func(p []byte) float64 { return math.Float64frombits(le.Uint64(p)) })
	}
	return nil
}

// decodeEach decodes n little-endian elements of size bytes each.
func decodeEach[T any](b []byte, n, size int, conv func([]byte) T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = conv(b[i*size:])
	}
	return s
}
