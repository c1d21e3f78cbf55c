package kernels

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestARM64KernelChoice: a CPU with the dot product instructions runs the
// NEON kernels, which the generic tests (TestFastMatchesReference,
// TestFastIntegerPartExact, FuzzFastDot, ...) then check against the
// references; one without runs the references. `make test-arm64` runs
// this package under qemu-aarch64 both ways (-cpu max and cortex-a72).
func TestARM64KernelChoice(t *testing.T) {
	want := "ref"
	if cpu.ARM64.HasASIMDDP {
		want = "neon+dotprod"
	}
	// What a worker runs from the start, before any UseReference call.
	if implAtInit != want {
		t.Fatalf("dotprod %v: kernels %q at start, want %q", cpu.ARM64.HasASIMDDP, implAtInit, want)
	}
	UseReference(true)
	UseReference(false)
	if Impl() != want {
		t.Fatalf("dotprod %v: kernels %q after UseReference(false), want %q", cpu.ARM64.HasASIMDDP, Impl(), want)
	}
	t.Logf("dotprod %v: kernels %s", cpu.ARM64.HasASIMDDP, Impl())
}
