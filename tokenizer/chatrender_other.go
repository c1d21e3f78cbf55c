//go:build !linux

package tokenizer

import "runtime/debug"

// limitMemory is a soft limit where RLIMIT_AS is not dependable: the
// garbage collector works harder near it, and the deadline does the rest.
func limitMemory(n int64) error {
	debug.SetMemoryLimit(n)
	return nil
}

// selfExe is empty: os.Executable finds the binary.
const selfExe = ""
