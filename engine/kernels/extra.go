package kernels

import "github.com/orcd/orcd/gguf"

// The weight types without packed kernels (Q2_K, Q3_K, Q4_1, Q5_0, Q5_1,
// IQ4_NL, IQ4_XS, the IQ2 and IQ3 grid types; Q5_K where it is not
// repacked) have row dots, and where they pay, kernels for four and eight
// tokens at once. Each type's
// activations are quantized as ggml quantizes them for it (actBlock): Q8_K
// blocks (with BSums) for the K-quants, Q8_0 blocks otherwise. The files
// that implement them register them from package-level vars, which run
// before init. A type without a fast row dot runs on engine/cpu's float
// reference.

// rowDot is one weight row (nb blocks of its type) against token blocks
// [blk0, blk0+nb) of a.
type rowDot func(w []byte, a *Q8, blk0, nb int) float32

// quadDot is a rowDot for four tokens at once: out[t] is the dot of w
// with token t's blocks, which start tokBlocks*t blocks after blk0. Every
// out[t] must equal the type's rowDot on that token bit for bit: a token's
// result may not depend on the batch it shares (engine/cpu's promise).
type quadDot func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32)

// octDot is quadDot for eight tokens, where AVX-512's registers make that
// pay.
type octDot func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32)

// byType is one kind of kernel, by weight type.
type byType[F any] map[gguf.Type]F

func (m byType[F]) put(t gguf.Type, f F) bool {
	m[t] = f
	return true
}

var (
	fastExtra     = byType[rowDot]{}
	fastExtraQuad = byType[quadDot]{}
	fastExtraOct  = byType[octDot]{}
	// refExtra holds the row dots' Go definitions, which the tests hold
	// the assembly to. They do not serve: engine/cpu's float reference is
	// faster than integer Go dots on every token.
	refExtra = byType[rowDot]{}
)

func registerExtra(t gguf.Type, fast, ref rowDot) bool {
	if fast != nil {
		fastExtra.put(t, fast)
	}
	if ref != nil {
		refExtra.put(t, ref)
	}
	return true
}

func registerExtraQuad(t gguf.Type, f quadDot) bool { return fastExtraQuad.put(t, f) }

func registerExtraOct(t gguf.Type, f octDot) bool { return fastExtraOct.put(t, f) }

// extraDot, extraQuad and extraOct are the kernels MatMul uses for
// weights of type t, nil if none or the active set may not use them: the
// reference set uses none, and the eight-token kernels need AVX-512
// (active.wide), which UseAVX2Only's set does not allow.
func extraDot(t gguf.Type) rowDot {
	if activeName == "ref" {
		return nil
	}
	return fastExtra[t]
}

func extraQuad(t gguf.Type) quadDot {
	if activeName == "ref" {
		return nil
	}
	return fastExtraQuad[t]
}

func extraOct(t gguf.Type) octDot {
	if !active.wide {
		return nil
	}
	return fastExtraOct[t]
}
