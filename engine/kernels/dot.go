package kernels

import "github.com/orcd/orcd/gguf"

// dotSet is one implementation of every kernel. Quantized kernels take nb
// weight blocks from w and the activation blocks starting at block blk0 of a.
type dotSet struct {
	q8_0, q4_0, q4_K, q6_K func(w []byte, a *Q8, blk0, nb int) float32
	f16, f32               func(w []byte, x []float32) float32
	// f16rows, nil where there is none, multiplies rows [0, rows) of an
	// F16 matrix (rb bytes apart; cols a multiple of 16) by nTok tokens in
	// register tiles, token t's results at out[t*ostride:][:rows]. A
	// result does not depend on rows, nTok or the row's place in the tile.
	f16rows func(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int)
	// bf16rows is f16rows for BF16 weights; without it BF16 runs on
	// engine/cpu's reference (Supported says no).
	bf16rows func(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int)
	// bf16DP: bf16rows runs rows of a multiple of 32 columns on the
	// vdpbf16ps tiles (bf16dp_amd64.go), whose lanes add column pairs.
	bf16DP bool
	// Four-token kernels (nil where there is none): out[t] is the dot of
	// w with token t's blocks, which start tokBlocks*t blocks after blk0.
	// Results equal four single-token calls (bit for bit for Q8_0, Q4_K, Q6_K).
	q8_0x4, q4_0x4, q4_Kx4, q6_Kx4 func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32)
	// Packed (LayoutRows8) kernels, nil in the reference set: eight rows
	// of one group against one token (out[0:8]) or four tokens (token t's
	// eight results at out[t*ostride:]), tokens nb blocks apart.
	q4_0x8x1, q8_0x8x1, q6_Kx8x1, q4_Kx8x1, q5_Kx8x1, iq4_nlx8x1, q5_0x8x1, q4_1x8x1, q5_1x8x1 func(w []byte, a *Q8, blk0, nb int, out []float32)
	q4_0x8x2, q8_0x8x2, q6_Kx8x2, q4_Kx8x2, q5_Kx8x2, iq4_nlx8x2, q5_0x8x2, q4_1x8x2, q5_1x8x2 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
	q4_0x8x4, q8_0x8x4, q6_Kx8x4, q4_Kx8x4, q5_Kx8x4, iq4_nlx8x4, q5_0x8x4, q4_1x8x4, q5_1x8x4 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
	q4_0x8x8, q8_0x8x8, q6_Kx8x8, q4_Kx8x8, q5_Kx8x8, iq4_nlx8x8, q5_0x8x8, q4_1x8x8, q5_1x8x8 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) // eight tokens
	// Sixteen-row (LayoutRows16) kernels: as above with sixteen results
	// per token.
	q4_0x16x1, q8_0x16x1, q4_Kx16x1, q5_Kx16x1, q6_Kx16x1, iq4_nlx16x1, q5_0x16x1, q4_1x16x1, q5_1x16x1, iq4_xsx16x1, q2_Kx16x1, q3_Kx16x1 func(w []byte, a *Q8, blk0, nb int, out []float32)
	q4_0x16x2, q8_0x16x2, q4_Kx16x2, q5_Kx16x2, q6_Kx16x2, iq4_nlx16x2, q5_0x16x2, q4_1x16x2, q5_1x16x2, iq4_xsx16x2, q2_Kx16x2, q3_Kx16x2 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
	q4_0x16x4, q8_0x16x4, q4_Kx16x4, q5_Kx16x4, q6_Kx16x4, iq4_nlx16x4, q5_0x16x4, q4_1x16x4, q5_1x16x4, iq4_xsx16x4, q2_Kx16x4, q3_Kx16x4 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
	q4_0x16x8, q8_0x16x8, q4_Kx16x8, q5_Kx16x8, q6_Kx16x8, iq4_nlx16x8, q5_0x16x8, q4_1x16x8, q5_1x16x8, iq4_xsx16x8, q2_Kx16x8, q3_Kx16x8 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
	// typed8 and typed16 are more eight- and sixteen-row kernels, by
	// type: those of the types Pack re-encodes into another type's layout
	// (IQ3_S and IQ3_XXS into IQ4_XS's, pack_iq3.go; the IQ2 and IQ1 types
	// into Q3_K's, pack_grid3.go) and Q3_K's AVX2 ones. Nil where none.
	typed8, typed16 map[gguf.Type]packedSet
	// wide: the set may run AVX-512 kernels (extra.go's eight-token ones).
	wide bool
	// needCorr: the Q4_0 kernels and the Q8_0 four-token kernel read
	// Q8.Corr, so quantization makes it.
	needCorr bool
}

var refDots = dotSet{
	q8_0: refDotQ8_0, q4_0: refDotQ4_0, q4_K: refDotQ4_K, q6_K: refDotQ6_K,
	f16: refDotF16, f32: refDotF32,
}

// active is the set MatMul uses: the fast one when the CPU supports it.
var (
	active     = refDots
	activeName = "ref"
)

// refRequested: UseReference(true) is in force. On arm64 the float
// kernels (NEON, in the base architecture) run unless it is, whatever
// the dot set.
var refRequested bool

// Impl names the kernels in use: "avx2" or "ref".
func Impl() string { return activeName }

// UseReference switches every kernel to the pure-Go reference (on=true) or
// back to the fastest the CPU supports. It is meant for tests and
// benchmarks and must not be called while a MatMul runs.
func UseReference(on bool) {
	refRequested = on
	if on {
		active, activeName = refDots, "ref"
		return
	}
	useFast()
}

// DotF32 is the dot product of two float32 vectors of equal length (the
// shorter length is used), with the fastest kernel the CPU supports: for
// attention scores and other float work outside MatMul.
func DotF32(a, b []float32) float32 {
	n := min(len(a), len(b))
	if n == 0 {
		return 0
	}
	return active.f32(F32Bytes(a[:n]), b[:n])
}
