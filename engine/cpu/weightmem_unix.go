//go:build unix

package cpu

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// allocWeights maps n bytes of anonymous memory.
func allocWeights(n int) ([]byte, func(), error) {
	if n <= 0 {
		return nil, func() {}, nil
	}
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("cpu: mapping %d bytes for repacked weights: %w", n, err)
	}
	return b, func() { _ = unix.Munmap(b) }, nil
}
