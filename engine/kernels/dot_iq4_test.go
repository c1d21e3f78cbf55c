package kernels

import (
	"math"
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

// iq4Acts quantizes blocks of normal values (times scale) as ggml does
// for t. Q8_K gives every nonzero block a -128 (ggml's quantizer maps the
// value of largest magnitude to -128), which the IQ4_XS kernel must take.
func iq4Acts(t testing.TB, r *rand.Rand, typ gguf.Type, blocks int, scale float32) *Q8 {
	x := randVec(r, blocks*typ.BlockSize())
	for i := range x {
		x[i] *= scale
	}
	var a Q8
	var err error
	if typ == gguf.TypeIQ4_XS {
		err = QuantizeQ8_K(&a, x)
	} else {
		err = QuantizeQ8_0(&a, x)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &a
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

// iq4Definition is the float64 dot of the dequantized row and activations
// and Σ|products|.
func iq4Definition(t testing.TB, typ gguf.Type, w []byte, a *Q8, blk0, nb int) (dot, abs float64) {
	deq, err := gguf.RowDequantizer(typ)
	if err != nil {
		t.Fatal(err)
	}
	bs := typ.BlockSize()
	wf := make([]float32, nb*bs)
	deq(w[:nb*typ.BlockBytes()], wf)
	for i, v := range wf {
		p := float64(v) * float64(a.Qs[blk0*bs+i]) * float64(a.D[blk0+i/bs])
		dot += p
		abs += math.Abs(p)
	}
	return dot, abs
}

func TestExtraIQ4ReferenceMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(60, 61))
	for _, typ := range iq4Types {
		for _, nb := range []int{1, 2, 5} {
			for mode := 0; mode < 3; mode++ {
				const tokens = 3
				a := iq4Acts(t, r, typ, tokens*nb, 1)
				if mode == 1 {
					a = iq4Extreme(typ, tokens*nb)
				}
				for tok := 0; tok < tokens; tok++ {
					blk0 := tok * nb
					w := iq4Row(r, typ, nb, mode)
					got := float64(refExtra[typ](w, a, blk0, nb))
					def, abs := iq4Definition(t, typ, w, a, blk0, nb)
					if tol := 1e-5*abs + 1e-6; math.Abs(got-def) > tol {
						t.Errorf("%v nb=%d mode=%d blk0=%d: ref %g, definition %g (tol %g)", typ, nb, mode, blk0, got, def, tol)
					}
				}
			}
		}
	}
}

// The assembly must equal the reference bit for bit: same int32 lanes,
// same FMAs in the same order, same final sum.
func TestExtraIQ4FastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(62, 63))
	for _, typ := range iq4Types {
		fast, ref := fastExtra[typ], refExtra[typ]
		if fast == nil {
			t.Logf("%v: no fast kernel on this CPU", typ)
			continue
		}
		maxNB := 20
		if typ == gguf.TypeIQ4_NL {
			maxNB = 70
		}
		bad, neg128 := 0, 0
		for _, scale := range []float32{1, 1e-3, 300} {
			for iter := 0; iter < 400; iter++ {
				nb := 1 + r.IntN(maxNB)
				tokens := 1 + r.IntN(3)
				mode := r.IntN(3)
				a := iq4Acts(t, r, typ, tokens*nb, scale)
				if mode == 1 && iter%2 == 0 {
					a = iq4Extreme(typ, tokens*nb)
				}
				blk0 := r.IntN(tokens) * nb
				for _, q := range a.Qs[blk0*a.Block : (blk0+nb)*a.Block] {
					if q == -128 {
						neg128++
					}
				}
				w := iq4Row(r, typ, nb, mode)
				got, want := fast(w, a, blk0, nb), ref(w, a, blk0, nb)
				if math.Float32bits(got) != math.Float32bits(want) {
					if bad++; bad <= 5 {
						t.Errorf("%v scale=%g nb=%d mode=%d blk0=%d: fast %g, ref %g", typ, scale, nb, mode, blk0, got, want)
					}
				}
			}
		}
		if typ == gguf.TypeIQ4_XS && neg128 == 0 {
			t.Errorf("%v: no -128 activation quant tested", typ)
		}
	}
}

// The benchmarks run 256 rows of 16 IQ4_XS blocks (557 KB) or 64 IQ4_NL
// blocks (295 KB), 4096 or 2048 values a row, against one token: the
// weights stay in L2. The metric is weight GB/s.
func BenchmarkExtraDotIQ4_XS(b *testing.B) { benchIQ4(b, gguf.TypeIQ4_XS, 16) }
func BenchmarkExtraDotIQ4_NL(b *testing.B) { benchIQ4(b, gguf.TypeIQ4_NL, 64) }

func benchIQ4(b *testing.B, typ gguf.Type, nb int) {
	r := rand.New(rand.NewPCG(64, 65))
	const rows = 256
	a := iq4Acts(b, r, typ, nb, 1)
	rb := nb * typ.BlockBytes()
	w := iq4Row(r, typ, rows*nb, 0)
	for _, im := range []struct {
		name string
		dot  rowDot
	}{{"fast", fastExtra[typ]}, {"ref", refExtra[typ]}} {
		if im.dot == nil {
			continue
		}
		b.Run(im.name, func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			var sink float32
			for b.Loop() {
				for row := 0; row < rows; row++ {
					sink += im.dot(w[row*rb:(row+1)*rb], a, 0, nb)
				}
			}
			reportGBs(b, len(w))
			_ = sink
		})
	}
}
