package cuda

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests need no GPU: they cover finding and refusing libraries.

func TestFindLibraryOrder(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.so"), filepath.Join(dir, "b.so")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(EnvLib, b)
	if got, err := FindLibrary(a); err != nil || got != a {
		t.Fatalf("explicit path: got %q, %v; want %q", got, err, a)
	}
	if got, err := FindLibrary(""); err != nil || got != b {
		t.Fatalf("$%s: got %q, %v; want %q", EnvLib, got, err, b)
	}
	missing := filepath.Join(dir, "missing.so")
	if _, err := FindLibrary(missing); !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing explicit path: %v", err)
	}
	t.Setenv(EnvLib, missing)
	if _, err := FindLibrary(""); !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), EnvLib) {
		t.Fatalf("missing $%s path: %v", EnvLib, err)
	}
	// Beside the executable: found there if present, else an error naming it.
	t.Setenv(EnvLib, "")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	beside := filepath.Join(filepath.Dir(exe), LibName)
	got, err := FindLibrary("")
	if fileExists(beside) {
		if err != nil || got != beside {
			t.Fatalf("library beside the executable: got %q, %v; want %q", got, err, beside)
		}
	} else if !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), LibName) {
		t.Fatalf("nothing configured: %v", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
