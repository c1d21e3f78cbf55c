//go:build !unix

package cpu

// allocWeights uses the Go heap where there is no anonymous mmap.
func allocWeights(n int) ([]byte, func(), error) {
	return make([]byte, n), func() {}, nil
}
