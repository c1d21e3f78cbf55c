package kernels

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/orcd/orcd/gguf"
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

// TestNEONQuadSweep holds the four-token kernels of Q8_0, Q4_0, Q4_K and
// Q6_K to their row dots bit for bit on every token (a token's result may
// not depend on its batch), over sweepShape's nb and blk0, tokBlocks = nb
// and larger, and extreme blocks: every quant byte 0x00 or 0xff (the
// scales' bytes left as drawn) against activations of ±127.
func TestNEONQuadSweep(t *testing.T) {
	if !hasSDOT {
		t.Skip("no dotprod: the references run, without four-token kernels")
	}
	scales := map[gguf.Type][2]int{ // the bytes of a block that hold its f16 scales
		gguf.TypeQ8_0: {0, 2}, gguf.TypeQ4_0: {0, 2}, gguf.TypeQ4_K: {0, 4}, gguf.TypeQ6_K: {208, 210},
	}
	for _, typ := range []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K} {
		r := rand.New(rand.NewPCG(uint64(typ), 71))
		x4, row := quad(typ), dotOf(neonDots, typ)
		var out [4]float32
		for rep := 0; rep < 300; rep++ {
			nb, blk0 := sweepShape(rep)
			tokBlocks := nb
			if rep%3 == 1 {
				tokBlocks = nb + 1 + r.IntN(5)
			}
			w := randWeights(r, typ, nb)
			a := actsFor(t, r, typ, blk0+3*tokBlocks+nb, 1)
			if rep%25 == 1 {
				bs, s := typ.BlockBytes(), scales[typ]
				fillBlocks(w, bs, 0, s[0], byte(0xff*(rep/25%2)))
				fillBlocks(w, bs, s[1], bs, byte(0xff*(rep/25%2)))
				setActs(a, func(i int) int8 { return int8(127 - 255*(i%2)) })
			}
			x4(w, a, blk0, nb, tokBlocks, &out)
			for tok, g := range out {
				if want := row(w, a, blk0+tok*tokBlocks, nb); !sameBits(g, want) {
					t.Fatalf("%v rep %d nb=%d blk0=%d tokBlocks=%d token %d: four-token %v, row dot %v",
						typ, rep, nb, blk0, tokBlocks, tok, g, want)
				}
			}
		}
	}
}
