//go:build unix

package cpu

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the transparent huge page size of x86-64 and most arm64
// kernels. The repacked weights are streamed once per decode step; with 4
// KiB pages a 1B model touches ~180,000 pages per step; huge pages made
// its eight-sequence decode step 7% faster (engine/kernels/BENCH.md).
const hugePage = 2 << 20

// allocWeights maps n bytes of anonymous memory. Mappings of a huge page
// or more start on a huge page boundary and ask for transparent huge
// pages (MADV_HUGEPAGE on Linux, weightmem_linux.go): Debian's default
// THP mode is "madvise", which gives them only to mappings that ask.
// Where the kernel refuses the advice, or has no such advice (macOS,
// the BSDs), the memory is still good, only with small pages.
func allocWeights(n int) ([]byte, func(), error) {
	if n <= 0 {
		return nil, func() {}, nil
	}
	size := n
	if n >= hugePage {
		size = n + hugePage // room to slide the start onto a boundary
	}
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("cpu: mapping %d bytes for repacked weights: %w", n, err)
	}
	free := func() { _ = unix.Munmap(b) }
	if size == n {
		return b, free, nil
	}
	off := alignOffset(b, hugePage)
	w := b[off : off+n : off+n]
	adviseHugePages(w) // advice only: small pages still work
	return w, free, nil
}

// alignOffset is how far into b the first align-aligned address is.
func alignOffset(b []byte, align uintptr) int {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return int((align - p%align) % align)
}
