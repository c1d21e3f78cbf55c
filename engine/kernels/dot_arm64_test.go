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
	UseReference(false)
	want := "ref"
	if cpu.ARM64.HasASIMDDP {
		want = "neon+dotprod"
	}
	if Impl() != want {
		t.Fatalf("dotprod %v: kernels %q, want %q", cpu.ARM64.HasASIMDDP, Impl(), want)
	}
	t.Logf("dotprod %v: kernels %s", cpu.ARM64.HasASIMDDP, Impl())
}
