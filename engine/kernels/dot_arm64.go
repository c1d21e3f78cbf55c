//go:build arm64

package kernels

import (
	"golang.org/x/sys/cpu"

	"github.com/orcd/orcd/gguf"
)

// hasSDOT: the CPU has the ARMv8.2 dot product instructions (every Apple
// M-series, Graviton 2 and later, Cortex-A76 and later). Without them the
// references run.
var hasSDOT = cpu.ARM64.HasASIMDDP

// neonDots are the NEON kernels (dot_arm64.s) behind the reference
// signatures; the k-quants' row dots are in dot_k_arm64.s.
var neonDots = dotSet{
	q8_0: neonDotQ8_0, q4_0: neonDotQ4_0, q4_K: neonDotQ4_K, q6_K: neonDotQ6_K,
	f16: neonDotF16, f32: neonDotF32,
	q8_0x4: neonQ8_0x4, q4_0x4: neonQ4_0x4, q4_Kx4: neonQ4_Kx4, q6_Kx4: neonQ6_Kx4,
	q4_0x8x1: neonQ4_0x8x1, q4_0x8x4: neonQ4_0x8x4, q8_0x8x1: neonQ8_0x8x1, q8_0x8x4: neonQ8_0x8x4,
	iq4_nlx8x1: neonIQ4_NLx8x1, iq4_nlx8x4: neonIQ4_NLx8x4,
	typed8:   neonTyped8(),
	q5_0x8x1: neonLegacyx8x1(gguf.TypeQ5_0), q4_1x8x1: neonLegacyx8x1(gguf.TypeQ4_1), q5_1x8x1: neonLegacyx8x1(gguf.TypeQ5_1),
	q4_Kx8x1: neonQ4_Kx8x1, q4_Kx8x4: neonQ4_Kx8x4, q6_Kx8x1: neonQ6_Kx8x1, q6_Kx8x4: neonQ6_Kx8x4, q5_Kx8x1: neonQ5_Kx8x1, q5_Kx8x4: neonQ5_Kx8x4,
}

var fastDots = refDots

func init() {
	if hasSDOT {
		fastDots = neonDots
	}
	useFast()
	implAtInit = activeName
}

// implAtInit is the kernel set chosen at start, what a worker runs
// (dot_arm64_test.go checks it).
var implAtInit string

func useFast() {
	if hasSDOT {
		active, activeName = fastDots, "neon+dotprod"
		return
	}
	active, activeName = refDots, "ref"
}

// The wrappers check every bound the assembly relies on, so that a short
// slice panics here, as the references would, instead of reading past it.

func neonDotQ8_0(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _ = w[nb*34-1], a.Qs[(blk0+nb)*32-1], a.D[blk0+nb-1]
	return dotQ8_0SDOT(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

func neonDotQ4_0(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _ = w[nb*18-1], a.Qs[(blk0+nb)*32-1], a.D[blk0+nb-1]
	return dotQ4_0SDOT(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

func neonDotQ4_K(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _, _ = w[nb*144-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], a.BSums[(blk0+nb)*16-1]
	return dotQ4_KSDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
}

func neonDotQ6_K(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _ = w[nb*210-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1]
	return dotQ6_KSDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb)
}

// The packed (LayoutRows8) kernels (gemm_arm64.s): eight rows of one
// group against one token, or four tokens nb blocks apart (token t's
// results at out[t*ostride:]).

func neonQ4_0x8x1(w []byte, a *Q8, blk0, nb int, out []float32) {
	packedArgs(w, 8*18, a, blk0, nb, 1, out, 0)
	gemmQ4_0x8x1NEON(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &out[0])
}

func neonQ4_0x8x4(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	packedArgs(w, 8*18, a, blk0, nb, 4, out, ostride)
	gemmQ4_0x8x4NEON(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &out[0], ostride)
}

func neonQ8_0x8x1(w []byte, a *Q8, blk0, nb int, out []float32) {
	packedArgs(w, 8*34, a, blk0, nb, 1, out, 0)
	gemmQ8_0x8x1NEON(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &out[0])
}

func neonQ8_0x8x4(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	packedArgs(w, 8*34, a, blk0, nb, 4, out, ostride)
	gemmQ8_0x8x4NEON(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &out[0], ostride)
}

func neonQ4_Kx8x1(w []byte, a *Q8, blk0, nb int, out []float32) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	_, _, _, _, _ = w[nb*q4KPackedBlock-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], a.Off[(blk0+nb)*4-1], out[7]
	gemmQ4_Kx8x1NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, &out[0])
}

func neonQ6_Kx8x1(w []byte, a *Q8, blk0, nb int, out []float32) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	_, _, _, _, _ = w[nb*8*q6KBlock-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], a.Off[(blk0+nb)*16-1], out[7]
	gemmQ6_Kx8x1NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, &out[0])
}

func neonQ6_Kx8x4(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	last := blk0 + 4*nb
	_, _, _, _, _ = w[nb*8*q6KBlock-1], a.Qs[last*QK_K-1], a.D[last-1], a.Off[last*16-1], out[3*ostride+7]
	gemmQ6_Kx8x4NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, &out[0], ostride)
}

//go:noescape
func gemmQ6_Kx8x4NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

func neonQ5_Kx8x1(w []byte, a *Q8, blk0, nb int, out []float32) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	_, _, _, _, _ = w[nb*q5KPackedBlock-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], a.Off[(blk0+nb)*4-1], out[7]
	gemmQ5_Kx8x1NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, &out[0])
}

func neonQ5_Kx8x4(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	last := blk0 + 4*nb
	_, _, _, _, _ = w[nb*q5KPackedBlock-1], a.Qs[last*QK_K-1], a.D[last-1], a.Off[last*4-1], out[3*ostride+7]
	gemmQ5_Kx8x4NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, &out[0], ostride)
}

//go:noescape
func gemmQ5_Kx8x4NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

func neonQ4_Kx8x4(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	last := blk0 + 4*nb
	_, _, _, _, _ = w[nb*q4KPackedBlock-1], a.Qs[last*QK_K-1], a.D[last-1], a.Off[last*4-1], out[3*ostride+7]
	gemmQ4_Kx8x4NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, &out[0], ostride)
}

//go:noescape
func gemmQ4_Kx8x4NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x1NEON(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

func neonIQ4_NLx8x1(w []byte, a *Q8, blk0, nb int, out []float32) {
	packedArgs(w, 8*18, a, blk0, nb, 1, out, 0)
	gemmIQ4_NLx8x1NEON(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &out[0], &gguf.KValuesIQ4NL[0])
}

func neonIQ4_NLx8x4(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	packedArgs(w, 8*18, a, blk0, nb, 4, out, ostride)
	gemmIQ4_NLx8x4NEON(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &out[0], ostride, &gguf.KValuesIQ4NL[0])
}

//go:noescape
func gemmIQ4_NLx8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8)

//go:noescape
func gemmIQ4_NLx8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int, cb *int8)

// The packed IQ4_XS layout's kernels (gemm_xs_arm64.s) take the type's
// codebook and factor: IQ4_XS, and IQ3_S and IQ3_XXS re-encoded into it.
func neonXSx8x1(t gguf.Type) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	cb, factor := xsCodebook(t), xsFactor(t)
	return func(w []byte, a *Q8, blk0, nb int, out []float32) {
		if nb <= 0 {
			panic("kernels: packed kernel with no blocks")
		}
		_, _, _, _ = w[nb*iq4xsPackedBlock8-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], out[7]
		gemmXSx8x1NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, &out[0], &cb[0], factor)
	}
}

// The packed Q3_K layout's kernel (gemm_q3_arm64.s), with the type's
// codebook and factor: Q3_K, and the IQ2 and IQ1 types re-encoded into it.
func neonQ3x8x1(t gguf.Type) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	cb, factor := grid3Codebook(t), grid3Factor(t)
	return func(w []byte, a *Q8, blk0, nb int, out []float32) {
		if nb <= 0 {
			panic("kernels: packed kernel with no blocks")
		}
		_, _, _, _ = w[nb*8*q3KPackedRow-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], out[7]
		gemmQ3x8x1NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, &out[0], &cb[0], factor)
	}
}

func neonQ3x8x4(t gguf.Type) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	cb, factor := grid3Codebook(t), grid3Factor(t)
	return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		if nb <= 0 {
			panic("kernels: packed kernel with no blocks")
		}
		last := blk0 + 4*nb
		_, _, _, _ = w[nb*8*q3KPackedRow-1], a.Qs[last*QK_K-1], a.D[last-1], out[3*ostride+7]
		gemmQ3x8x4NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, &out[0], ostride, &cb[0], factor)
	}
}

//go:noescape
func gemmQ3x8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int, cb *int8, factor float32)

//go:noescape
func gemmQ3x8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8, factor float32)

func neonXSx8x4(t gguf.Type) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
	cb, factor := xsCodebook(t), xsFactor(t)
	return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		if nb <= 0 {
			panic("kernels: packed kernel with no blocks")
		}
		last := blk0 + 4*nb
		_, _, _, _ = w[nb*iq4xsPackedBlock8-1], a.Qs[last*QK_K-1], a.D[last-1], out[3*ostride+7]
		gemmXSx8x4NEON(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, &out[0], ostride, &cb[0], factor)
	}
}

//go:noescape
func gemmXSx8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int, cb *int8, factor float32)

//go:noescape
func gemmXSx8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32, cb *int8, factor float32)

// neonTyped8 is the NEON set's typed8: the packed kernels by type of the
// layouts other types are re-encoded into.
func neonTyped8() map[gguf.Type]packedSet {
	m := map[gguf.Type]packedSet{}
	for _, t := range []gguf.Type{gguf.TypeIQ4_XS, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS} {
		m[t] = packedSet{x1: neonXSx8x1(t), x4: neonXSx8x4(t)}
	}
	for _, t := range append([]gguf.Type{gguf.TypeQ3_K}, grid3Types...) {
		m[t] = packedSet{x1: neonQ3x8x1(t), x4: neonQ3x8x4(t)}
	}
	return m
}

// neonLegacyx8x1 is the packed Q5_0, Q4_1 or Q5_1 kernel
// (gemm_legacy_arm64.s); Q4_1 and Q5_1 read Q8.S1 (s_y).
func neonLegacyx8x1(t gguf.Type) func(w []byte, a *Q8, blk0, nb int, out []float32) {
	s, _ := legacyShapeOf(t)
	k := map[gguf.Type]func(w *byte, qs *int8, d, s1 *float32, nb int, out *float32){
		gguf.TypeQ5_0: gemmQ5_0x8x1NEON, gguf.TypeQ4_1: gemmQ4_1x8x1NEON, gguf.TypeQ5_1: gemmQ5_1x8x1NEON,
	}[t]
	return func(w []byte, a *Q8, blk0, nb int, out []float32) {
		packedArgs(w, 8*s.bb, a, blk0, nb, 1, out, 0)
		s1 := &a.D[blk0] // not read by Q5_0
		if s.min {
			_ = a.S1[blk0+nb-1]
			s1 = &a.S1[blk0]
		}
		k(&w[0], &a.Qs[blk0*32], &a.D[blk0], s1, nb, &out[0])
	}
}

//go:noescape
func gemmQ5_0x8x1NEON(w *byte, qs *int8, d, s1 *float32, nb int, out *float32)

//go:noescape
func gemmQ4_1x8x1NEON(w *byte, qs *int8, d, s1 *float32, nb int, out *float32)

//go:noescape
func gemmQ5_1x8x1NEON(w *byte, qs *int8, d, s1 *float32, nb int, out *float32)

// packedArgs checks every bound the packed kernels rely on (nb > 0, the
// group's bytes, the tokens' blocks, the results), so that a short slice
// panics here rather than in the assembly.
func packedArgs(w []byte, blockBytes int, a *Q8, blk0, nb, tokens int, out []float32, ostride int) {
	if nb <= 0 {
		panic("kernels: packed kernel with no blocks")
	}
	last := blk0 + tokens*nb
	_, _, _, _ = w[nb*blockBytes-1], a.Qs[last*32-1], a.D[last-1], out[(tokens-1)*ostride+7]
}

//go:noescape
func gemmQ4_0x8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32)

//go:noescape
func gemmQ4_0x8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x8x1NEON(w *byte, qs *int8, d *float32, nb int, out *float32)

//go:noescape
func gemmQ8_0x8x4NEON(w *byte, qs *int8, d *float32, nb int, out *float32, ostride int)

// The four-token kernels (dot4_arm64.s) give each token its row dot's
// bits; token t's blocks start tokBlocks*t blocks after blk0.

// quadArgs checks every bound a four-token kernel relies on (weights of
// blockBytes a block, the four tokens' blocks, their BSums if bsums), so
// that a short slice panics here rather than in the assembly, and reports
// whether there is a block to multiply (out is zero if not).
func quadArgs(w []byte, blockBytes int, a *Q8, blk0, nb, tokBlocks int, bsums bool, out *[4]float32) bool {
	if nb <= 0 {
		*out = [4]float32{}
		return false
	}
	last := blk0 + 3*tokBlocks + nb
	_, _, _ = w[nb*blockBytes-1], a.Qs[last*a.Block-1], a.D[last-1]
	if bsums {
		_ = a.BSums[last*16-1]
	}
	return true
}

func neonQ8_0x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	if quadArgs(w, 34, a, blk0, nb, tokBlocks, false, out) {
		dotQ8_0x4SDOT(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks, out)
	}
}

func neonQ4_0x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	if quadArgs(w, 18, a, blk0, nb, tokBlocks, false, out) {
		dotQ4_0x4SDOT(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks, out)
	}
}

func neonQ4_Kx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	if quadArgs(w, 144, a, blk0, nb, tokBlocks, true, out) {
		dotQ4_Kx4SDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb, tokBlocks, out)
	}
}

func neonQ6_Kx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	if quadArgs(w, 210, a, blk0, nb, tokBlocks, false, out) {
		dotQ6_Kx4SDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, tokBlocks, out)
	}
}

//go:noescape
func dotQ6_Kx4SDOT(w *byte, qs *int8, d *float32, nb, tokBlocks int, out *[4]float32)

//go:noescape
func dotQ4_Kx4SDOT(w *byte, qs *int8, d *float32, bsums *int16, nb, tokBlocks int, out *[4]float32)

//go:noescape
func dotQ8_0x4SDOT(w *byte, qs *int8, d *float32, nb, tokBlocks int, out *[4]float32)

//go:noescape
func dotQ4_0x4SDOT(w *byte, qs *int8, d *float32, nb, tokBlocks int, out *[4]float32)

// neonDotF32 and neonDotF16 run the multiple-of-32 head in assembly and
// the rest on the reference, as the amd64 kernels do.
func neonDotF32(w []byte, x []float32) float32 { return floatDot(w, x, 4, dotF32NEON, refDotF32) }

func neonDotF16(w []byte, x []float32) float32 { return floatDot(w, x, 2, dotF16NEON, refDotF16) }

func floatDot(w []byte, x []float32, size int, head func(*byte, *float32, int) float32, tail func([]byte, []float32) float32) float32 {
	n := len(x) &^ 31
	var s float32
	if n > 0 {
		_ = w[size*n-1]
		s = head(&w[0], &x[0], n)
	}
	if n < len(x) {
		s += tail(w[size*n:], x[n:])
	}
	return s
}

//go:noescape
func dotQ8_0SDOT(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ4_0SDOT(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ4_KSDOT(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32

//go:noescape
func dotQ6_KSDOT(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotF32NEON(w *byte, x *float32, n int) float32

//go:noescape
func dotF16NEON(w *byte, x *float32, n int) float32

// Q5_K has a row dot here, bit for bit refDotQ5_K (as the amd64 one is),
// so Supported says yes where the CPU has SDOT, and a four-token kernel,
// bit for bit the row dot per token (dot4_arm64.s).
var _ = hasSDOT && registerExtra(gguf.TypeQ5_K, neonDotQ5_K, nil) && registerExtraQuad(gguf.TypeQ5_K, neonQ5_Kx4)

func neonQ5_Kx4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	if quadArgs(w, q5kBytes, a, blk0, nb, tokBlocks, true, out) {
		dotQ5_Kx4SDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb, tokBlocks, out)
	}
}

//go:noescape
func dotQ5_Kx4SDOT(w *byte, qs *int8, d *float32, bsums *int16, nb, tokBlocks int, out *[4]float32)

func neonDotQ5_K(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _, _ = w[nb*q5kBytes-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], a.BSums[(blk0+nb)*16-1]
	return dotQ5_KSDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
}

//go:noescape
func dotQ5_KSDOT(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32

// IQ4_NL and IQ4_XS have row dots here, bit for bit their references
// (dot_iq4_arm64.s).
var (
	_ = hasSDOT && registerExtra(gguf.TypeIQ4_NL, neonDotIQ4_NL, nil)
	_ = hasSDOT && registerExtra(gguf.TypeIQ4_XS, neonDotIQ4_XS, nil)
)

func neonDotIQ4_NL(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _ = w[nb*iq4nlBytes-1], a.Qs[(blk0+nb)*32-1], a.D[blk0+nb-1]
	return dotIQ4_NLSDOT(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, &gguf.KValuesIQ4NL[0])
}

func neonDotIQ4_XS(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _ = w[nb*iq4xsBytes-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1]
	return dotIQ4_XSSDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, &gguf.KValuesIQ4NL[0])
}

//go:noescape
func dotIQ4_NLSDOT(w *byte, qs *int8, d *float32, nb int, cb *int8) float32

//go:noescape
func dotIQ4_XSSDOT(w *byte, qs *int8, d *float32, nb int, cb *int8) float32

// Q2_K and Q3_K have row dots here too, bit for bit the amd64 ones
// (q2kAVX2Model, refDotQ3_K; dot_q2k_arm64.s, dot_q3k_arm64.s).
var (
	_ = hasSDOT && registerExtra(gguf.TypeQ2_K, neonDotQ2_K, nil)
	_ = hasSDOT && registerExtra(gguf.TypeQ3_K, neonDotQ3_K, nil)
)

func neonDotQ2_K(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _, _ = w[nb*q2KBlockBytes-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1], a.BSums[(blk0+nb)*16-1]
	return dotQ2_KSDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
}

func neonDotQ3_K(w []byte, a *Q8, blk0, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _, _ = w[nb*q3kBytes-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1]
	return dotQ3_KSDOT(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb)
}

//go:noescape
func dotQ3_KSDOT(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ2_KSDOT(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32
