package gguf

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir is the read-only ground truth beside the repository.
const sharedDir = "../../shared/testdata"

// fixture returns the path of a file under ../shared/testdata, failing the
// test (never skipping) when it is missing.
func fixture(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(sharedDir, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("missing ground-truth file %s: %v", p, err)
	}
	return p
}

// openFixture opens a model or vocab fixture and closes it with the test.
func openFixture(tb testing.TB, rel string) *File {
	tb.Helper()
	f, err := Open(fixture(tb, rel))
	if err != nil {
		tb.Fatalf("open %s: %v", rel, err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}
