package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestPackQ4_0x8Layout checks the repacked bytes against the layout's
// definition: every row's scale and quants are where LayoutQ4_0x8 says.
func TestPackQ4_0x8Layout(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	w := randMatrix(t, r, gguf.TypeQ4_0, 16, 96)
	p, err := PackQ4_0x8(w)
	if err != nil {
		t.Fatal(err)
	}
	if p.Layout != LayoutQ4_0x8 || len(p.Data) != len(w.Data) {
		t.Fatalf("layout %v, %d bytes; want packed, %d", p.Layout, len(p.Data), len(w.Data))
	}
	nb := w.Cols / QK8_0
	for row := 0; row < w.Rows; row++ {
		g, rr := row/8, row%8
		for b := 0; b < nb; b++ {
			src := w.Data[(row*nb+b)*18:][:18]
			blk := p.Data[(g*nb+b)*144:][:144]
			if blk[2*rr] != src[0] || blk[2*rr+1] != src[1] {
				t.Fatalf("row %d block %d: scale moved wrong", row, b)
			}
			for j := 0; j < 16; j++ {
				if got := blk[16+32*(j/4)+4*rr+j%4]; got != src[2+j] {
					t.Fatalf("row %d block %d byte %d: %#x, want %#x", row, b, j, got, src[2+j])
				}
			}
		}
	}
}

func TestPackQ4_0x8Errors(t *testing.T) {
	cases := map[string]Matrix{
		"type":   {Type: gguf.TypeQ8_0, Rows: 8, Cols: 32, Data: make([]byte, 8*34)},
		"rows":   {Type: gguf.TypeQ4_0, Rows: 7, Cols: 32, Data: make([]byte, 7*18)},
		"cols":   {Type: gguf.TypeQ4_0, Rows: 8, Cols: 33, Data: make([]byte, 8*18)},
		"short":  {Type: gguf.TypeQ4_0, Rows: 8, Cols: 32, Data: make([]byte, 8*18-1)},
		"packed": {Type: gguf.TypeQ4_0, Rows: 8, Cols: 32, Data: make([]byte, 8*18), Layout: LayoutQ4_0x8},
	}
	for name, m := range cases {
		if _, err := PackQ4_0x8(m); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestPackedMatMul checks MatMul on packed Q4_0 against the naive
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
			for _, nTok := range []int{1, 3, 4, 9, 37} {
				w := randMatrix(t, r, gguf.TypeQ4_0, 48, 8*QK8_0)
				pw, err := PackQ4_0x8(w)
				if err != nil {
					t.Fatal(err)
				}
				x := randVec(r, nTok*w.Cols)
				got := make([]float32, nTok*w.Rows)
				plain := make([]float32, nTok*w.Rows)
				if err := p.MatMul(got, pw, x, nTok); err != nil {
					t.Fatal(err)
				}
				if err := p.MatMul(plain, w, x, nTok); err != nil {
					t.Fatal(err)
				}
				want, bound := naiveMatMul(t, w, x, nTok)
				for i := range got {
					if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*bound[i]+1e-6 {
						t.Fatalf("ref=%v threads=%d nTok=%d: out[%d]=%v, want %v", ref, threads, nTok, i, got[i], want[i])
					}
					if d := math.Abs(float64(got[i] - plain[i])); d > 1e-5*bound[i]+1e-6 {
						t.Fatalf("ref=%v threads=%d nTok=%d: out[%d]=%v, unpacked %v", ref, threads, nTok, i, got[i], plain[i])
					}
				}
			}
			p.Close()
		}
	}
}

// TestPackedBatchInvariant checks that a token's packed-Q4_0 result is bit
// for bit the same alone as in any batch: the one- and four-token kernels
// do the same arithmetic per token, so batching sequences together does
// not change any of their outputs.
func TestPackedBatchInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	p := NewPool(2)
	defer p.Close()
	w := randMatrix(t, r, gguf.TypeQ4_0, 64, 16*QK8_0)
	pw, err := PackQ4_0x8(w)
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
				t.Fatalf("token %d row %d: %v in a batch of %d, %v alone", tok, i, b, nTok, v)
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
