//go:build unix

package gguf

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Open memory-maps the file at path and parses it. Tensor data is never
// copied: each TensorInfo.Data is a slice of the read-only mapping, paged in
// by the kernel only when read. Call Close to unmap.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, fmt.Errorf("%s: %w", path, &FormatError{0, "empty file"})
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("%s: file too large to map", path)
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	f, err := NewFileBytes(data)
	if err != nil {
		syscall.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.mapped = true
	f.closeFn = func() error { return syscall.Munmap(data) }
	return f, nil
}

// Release tells the kernel that t's mapped pages are not needed for now:
// they leave this process's resident set and are read from the file again
// if t.Data is touched later. A backend that keeps its own copy of a
// tensor (repacked, say) calls it so the tensor is not resident twice.
// It does nothing for files not opened with Open.
func (f *File) Release(t *TensorInfo) {
	if t != nil {
		f.ReleaseBytes(t.Data)
	}
}

// ReleaseBytes is Release for any part b of the file's tensor data (the
// whole pages inside it); b from anywhere else is ignored.
func (f *File) ReleaseBytes(b []byte) {
	if !f.mapped || f.data == nil || len(b) == 0 {
		return
	}
	page := uintptr(syscall.Getpagesize())
	base := uintptr(unsafe.Pointer(unsafe.SliceData(f.data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < base || p-base+uintptr(len(b)) > uintptr(len(f.data)) {
		return // not part of this file
	}
	start := p - base
	end := start + uintptr(len(b))
	start = (start + page - 1) &^ (page - 1)
	end &^= page - 1
	if end > start {
		_ = unix.Madvise(f.data[start:end], unix.MADV_DONTNEED) // advice only
	}
}
