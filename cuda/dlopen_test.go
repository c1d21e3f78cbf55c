//go:build cgo

package cuda

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
)

func TestLoadLibraryRejectsNonLibraries(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "liborcd_cuda.so")
	if err := os.WriteFile(bad, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Available(bad)
	if !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), "dlopen") {
		t.Fatalf("Available(non-library) = %v, want a dlopen error wrapping ErrNoLibrary", err)
	}
	// A real shared library without our symbols.
	if libc := "/lib/x86_64-linux-gnu/libc.so.6"; fileExists(libc) {
		err := Available(libc)
		if !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), "orcd_abi_version") {
			t.Fatalf("Available(libc) = %v, want a missing-symbol error", err)
		}
	}
	if _, err := Open(&engine.Model{}, Options{LibPath: bad}); !errors.Is(err, ErrNoLibrary) {
		t.Fatalf("Open with a bad library = %v, want ErrNoLibrary", err)
	}
}
