package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// avx2PackedTypes are the types an AVX2-only CPU packs.
var avx2PackedTypes = []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K, gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeQ3_K, gguf.TypeQ5_K, gguf.TypeIQ4_NL}

// TestPackedAVX2 runs packed matmuls with the kernels of a CPU that has
// AVX2 but no AVX-512 (UseAVX2Only) against the naive definition and,
// where this CPU has VNNI, against its kernels bit for bit: the integer
// lanes are equal and the float steps the same. Seven tokens take every
// kernel width the AVX2 sets have (4+2+1 for Q4_0 and the legacy types,
// 2+2+2+1 for the K-quants).
func TestPackedAVX2(t *testing.T) {
	if !UseAVX2Only() {
		t.Log("no AVX2: these kernels are never used on this CPU")
		return
	}
	defer UseReference(false)
	r := rand.New(rand.NewPCG(41, 42))
	p := NewPool(2)
	defer p.Close()
	const rows, nTok = 24, 7
	for _, typ := range avx2PackedTypes {
		m := randMatrix(t, r, typ, rows, 2*QK_K)
		w, err := Pack(m)
		if err != nil {
			t.Fatal(err)
		}
		x := randVec(r, nTok*w.Cols)
		avx2, native := make([]float32, nTok*rows), make([]float32, nTok*rows)
		UseAVX2Only()
		if err := p.MatMul(avx2, w, x, nTok); err != nil {
			t.Fatal(err)
		}
		UseReference(false)
		if err := p.MatMul(native, w, x, nTok); err != nil {
			t.Fatal(err)
		}
		want, bound := naiveMatMul(t, m, x, nTok)
		for i, v := range avx2 {
			if d := math.Abs(float64(v) - want[i]); d > 1e-5*bound[i]+1e-6 {
				t.Fatalf("%v: out[%d] = %v, want %v", typ, i, v, want[i])
			}
			if hasVNNI && math.Float32bits(v) != math.Float32bits(native[i]) {
				t.Fatalf("%v: out[%d] = %v with AVX2, %v with VNNI", typ, i, v, native[i])
			}
		}
	}
}

// BenchmarkPackedAVX2 compares, on one CPU, an AVX2-only CPU's kernels for
// each type it packs: packed, one and two tokens at a time, against the
// row-layout one-token kernel it ran before packing (cache-resident, 128
// rows of 2048), all under UseAVX2Only. tok-rows/s counts token-row
// products.
func BenchmarkPackedAVX2(b *testing.B) {
	if !hasAVX2 {
		b.Fatal("no AVX2 on this CPU")
	}
	defer UseReference(false)
	r := rand.New(rand.NewPCG(8, 9))
	const rows, cols = 128, 2048
	for _, typ := range avx2PackedTypes {
		plain := randMatrix(b, r, typ, rows, cols)
		w, err := Pack(plain)
		if err != nil {
			b.Fatal(err)
		}
		var a Q8
		if err := quantizeFor(typ, &a, randVec(r, 2*cols)); err != nil {
			b.Fatal(err)
		}
		nb := cols / rows8Cols(typ)
		switch typ {
		case gguf.TypeQ4_K:
			a.Off = make([]int32, 2*nb*4)
			makeOffQ4K(&a, 0, 2*nb)
		case gguf.TypeQ6_K:
			a.Off = make([]int32, 2*nb*16)
			makeOff6(&a, 0, 2*nb)
		case gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1:
			a.Off, a.S1 = make([]int32, 2*nb), make([]float32, 2*nb)
			makeSums(&a, 0, 2*nb)
		}
		UseAVX2Only()
		k := rows8Kernels(typ)
		gb, rb := nb*rows8Packed(typ), nb*rows8Block(typ)
		out := make([]float32, 2*rows)
		run := func(name string, tokRows int, f func()) {
			b.Run(fmt.Sprintf("%v/%s", typ, name), func(b *testing.B) {
				for b.Loop() {
					f()
				}
				b.ReportMetric(float64(tokRows*b.N)/b.Elapsed().Seconds(), "tok-rows/s")
			})
		}
		run("packed-x1", rows, func() {
			for g := 0; g < rows/8; g++ {
				k.x1(w.Data[g*gb:(g+1)*gb], &a, 0, nb, out[8*g:])
			}
		})
		run("packed-x2", 2*rows, func() {
			for g := 0; g < rows/8; g++ {
				k.x2(w.Data[g*gb:(g+1)*gb], &a, 0, nb, out[8*g:], rows)
			}
		})
		var dot rowDot
		switch typ {
		case gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K:
			dot = dotOf(avx2Dots, typ)
		default:
			dot = fastExtra[typ] // the AVX2 row dot while UseAVX2Only holds
		}
		run("rows-x1", rows, func() {
			for row := 0; row < rows; row++ {
				out[row] = dot(plain.Data[row*rb:(row+1)*rb], &a, 0, nb)
			}
		})
	}
}

// TestXSAVX2 holds the eight-row AVX2 kernels of the re-encoded types
// (IQ3 in IQ4_XS's layout, IQ2 and IQ1 in Q3_K's) to the naive definition and, where this CPU has them, to the
// sixteen-row VNNI kernels bit for bit: each packs its own layout of the
// same matrix. Seven tokens take the four-, two- and one-token kernels.
func TestXSAVX2(t *testing.T) {
	if !UseAVX2Only() {
		t.Log("no AVX2: these kernels are never used on this CPU")
		return
	}
	defer UseReference(false)
	r := rand.New(rand.NewPCG(43, 44))
	p := NewPool(2)
	defer p.Close()
	const rows, nTok = 32, 7
	for _, typ := range []gguf.Type{gguf.TypeQ3_K, gguf.TypeIQ4_XS, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M} {
		m := randMatrix(t, r, typ, rows, 3*QK_K)
		x := randVec(r, nTok*m.Cols)
		run := func(avx2 bool) ([]float32, Layout) {
			if avx2 {
				UseAVX2Only()
			} else {
				UseReference(false)
			}
			if !CanPack(m) {
				t.Fatalf("%v (avx2 %v): CanPack false", typ, avx2)
			}
			w, err := Pack(m)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, nTok*rows)
			if err := p.MatMul(out, w, x, nTok); err != nil {
				t.Fatal(err)
			}
			return out, w.Layout
		}
		avx2, l := run(true)
		if l != LayoutRows8 {
			t.Fatalf("%v: AVX2 packs layout %v", typ, l)
		}
		native, nl := run(false)
		want, bound := naiveMatMul(t, m, x, nTok)
		for i, v := range avx2 {
			if d := math.Abs(float64(v) - want[i]); d > 1e-5*bound[i]+1e-6 {
				t.Fatalf("%v: out[%d] = %v, want %v", typ, i, v, want[i])
			}
			if nl == LayoutRows16 && math.Float32bits(v) != math.Float32bits(native[i]) {
				t.Fatalf("%v: out[%d] = %v with AVX2, %v with VNNI", typ, i, v, native[i])
			}
		}
	}
}
