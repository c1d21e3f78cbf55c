//go:build unix

package cpu

import "testing"

// TestAllocWeightsAligned: a mapping of a huge page or more starts on a
// huge page boundary (where MADV_HUGEPAGE can take effect), is exactly as
// long as asked, is zeroed and writable to its end; a smaller one is plain.
func TestAllocWeightsAligned(t *testing.T) {
	for _, n := range []int{1, 4096, hugePage - 1, hugePage, 3*hugePage + 12345} {
		b, free, err := allocWeights(n)
		if err != nil {
			t.Fatalf("allocWeights(%d): %v", n, err)
		}
		if len(b) != n || cap(b) != n {
			t.Errorf("allocWeights(%d): len %d cap %d", n, len(b), cap(b))
		}
		if n >= hugePage && alignOffset(b, hugePage) != 0 {
			t.Errorf("allocWeights(%d): start %d bytes past a huge page boundary", n, hugePage-alignOffset(b, hugePage))
		}
		if b[0] != 0 || b[n-1] != 0 {
			t.Errorf("allocWeights(%d): not zeroed", n)
		}
		b[0], b[n-1] = 1, 2
		free()
	}
}
