package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// refF16Lanes is the tile kernels' arithmetic in Go: lanes (16 on
// AVX-512, 8 on AVX2) sums over the row's chunks with fma32 (a float32
// FMA, rounded once as vfmadd231ps), then halves, ..., and the last two
// added; so it equals the kernels bit for bit.
func refF16Lanes(t gguf.Type, lanes int, w []byte, x []float32) float32 {
	acc := make([]float32, lanes)
	for c := 0; c+lanes <= len(x); c += lanes {
		for l := range acc {
			h := uint16(w[2*(c+l)]) | uint16(w[2*(c+l)+1])<<8
			wv := gguf.F16ToF32(h)
			if t == gguf.TypeBF16 {
				wv = gguf.BF16ToF32(h)
			}
			acc[l] = fma32(wv, x[c+l], acc[l])
		}
	}
	for n := lanes / 2; n >= 1; n /= 2 {
		for l := 0; l < n; l++ {
			acc[l] += acc[l+n]
		}
	}
	return acc[0]
}

// TestF16Rows checks the F16 and BF16 tile kernels (AVX-512, and the AVX2
// ones through UseAVX2Only) against their Go arithmetic bit for bit, and
// that a result is the same whatever the batch, the thread count and so
// the row's place in a tile (37 rows: whole tiles and single rows).
func TestF16Rows(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			t.Log("no AVX2: the AVX2 tiles are not run")
			continue
		}
		lanes := 16
		if isa == "avx2" || !hasAVX512 {
			lanes = 8
		}
		for _, typ := range []gguf.Type{gguf.TypeF16, gguf.TypeBF16} {
			t.Run(isa+"/"+typ.String(), func(t *testing.T) { testTileRows(t, typ, lanes) })
		}
	}
}

// refBF16DPLanes is the vdpbf16ps tiles' arithmetic in Go: sixteen lanes,
// lane i adding, per 32-column chunk, column 2i+1's product and then
// column 2i's, each with fma32 (a bfloat16 product is exact in float32,
// so vdpbf16ps rounds each addition once), denormal inputs and results
// flushed to zero as the instruction does; then refF16Lanes's sums.
func refBF16DPLanes(w []byte, x []float32) float32 {
	flush := func(f float32) float32 {
		if b := math.Float32bits(f); b&0x7f800000 == 0 {
			return math.Float32frombits(b & 0x80000000)
		}
		return f
	}
	var acc [16]float32
	for c := 0; c+32 <= len(x); c += 32 {
		for l := range acc {
			for _, col := range [2]int{c + 2*l + 1, c + 2*l} {
				wv := gguf.BF16ToF32(uint16(w[2*col]) | uint16(w[2*col+1])<<8)
				acc[l] = flush(fma32(flush(wv), flush(x[col]), acc[l]))
			}
		}
	}
	for n := 8; n >= 1; n /= 2 {
		for l := 0; l < n; l++ {
			acc[l] += acc[l+n]
		}
	}
	return acc[0]
}

func testTileRows(t *testing.T, typ gguf.Type, lanes int) {
	// 320 columns are whole 32-column chunks (BF16's vdpbf16ps tiles
	// where the CPU has them), 336 are not (the FMA tiles).
	for _, cols := range []int{20 * 16, 21 * 16} {
		testTileRowsCols(t, typ, lanes, cols)
	}
}

func testTileRowsCols(t *testing.T, typ gguf.Type, lanes, cols int) {
	if tileRows(typ) == nil {
		t.Logf("no %v tile kernels on this CPU (%s)", typ, Impl())
		return
	}
	r := rand.New(rand.NewPCG(41, 42))
	const rows, nTok = 37, 13
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
			want := refF16Lanes(typ, lanes, w.Data[row*rb:(row+1)*rb], xh[tok*cols:(tok+1)*cols])
			if typ == gguf.TypeBF16 && active.bf16DP && cols%32 == 0 {
				want = refBF16DPLanes(w.Data[row*rb:(row+1)*rb], xh[tok*cols:(tok+1)*cols])
			}
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("token %d row %d: kernel %v, Go %v", tok, row, got, want)
			}
		}
	}
}
