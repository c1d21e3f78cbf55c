package kernels

import "github.com/orcd/orcd/gguf"

// rowDot is one weight row (nb blocks of its type) against token blocks
// [blk0, blk0+nb) of a: the signature of the row dots of the weight types
// that have no packed kernels (Q2_K, Q3_K, Q4_1, Q5_0, Q5_1, IQ4_NL,
// IQ4_XS; Q5_K where it is not repacked). Each type's activations are quantized as ggml
// quantizes them for it (actBlock): Q8_K blocks (with BSums) for the
// K-quants, Q8_0 blocks otherwise.
type rowDot func(w []byte, a *Q8, blk0, nb int) float32

// fastExtra holds the assembly row dots of those types, registered by the
// files that implement them (registerExtra in a package-level var, so
// that it runs before init). A type without one here runs on engine/cpu's
// float reference.
var fastExtra = map[gguf.Type]rowDot{}

// refExtra holds their Go definitions, which the tests hold the assembly
// to. They are not used for serving: engine/cpu's float reference is
// faster than integer Go dots on every token.
var refExtra = map[gguf.Type]rowDot{}

func registerExtra(t gguf.Type, fast, ref rowDot) bool {
	if fast != nil {
		fastExtra[t] = fast
	}
	if ref != nil {
		refExtra[t] = ref
	}
	return true
}

// extraDot is the row dot MatMul uses for weights of type t, nil if none
// (or the reference kernels are selected).
func extraDot(t gguf.Type) rowDot {
	if activeName == "ref" {
		return nil
	}
	return fastExtra[t]
}

// quadDot is a rowDot for four tokens at once: out[t] is the dot of w
// with token t's blocks, which start tokBlocks*t blocks after blk0. Every
// out[t] must equal the type's rowDot on that token bit for bit: a token's
// result may not depend on the batch it shares (engine/cpu's promise).
type quadDot func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32)

// fastExtraQuad holds the four-token kernels of the extra types, where
// they have one (registerExtraQuad, as registerExtra).
var fastExtraQuad = map[gguf.Type]quadDot{}

func registerExtraQuad(t gguf.Type, fast quadDot) bool {
	fastExtraQuad[t] = fast
	return true
}

// extraQuad is the four-token kernel MatMul uses for weights of type t,
// nil if none.
func extraQuad(t gguf.Type) quadDot {
	if activeName == "ref" {
		return nil
	}
	return fastExtraQuad[t]
}

// octDot is quadDot for eight tokens (out[t] bit for bit the row dot on
// token t), where wider registers make that pay.
type octDot func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32)

// fastExtraOct holds the eight-token kernels (registerExtraOct).
var fastExtraOct = map[gguf.Type]octDot{}

func registerExtraOct(t gguf.Type, fast octDot) bool {
	fastExtraOct[t] = fast
	return true
}

// extraOct is the eight-token kernel MatMul uses for weights of type t,
// nil if none or the active set may not use AVX-512 (the reference, or
// UseAVX2Only's), which the eight-token kernels need.
func extraOct(t gguf.Type) octDot {
	if !active.wide {
		return nil
	}
	return fastExtraOct[t]
}
