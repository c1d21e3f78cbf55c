//go:build !unix

package gguf

import (
	"fmt"
	"os"
)

// Open reads the whole file into memory where mmap is not available.
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := NewFileBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Release does nothing where files are not mapped.
func (f *File) Release(t *TensorInfo) {}

// ReleaseBytes does nothing where files are not mapped.
func (f *File) ReleaseBytes(b []byte) {}
