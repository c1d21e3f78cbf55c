package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// refF16Lanes is the F16 tile kernels' arithmetic in Go: sixteen lane sums
// over the row's 16-column chunks, then halves, quarters, pairs and the
// last two added. Go has no float32 FMA, so it rounds through float64 and
// may differ from the kernels in the last bit.
func refF16Lanes(t gguf.Type, w []byte, x []float32) float32 {
	var acc [16]float32
	for c := 0; c+16 <= len(x); c += 16 {
		for l := range acc {
			h := uint16(w[2*(c+l)]) | uint16(w[2*(c+l)+1])<<8
			wv := gguf.F16ToF32(h)
			if t == gguf.TypeBF16 {
				wv = gguf.BF16ToF32(h)
			}
			acc[l] = float32(math.FMA(float64(wv), float64(x[c+l]), float64(acc[l])))
		}
	}
	for n := 8; n >= 1; n /= 2 {
		for l := 0; l < n; l++ {
			acc[l] += acc[l+n]
		}
	}
	return acc[0]
}

// TestF16Rows checks the F16 and BF16 tile kernels against their Go
// arithmetic, and that a result is the same bit for bit whatever the
// batch, the thread count and so the row's place in a tile (37 rows: quads
// and single rows).
func TestF16Rows(t *testing.T) {
	for _, typ := range []gguf.Type{gguf.TypeF16, gguf.TypeBF16} {
		t.Run(typ.String(), func(t *testing.T) { testTileRows(t, typ) })
	}
}

func testTileRows(t *testing.T, typ gguf.Type) {
	if tileRows(typ) == nil {
		t.Logf("no %v tile kernels on this CPU (%s)", typ, Impl())
		return
	}
	r := rand.New(rand.NewPCG(41, 42))
	const rows, cols, nTok = 37, 20 * 16, 13
	w := randMatrix(t, r, typ, rows, cols)
	x := randVec(r, nTok*cols)
	xh := make([]float32, len(x))
	if typ == gguf.TypeF16 {
		roundF16Slice(xh, x)
	} else {
		roundBF16Slice(xh, x)
	}
	rb := 2 * cols
	for _, threads := range []int{1, 2, 3} {
		p := NewPool(threads)
		all := make([]float32, nTok*rows)
		if err := p.MatMul(all, w, x, nTok); err != nil {
			t.Fatal(err)
		}
		for tok := 1; tok <= nTok; tok++ {
			part := make([]float32, tok*rows)
			if err := p.MatMul(part, w, x[:tok*cols], tok); err != nil {
				t.Fatal(err)
			}
			for i, v := range part {
				if b := all[i]; math.Float32bits(b) != math.Float32bits(v) {
					t.Fatalf("threads=%d: token %d row %d is %v in a batch of %d, %v in one of %d", threads, i/rows, i%rows, b, nTok, v, tok)
				}
			}
		}
		p.Close()
		for i, got := range all {
			tok, row := i/rows, i%rows
			want := refF16Lanes(typ, w.Data[row*rb:(row+1)*rb], xh[tok*cols:(tok+1)*cols])
			if d := math.Abs(float64(got - want)); d > 1e-6*math.Abs(float64(want))+1e-7 {
				t.Fatalf("token %d row %d: kernel %v, Go %v", tok, row, got, want)
			}
		}
	}
}
