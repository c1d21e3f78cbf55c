package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestPackLayout checks the repacked bytes against the layout's
// definition: every row's scale and quants are where LayoutRows8 (or, in
// whole sixteen-row groups where the CPU has the kernels, LayoutRows16)
// says.
func TestPackLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, typ := range packTypes {
		for _, rows := range []int{16, 24} {
			w := randMatrix(t, r, typ, rows, 96)
			p, err := Pack(w)
			if err != nil {
				t.Fatal(err)
			}
			want := LayoutRows8
			if rows%16 == 0 && packedKernels(typ, LayoutRows16).x1 != nil {
				want = LayoutRows16
			}
			if p.Layout != want || PackLayout(w) != want || len(p.Data) != len(w.Data) || PackedSize(w) != len(w.Data) {
				t.Fatalf("%v: layout %v, %d bytes; want %v, %d", typ, p.Layout, len(p.Data), want, len(w.Data))
			}
			per := groupRows(p.Layout)
			nb, bb := w.Cols/QK8_0, rows8Block(typ)
			for row := 0; row < w.Rows; row++ {
				g, rr := row/per, row%per
				for b := 0; b < nb; b++ {
					src := w.Data[(row*nb+b)*bb:][:bb]
					blk := p.Data[(g*nb+b)*per*bb:][:per*bb]
					if blk[2*rr] != src[0] || blk[2*rr+1] != src[1] {
						t.Fatalf("%v row %d block %d: scale moved wrong", typ, row, b)
					}
					for j := 0; j < bb-2; j++ {
						if got := blk[2*per+4*per*(j/4)+4*rr+j%4]; got != src[2+j] {
							t.Fatalf("%v row %d block %d byte %d: %#x, want %#x", typ, row, b, j, got, src[2+j])
						}
					}
				}
			}
		}
	}
}

var packTypes = []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeIQ4_NL}

// packMatTypes are the types with packed kernels; the K-quants' layouts
// are not the byte interleave TestPackLayout checks, so MatMul checks them.
var packMatTypes = []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K, gguf.TypeIQ4_NL, gguf.TypeQ5_0, gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeIQ4_XS, gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS,
	gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M}

func TestPackErrors(t *testing.T) {
	cases := map[string]Matrix{
		"type":   {Type: gguf.TypeTQ1_0, Rows: 8, Cols: 256, Data: make([]byte, 8*54)},
		"rows":   {Type: gguf.TypeQ4_0, Rows: 7, Cols: 32, Data: make([]byte, 7*18)},
		"cols":   {Type: gguf.TypeQ4_0, Rows: 8, Cols: 33, Data: make([]byte, 8*18)},
		"short":  {Type: gguf.TypeQ4_0, Rows: 8, Cols: 32, Data: make([]byte, 8*18-1)},
		"packed": {Type: gguf.TypeQ4_0, Rows: 8, Cols: 32, Data: make([]byte, 8*18), Layout: LayoutRows8},
	}
	for name, m := range cases {
		if _, err := Pack(m); err == nil {
			t.Errorf("%s: no error", name)
		}
		if err := PackGroups(make([]byte, 8*34), m, 0, 1); err == nil {
			t.Errorf("PackGroups %s: no error", name)
		}
	}
	ok := Matrix{Type: gguf.TypeQ4_0, Rows: 16, Cols: 32, Data: make([]byte, 16*18)}
	for _, g := range [][2]int{{-1, 1}, {0, 3}, {2, 1}} {
		if err := PackGroups(make([]byte, 16*18), ok, g[0], g[1]); err == nil {
			t.Errorf("PackGroups groups %v of 2: no error", g)
		}
	}
	if err := PackGroups(make([]byte, 16*18-1), ok, 0, 2); err == nil {
		t.Error("PackGroups into a short buffer: no error")
	}
	if err := PackGroups(make([]byte, 16*18), ok, 0, 2); err != nil {
		t.Errorf("PackGroups, valid call: %v", err)
	}
}

// TestPackedMatMul checks MatMul on every packed type against the naive
// definition and against the unpacked kernels, for token counts that
// exercise the four-token kernel, the one-token tail and the token tiles,
// with fast and reference kernels.
func TestPackedMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	defer UseReference(false)
	for _, ref := range []bool{false, true} {
		UseReference(ref)
		for _, threads := range []int{1, 2, 3} {
			p := NewPool(threads)
			for _, c := range packCases() {
				typ, nTok := c.typ, c.nTok
				w := randMatrix(t, r, typ, 48, 2*QK_K)
				pw, err := Pack(w)
				if err != nil {
					t.Fatal(err)
				}
				x := randVec(r, nTok*w.Cols)
				got := make([]float32, nTok*w.Rows)
				plain := make([]float32, nTok*w.Rows)
				if err := p.MatMul(got, pw, x, nTok); err != nil {
					t.Fatal(err)
				}
				unpacked := Supported(typ) // Q5_K has kernels only when packed
				if unpacked {
					if err := p.MatMul(plain, w, x, nTok); err != nil {
						t.Fatal(err)
					}
				}
				want, bound := naiveMatMul(t, w, x, nTok)
				for i := range got {
					if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*bound[i]+1e-6 {
						t.Fatalf("%v ref=%v threads=%d nTok=%d: out[%d]=%v, want %v", typ, ref, threads, nTok, i, got[i], want[i])
					}
					if d := math.Abs(float64(got[i] - plain[i])); unpacked && d > 1e-5*bound[i]+1e-6 {
						t.Fatalf("%v ref=%v threads=%d nTok=%d: out[%d]=%v, unpacked %v", typ, ref, threads, nTok, i, got[i], plain[i])
					}
				}
			}
			p.Close()
		}
	}
}

func packCases() (cs []struct {
	typ  gguf.Type
	nTok int
}) {
	for _, typ := range packMatTypes {
		for _, n := range []int{1, 3, 4, 9, 37} {
			cs = append(cs, struct {
				typ  gguf.Type
				nTok int
			}{typ, n})
		}
	}
	return cs
}

// TestPackedBatchInvariant checks that a token's packed result is bit
// for bit the same alone as in any batch: the one- and four-token kernels
// do the same arithmetic per token, so batching sequences together does
// not change any of their outputs.
func TestPackedBatchInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	p := NewPool(2)
	defer p.Close()
	for _, typ := range packMatTypes {
		w := randMatrix(t, r, typ, 64, 16*QK8_0)
		pw, err := Pack(w)
		if err != nil {
			t.Fatal(err)
		}
		const nTok = 11
		x := randVec(r, nTok*w.Cols)
		all := make([]float32, nTok*w.Rows)
		if err := p.MatMul(all, pw, x, nTok); err != nil {
			t.Fatal(err)
		}
		one := make([]float32, w.Rows)
		for tok := 0; tok < nTok; tok++ {
			if err := p.MatMul(one, pw, x[tok*w.Cols:(tok+1)*w.Cols], 1); err != nil {
				t.Fatal(err)
			}
			for i, v := range one {
				if b := all[tok*w.Rows+i]; math.Float32bits(b) != math.Float32bits(v) {
					t.Fatalf("%v token %d row %d: %v in a batch of %d, %v alone", typ, tok, i, b, nTok, v)
				}
			}
		}
	}
}

// TestQuantizeQ8_0Fast checks the assembly quantizer against the Go one,
// bit for bit, on random blocks and on zeros, subnormals, huge values and
// exact halves.
func TestQuantizeQ8_0Fast(t *testing.T) {
	if quantizeQ8_0Blocks == nil {
		t.Log("no assembly quantizer on this CPU: nothing to compare")
		return
	}
	r := rand.New(rand.NewPCG(37, 38))
	x := randVec(r, 64*QK8_0)
	for i := range x {
		switch b := i / QK8_0; {
		case b == 1:
			x[i] = 0
		case b == 2:
			x[i] = float32(i%7-3) * 1e-42
		case b == 3:
			x[i] = float32(i%5-2) * 3e38
		case b == 4:
			x[i] = float32(i%9-4) * 63.5 / 127 // products land on .5
		case b == 5:
			x[i] *= 1e-6
		}
	}
	var fast, ref Q8
	for _, q := range []*Q8{&fast, &ref} {
		q.resize(len(x), QK8_0)
	}
	quantizeQ8_0Blocks(&fast, x, 0)
	quantizeQ8_0Go(&ref, x, 0)
	for b := range fast.D {
		if math.Float32bits(fast.D[b]) != math.Float32bits(ref.D[b]) {
			t.Fatalf("block %d: scale %v, want %v", b, fast.D[b], ref.D[b])
		}
		for i := b * QK8_0; i < (b+1)*QK8_0; i++ {
			if fast.Qs[i] != ref.Qs[i] {
				t.Fatalf("block %d value %d (%v): quant %d, want %d", b, i%QK8_0, x[i], fast.Qs[i], ref.Qs[i])
			}
		}
	}
}

// TestQuantizeQ8_KMatchesGGML: the activation quantizer for the k-quant
// and IQ dots writes what gguf's Q8_K quantizer writes, which
// gguf/ggml_vectors_test.go holds to ggml's quantize_row_q8_K_ref byte for
// byte: the scale, the quants and the 16 group sums of every super-block.
func TestQuantizeQ8_KMatchesGGML(t *testing.T) {
	r := rand.New(rand.NewPCG(39, 40))
	x := randVec(r, 16*QK_K)
	for i := range x {
		switch b := i / QK_K; {
		case b == 1:
			x[i] = 0
		case b == 2:
			x[i] *= 1e-30
		case b == 3:
			x[i] = float32(i%9-4) * 63.5 / 127 // products land on .5
		}
	}
	var a Q8
	if err := QuantizeQ8_K(&a, x); err != nil {
		t.Fatal(err)
	}
	want, err := gguf.Quantize(gguf.TypeQ8_K, x)
	if err != nil {
		t.Fatal(err)
	}
	const bs = 4 + QK_K + 32
	for b := range a.D {
		blk := want[b*bs : (b+1)*bs]
		if d := math.Float32frombits(binary.LittleEndian.Uint32(blk)); math.Float32bits(d) != math.Float32bits(a.D[b]) {
			t.Fatalf("block %d: scale %v, gguf %v", b, a.D[b], d)
		}
		for i := range QK_K {
			if a.Qs[b*QK_K+i] != int8(blk[4+i]) {
				t.Fatalf("block %d quant %d: %d, gguf %d", b, i, a.Qs[b*QK_K+i], int8(blk[4+i]))
			}
		}
		for g := range 16 {
			if s := int16(binary.LittleEndian.Uint16(blk[4+QK_K+2*g:])); s != a.BSums[b*16+g] {
				t.Fatalf("block %d sum %d: %d, gguf %d", b, g, a.BSums[b*16+g], s)
			}
		}
	}
}
