package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

var legacyTypes = []gguf.Type{gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1}

// legacyHasMin: Q4_1 and Q5_1 carry an f16 min after d.
func legacyHasMin(t gguf.Type) bool { return t != gguf.TypeQ5_0 }

// legacyRow is nb random blocks of t: random quant and fifth-bit bytes,
// d small positive or negative, m around the -16d..0 that quantizers
// produce (sometimes positive).
func legacyRow(r *rand.Rand, t gguf.Type, nb int) []byte {
	bs := t.BlockBytes()
	w := make([]byte, nb*bs)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		blk := w[b*bs:]
		d := r.Float32()*0.02 + 1e-4
		if r.IntN(4) == 0 {
			d = -d
		}
		binary.LittleEndian.PutUint16(blk, f32ToF16(d))
		if legacyHasMin(t) {
			m := -16 * d * (r.Float32()*1.2 - 0.1)
			binary.LittleEndian.PutUint16(blk[2:], f32ToF16(m))
		}
	}
	return w
}

// legacyAct quantizes blocks*32 normal values of the given scale to Q8_0;
// scale 1e-5 puts d (and s) into f16's subnormal range.
func legacyAct(t testing.TB, r *rand.Rand, blocks int, scale float32) *Q8 {
	x := randVec(r, blocks*32)
	for i := range x {
		x[i] *= scale
	}
	if blocks > 2 {
		clear(x[32:64]) // an all-zero block: d = 0
	}
	var a Q8
	if err := QuantizeQ8_0(&a, x); err != nil {
		t.Fatal(err)
	}
	return &a
}

// legacyDef is the float64 dot of the dequantized row with the dequantized
// activations, with Σ|products| and the bound on ggml's rounding of s_y to
// f16: half an f16 ulp of each block's m·d·Σy (2^-11 relative).
func legacyDef(t testing.TB, typ gguf.Type, w []byte, a *Q8, blk0, nb int) (dot, abs, sRound float64) {
	deq, err := gguf.RowDequantizer(typ)
	if err != nil {
		t.Fatal(err)
	}
	wf := make([]float32, nb*32)
	deq(w[:nb*typ.BlockBytes()], wf)
	for i, v := range wf {
		p := float64(v) * float64(a.Qs[blk0*32+i]) * float64(a.D[blk0+i/32])
		dot += p
		abs += math.Abs(p)
	}
	if legacyHasMin(typ) {
		for b := 0; b < nb; b++ {
			var ys int64
			for _, q := range a.Qs[(blk0+b)*32 : (blk0+b+1)*32] {
				ys += int64(q)
			}
			m := float64(f16ToF32(le16(w[b*typ.BlockBytes()+2:])))
			sRound += math.Abs(m*float64(a.D[blk0+b])*float64(ys)) * 0x1p-11
		}
	}
	return dot, abs, sRound
}

func TestExtraLegacyReferenceMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(50, 51))
	for _, typ := range legacyTypes {
		for _, nb := range []int{1, 2, 5} {
			const tokens = 3
			a := legacyAct(t, r, tokens*nb, 1)
			for tok := 0; tok < tokens; tok++ {
				blk0 := tok * nb
				w := legacyRow(r, typ, nb)
				got := float64(refExtra[typ](w, a, blk0, nb))
				def, abs, sRound := legacyDef(t, typ, w, a, blk0, nb)
				if tol := 1e-5*abs + 1e-6 + sRound; math.Abs(got-def) > tol {
					t.Errorf("%v nb=%d blk0=%d: ref %g, definition %g (tol %g)", typ, nb, blk0, got, def, tol)
				}
			}
		}
	}
}

// The assembly must equal the reference bit for bit: same integer sums,
// same float operations in the same order, same f16 rounding of s_y.
func TestExtraLegacyFastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(52, 53))
	for _, typ := range legacyTypes {
		fast, ref := fastExtra[typ], refExtra[typ]
		if fast == nil {
			t.Logf("%v: no fast kernel on this CPU", typ)
			continue
		}
		bad := 0
		for _, scale := range []float32{1, 1e-3, 1e-5, 300} {
			for iter := 0; iter < 300; iter++ {
				nb := 1 + r.IntN(40)
				tokens := 1 + r.IntN(3)
				a := legacyAct(t, r, tokens*nb, scale)
				blk0 := r.IntN(tokens) * nb
				w := legacyRow(r, typ, nb)
				got, want := fast(w, a, blk0, nb), ref(w, a, blk0, nb)
				if math.Float32bits(got) != math.Float32bits(want) {
					if bad++; bad <= 5 {
						t.Errorf("%v scale=%g nb=%d blk0=%d: fast %g, ref %g", typ, scale, nb, blk0, got, want)
					}
				}
			}
		}
	}
}

// The benchmarks run 256 rows of 64 blocks (2048 values) against one
// token: the weights (330-400 KB) stay in L2, so they measure the kernels,
// not memory. GB/s counts weight bytes.
func BenchmarkExtraDotQ5_0(b *testing.B) { benchLegacy(b, gguf.TypeQ5_0) }
func BenchmarkExtraDotQ4_1(b *testing.B) { benchLegacy(b, gguf.TypeQ4_1) }
func BenchmarkExtraDotQ5_1(b *testing.B) { benchLegacy(b, gguf.TypeQ5_1) }

func benchLegacy(b *testing.B, typ gguf.Type) {
	r := rand.New(rand.NewPCG(54, 55))
	const rows, nb = 256, 64
	a := legacyAct(b, r, nb, 1)
	rb := nb * typ.BlockBytes()
	w := legacyRow(r, typ, rows*nb)
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
