package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

var iq4Types = []gguf.Type{gguf.TypeIQ4_XS, gguf.TypeIQ4_NL}

// iq4Row is nb random blocks of t: random nibbles and (IQ4_XS) random
// 6-bit scales, d a realistic f16 of either sign. mode 1 makes every
// nibble 0 (codebook -127) and every scale 0 (ls-32 = -32), mode 2 every
// scale 63 (ls-32 = 31): the largest magnitudes the lanes must hold.
func iq4Row(r *rand.Rand, t gguf.Type, nb, mode int) []byte {
	bs := t.BlockBytes()
	w := make([]byte, nb*bs)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		blk := w[b*bs : (b+1)*bs]
		h := f32ToF16((r.Float32() - 0.5) * 0.02)
		blk[0], blk[1] = byte(h), byte(h>>8)
		if t != gguf.TypeIQ4_XS || mode == 0 {
			if mode == 1 {
				clear(blk[2:])
			}
			continue
		}
		fill := byte(0)
		if mode == 2 {
			fill = 0xff
		}
		for i := 2; i < 8; i++ {
			blk[i] = fill
		}
		if mode == 1 {
			clear(blk[8:])
		}
	}
	return w
}

// iq4Extreme is an activation of all -127 (Q8_0) or all -128 (Q8_K)
// quants with scale 1: against mode-1 rows, the largest lane sums.
func iq4Extreme(typ gguf.Type, blocks int) *Q8 {
	bs, q := typ.BlockSize(), int8(-127)
	if typ == gguf.TypeIQ4_XS {
		q = -128
	}
	a := &Q8{Qs: make([]int8, blocks*bs), D: make([]float32, blocks), Block: bs}
	for i := range a.Qs {
		a.Qs[i] = q
	}
	for i := range a.D {
		a.D[i] = 1
	}
	return a
}

// iq4Scales are the activation scales the tests run. Q8_K gives every
// nonzero block a -128 (ggml's quantizer maps the value of largest
// magnitude to -128), which the IQ4_XS kernel must take.
var iq4Scales = []float32{1, 1e-3, 300}

// iq4Case makes sweep cases of typ (sweepGen): activations at each of
// iq4Scales in turn, rows of iq4Row's modes 0, 1 and 2 (seven cases each
// in turn), and against half of the mode-1 rows iq4Extreme's activations.
func iq4Case(typ gguf.Type) sweepGen {
	return func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
		mode := rep / 7 % 3
		a := actsFor(tb, r, typ, blocks, iq4Scales[rep%3])
		if mode == 1 && rep%2 == 0 {
			a = iq4Extreme(typ, blocks)
		}
		return iq4Row(r, typ, nb, mode), a
	}
}

func TestExtraIQ4ReferenceMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(60, 61))
	for _, typ := range iq4Types {
		sweepDefinition(t, typ, r, 7, iq4Case(typ), nil)
	}
}

// The assembly must equal the reference bit for bit: same int32 lanes,
// same FMAs in the same order, same final sum. The rows run 1..20 IQ4_XS
// or 1..70 IQ4_NL blocks against one of up to three tokens, with iq4Case's
// scales, modes and extreme activations; IQ4_XS must have met -128.
func TestExtraIQ4FastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(62, 63))
	for _, typ := range iq4Types {
		maxNB := 20
		if typ == gguf.TypeIQ4_NL {
			maxNB = 70
		}
		neg128 := sweepTokens(t, typ, r, 1200, maxNB, iq4Case(typ))
		if typ == gguf.TypeIQ4_XS && fastExtra[typ] != nil && neg128 == 0 && !t.Failed() {
			t.Errorf("%v: no -128 activation quant tested", typ)
		}
	}
}

// The benchmarks run 256 rows of 16 IQ4_XS blocks (557 KB) or 64 IQ4_NL
// blocks (295 KB), 4096 or 2048 values a row, against one token: the
// weights stay in L2. The metric is weight GB/s.
func BenchmarkExtraDotIQ4_XS(b *testing.B) { benchIQ4(b, gguf.TypeIQ4_XS, 16, 1) }
func BenchmarkExtraDotIQ4_NL(b *testing.B) { benchIQ4(b, gguf.TypeIQ4_NL, 64, 1) }

// benchIQ4 streams the benchmarks' rows of typ against one token
// (benchRowDots) or four (benchQuad).
func benchIQ4(b *testing.B, typ gguf.Type, nb, tokens int) {
	r := rand.New(rand.NewPCG(64, 65))
	const rows = 256
	a := actsFor(b, r, typ, tokens*nb, 1)
	w := iq4Row(r, typ, rows*nb, 0)
	if tokens == 1 {
		benchRowDots(b, typ, w, a, rows, nb)
	} else {
		benchQuad(b, typ, w, a, rows, nb, quadNames)
	}
}
