package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// NewValue wraps a Go value as metadata, choosing the GGUF type from the Go
// type: uint8..int64, float32/64, bool, string, a slice of one of those,
// []Array for nested arrays, or an Array.
func NewValue(v any) (Value, error) {
	if t, ok := scalarType(v); ok {
		return Value{t, v}, nil
	}
	if a, ok := v.(Array); ok {
		return Value{ValueArray, a}, checkArray(a, 0)
	}
	a := Array{Values: v}
	switch v.(type) {
	case []Array:
		a.Elem = ValueArray
	default:
		et, ok := sliceElemType(v)
		if !ok {
			return Value{}, fmt.Errorf("gguf: %T cannot be a metadata value", v)
		}
		a.Elem = et
	}
	return Value{ValueArray, a}, checkArray(a, 0)
}

// MustValue is NewValue for literals known to be valid; it panics otherwise.
func MustValue(v any) Value {
	val, err := NewValue(v)
	if err != nil {
		panic(err)
	}
	return val
}

func scalarType(v any) (ValueType, bool) {
	switch v.(type) {
	case uint8:
		return ValueUint8, true
	case int8:
		return ValueInt8, true
	case uint16:
		return ValueUint16, true
	case int16:
		return ValueInt16, true
	case uint32:
		return ValueUint32, true
	case int32:
		return ValueInt32, true
	case float32:
		return ValueFloat32, true
	case bool:
		return ValueBool, true
	case string:
		return ValueString, true
	case uint64:
		return ValueUint64, true
	case int64:
		return ValueInt64, true
	case float64:
		return ValueFloat64, true
	}
	return 0, false
}

func sliceElemType(v any) (ValueType, bool) {
	switch v.(type) {
	case []uint8:
		return ValueUint8, true
	case []int8:
		return ValueInt8, true
	case []uint16:
		return ValueUint16, true
	case []int16:
		return ValueInt16, true
	case []uint32:
		return ValueUint32, true
	case []int32:
		return ValueInt32, true
	case []float32:
		return ValueFloat32, true
	case []bool:
		return ValueBool, true
	case []string:
		return ValueString, true
	case []uint64:
		return ValueUint64, true
	case []int64:
		return ValueInt64, true
	case []float64:
		return ValueFloat64, true
	case []Array:
		return ValueArray, true
	}
	return 0, false
}

// checkValue verifies that the Go value held matches the declared type, so
// the writer never encodes something the reader would decode differently.
func checkValue(v Value, depth int) error {
	if v.Type == ValueArray {
		a, ok := v.V.(Array)
		if !ok {
			return fmt.Errorf("type array holds %T", v.V)
		}
		return checkArray(a, depth)
	}
	t, ok := scalarType(v.V)
	if !ok || t != v.Type {
		return fmt.Errorf("type %s holds %T", v.Type, v.V)
	}
	return nil
}

func checkArray(a Array, depth int) error {
	if depth >= maxArrayDepth {
		return fmt.Errorf("arrays nested deeper than %d", maxArrayDepth)
	}
	et, ok := sliceElemType(a.Values)
	if !ok || et != a.Elem {
		return fmt.Errorf("array of %s holds %T", a.Elem, a.Values)
	}
	if sub, ok := a.Values.([]Array); ok {
		for i := range sub {
			if err := checkArray(sub[i], depth+1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return nil
}

// value encodes v (already checked) without its type tag.
func (w *Writer) value(v Value) {
	if v.Type == ValueArray {
		w.array(v.V.(Array))
		return
	}
	w.raw(appendScalar(nil, v.V))
}

func (w *Writer) array(a Array) {
	w.u32(uint32(a.Elem))
	w.u64(uint64(a.Len()))
	switch s := a.Values.(type) {
	case []string:
		for _, x := range s {
			w.str(x)
		}
	case []Array:
		for _, x := range s {
			w.array(x)
		}
	default:
		w.raw(appendScalarSlice(nil, a.Values))
	}
}

func appendScalar(b []byte, v any) []byte {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		return append(b, x)
	case int8:
		return append(b, uint8(x))
	case bool:
		if x {
			return append(b, 1)
		}
		return append(b, 0)
	case uint16:
		return le.AppendUint16(b, x)
	case int16:
		return le.AppendUint16(b, uint16(x))
	case uint32:
		return le.AppendUint32(b, x)
	case int32:
		return le.AppendUint32(b, uint32(x))
	case float32:
		return le.AppendUint32(b, math.Float32bits(x))
	case uint64:
		return le.AppendUint64(b, x)
	case int64:
		return le.AppendUint64(b, uint64(x))
	case float64:
		return le.AppendUint64(b, math.Float64bits(x))
	case string:
		return append(le.AppendUint64(b, uint64(len(x))), x...)
	}
	return b
}

func appendScalarSlice(b []byte, v any) []byte {
	switch s := v.(type) {
	case []uint8:
		return append(b, s...)
	case []int8:
		return appendEach(b, s)
	case []bool:
		return appendEach(b, s)
	case []uint16:
		return appendEach(b, s)
	case []int16:
		return appendEach(b, s)
	case []uint32:
		return appendEach(b, s)
	case []int32:
		return appendEach(b, s)
	case []float32:
		return appendEach(b, s)
	case []uint64:
		return appendEach(b, s)
	case []int64:
		return appendEach(b, s)
	case []float64:
		return appendEach(b, s)
	}
	return b
}

// appendEach encodes every element of s with appendScalar.
func appendEach[T any](b []byte, s []T) []byte {
	for _, x := range s {
		b = appendScalar(b, x)
	}
	return b
}
