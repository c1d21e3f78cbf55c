package gguf

import (
	"errors"
	"fmt"
)

// ErrKeyNotFound is wrapped by accessor errors for an absent key.
var ErrKeyNotFound = errors.New("metadata key not found")

// KeyError reports a missing key or a key holding another type than asked for.
type KeyError struct {
	Key  string
	Want string
	Got  ValueType // meaningful when Missing is false
	// Missing is true when the key is absent.
	Missing bool
}

func (e *KeyError) Error() string {
	if e.Missing {
		return fmt.Sprintf("gguf: metadata key %q not found", e.Key)
	}
	return fmt.Sprintf("gguf: metadata key %q holds %s, want %s", e.Key, e.Got, e.Want)
}

func (e *KeyError) Unwrap() error {
	if e.Missing {
		return ErrKeyNotFound
	}
	return nil
}

// Get returns the raw value of key.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.index[key]
	if !ok {
		return Value{}, false
	}
	return f.Metadata[i].Value, true
}

// Has reports whether key is present.
func (f *File) Has(key string) bool { _, ok := f.index[key]; return ok }

// Arch returns general.architecture, or "" when absent.
func (f *File) Arch() string {
	s, _ := f.String("general.architecture")
	return s
}

// ArchKey prefixes name with the architecture: ArchKey("context_length")
// is "llama.context_length" for a llama file.
func (f *File) ArchKey(name string) string { return f.Arch() + "." + name }

func (f *File) lookup(key, want string) (Value, error) {
	v, ok := f.Get(key)
	if !ok {
		return Value{}, &KeyError{Key: key, Want: want, Missing: true}
	}
	return v, nil
}

// String returns a string value.
func (f *File) String(key string) (string, error) {
	v, err := f.lookup(key, "string")
	if err != nil {
		return "", err
	}
	s, ok := v.V.(string)
	if !ok {
		return "", &KeyError{Key: key, Want: "string", Got: v.Type}
	}
	return s, nil
}

// Bool returns a bool value.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.lookup(key, "bool")
	if err != nil {
		return false, err
	}
	b, ok := v.V.(bool)
	if !ok {
		return false, &KeyError{Key: key, Want: "bool", Got: v.Type}
	}
	return b, nil
}

// Int returns any integer-typed value as int64. Converters write counts as
// uint32 or uint64 inconsistently, so callers should not care which.
func (f *File) Int(key string) (int64, error) {
	v, err := f.lookup(key, "integer")
	if err != nil {
		return 0, err
	}
	n, ok := v.asInt64()
	if !ok {
		return 0, &KeyError{Key: key, Want: "integer", Got: v.Type}
	}
	return n, nil
}

// Uint32 returns an integer value that must fit in uint32.
func (f *File) Uint32(key string) (uint32, error) {
	n, err := f.Int(key)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 1<<32-1 {
		return 0, fmt.Errorf("gguf: metadata key %q value %d does not fit in uint32", key, n)
	}
	return uint32(n), nil
}

// Float32 returns a float value (float32 or float64 in the file).
func (f *File) Float32(key string) (float32, error) {
	v, err := f.lookup(key, "float")
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case float32:
		return x, nil
	case float64:
		return float32(x), nil
	}
	return 0, &KeyError{Key: key, Want: "float32", Got: v.Type}
}

// Array returns an array value.
func (f *File) Array(key string) (Array, error) {
	v, err := f.lookup(key, "array")
	if err != nil {
		return Array{}, err
	}
	a, ok := v.V.(Array)
	if !ok {
		return Array{}, &KeyError{Key: key, Want: "array", Got: v.Type}
	}
	return a, nil
}

// Strings returns an array of strings.
func (f *File) Strings(key string) ([]string, error) {
	a, err := f.Array(key)
	if err != nil {
		return nil, err
	}
	s, ok := a.Values.([]string)
	if !ok {
		return nil, &KeyError{Key: key, Want: "array of string", Got: a.Elem}
	}
	return s, nil
}

// Float32s returns an array of float32.
func (f *File) Float32s(key string) ([]float32, error) {
	a, err := f.Array(key)
	if err != nil {
		return nil, err
	}
	s, ok := a.Values.([]float32)
	if !ok {
		return nil, &KeyError{Key: key, Want: "array of float32", Got: a.Elem}
	}
	return s, nil
}

// Int32s returns an array of any integer element type as []int32, failing
// if a value does not fit (token types are int32, some writers use others).
func (f *File) Int32s(key string) ([]int32, error) {
	a, err := f.Array(key)
	if err != nil {
		return nil, err
	}
	out := make([]int32, a.Len())
	switch s := a.Values.(type) {
	case []int32:
		copy(out, s)
	case []uint32:
		for i, x := range s {
			if x > 1<<31-1 {
				return nil, fmt.Errorf("gguf: metadata key %q element %d value %d does not fit in int32", key, i, x)
			}
			out[i] = int32(x)
		}
	case []int8:
		for i, x := range s {
			out[i] = int32(x)
		}
	case []uint8:
		for i, x := range s {
			out[i] = int32(x)
		}
	case []int16:
		for i, x := range s {
			out[i] = int32(x)
		}
	case []uint16:
		for i, x := range s {
			out[i] = int32(x)
		}
	case []int64:
		for i, x := range s {
			if x < -1<<31 || x > 1<<31-1 {
				return nil, fmt.Errorf("gguf: metadata key %q element %d value %d does not fit in int32", key, i, x)
			}
			out[i] = int32(x)
		}
	default:
		return nil, &KeyError{Key: key, Want: "array of integer", Got: a.Elem}
	}
	return out, nil
}
