package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/gguf/gguftest"
)

var matTypes = []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K}

// extraTypes have kernels only where the CPU has them (Supported says).
var extraTypes = []gguf.Type{gguf.TypeBF16, gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ5_K, gguf.TypeQ4_1, gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeIQ4_NL, gguf.TypeIQ4_XS}

// randMatrix quantizes a random float matrix with gguf's quantizers, so the
// weights look like real ones (unlike randWeights' random bit patterns);
// a type gguf cannot quantize would get randWeights' blocks.
func randMatrix(tb testing.TB, r *rand.Rand, t gguf.Type, rows, cols int) Matrix {
	if g, _ := gguf.IQGridBytes(t); g != nil { // the grid types: no quantizer here
		data, err := gguftest.RandomTensor(t, rows*cols, r.Uint64(), 0.02)
		if err != nil {
			tb.Fatal(err)
		}
		return Matrix{Type: t, Rows: rows, Cols: cols, Data: data}
	}
	if !gguf.CanQuantize(t) {
		return Matrix{Type: t, Rows: rows, Cols: cols, Data: randWeights(r, t, rows*cols/t.BlockSize())}
	}
	f := randVec(r, rows*cols)
	data, err := gguf.Quantize(t, f)
	if err != nil {
		tb.Fatalf("quantize %v: %v", t, err)
	}
	return Matrix{Type: t, Rows: rows, Cols: cols, Data: data}
}

// naiveMatMul is the definition MatMul must meet: dequantize W, quantize
// each token the same way, dot in float64.
func naiveMatMul(tb testing.TB, w Matrix, x []float32, nTok int) (want, bound []float64) {
	wf := make([]float32, w.Rows*w.Cols)
	if err := gguf.Dequantize(w.Type, w.Data, wf); err != nil {
		tb.Fatal(err)
	}
	xq := make([]float64, len(x))
	for t := 0; t < nTok; t++ {
		xt := x[t*w.Cols : (t+1)*w.Cols]
		var a Q8
		switch {
		case w.Type == gguf.TypeF32:
			for i, v := range xt {
				xq[t*w.Cols+i] = float64(v)
			}
			continue
		case w.Type == gguf.TypeF16:
			for i, v := range xt {
				xq[t*w.Cols+i] = float64(roundF16(v))
			}
			continue
		case w.Type == gguf.TypeBF16:
			for i, v := range xt {
				xq[t*w.Cols+i] = float64(roundBF16(v))
			}
			continue
		case actBlock(w.Type) == QK_K:
			QuantizeQ8_K(&a, xt)
		default:
			QuantizeQ8_0(&a, xt)
		}
		for i := range xt {
			xq[t*w.Cols+i] = float64(a.Qs[i]) * float64(a.D[i/a.Block])
		}
	}
	want = make([]float64, nTok*w.Rows)
	bound = make([]float64, nTok*w.Rows)
	for t := 0; t < nTok; t++ {
		for r := 0; r < w.Rows; r++ {
			var s, b float64
			for i := 0; i < w.Cols; i++ {
				p := float64(wf[r*w.Cols+i]) * xq[t*w.Cols+i]
				s += p
				b += math.Abs(p)
			}
			// Callers allow 1e-5 of bound: the slack goes in scaled up.
			want[t*w.Rows+r], bound[t*w.Rows+r] = s, b+1e5*q8_1Slack(w, r, x[t*w.Cols:(t+1)*w.Cols])
		}
	}
	return want, bound
}

// q8_1Slack is what ggml's q8_1 activations may cost a Q4_1 or Q5_1 row
// (0 for other types): the block minimum meets the block's activation sum
// stored as f16, so each block can be off by |m·D·Σq|·2^-11.
func q8_1Slack(w Matrix, r int, x []float32) float64 {
	if w.Type != gguf.TypeQ4_1 && w.Type != gguf.TypeQ5_1 {
		return 0
	}
	var a Q8
	QuantizeQ8_0(&a, x)
	bs := w.Type.BlockBytes()
	row := w.Data[r*(w.Cols/QK8_0)*bs:]
	slack := 0.0
	for b := 0; b < w.Cols/QK8_0; b++ {
		m := float64(f16ToF32(le16(row[b*bs+2:])))
		sum := 0
		for _, q := range a.Qs[b*QK8_0 : (b+1)*QK8_0] {
			sum += int(q)
		}
		slack += math.Abs(m*float64(a.D[b])*float64(sum)) / 2048
	}
	return slack
}

func TestMatMulMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	types := matTypes
	for _, typ := range extraTypes {
		if Supported(typ) {
			types = append(types, typ)
		}
	}
	for _, threads := range []int{1, 2, 3} {
		p := NewPool(threads)
		for _, typ := range types {
			for _, nTok := range []int{1, 3, 17} {
				rows, cols := 37, 2*QK_K
				w := randMatrix(t, r, typ, rows, cols)
				x := randVec(r, nTok*cols)
				out := make([]float32, nTok*rows)
				if err := p.MatMul(out, w, x, nTok); err != nil {
					t.Fatal(err)
				}
				want, bound := naiveMatMul(t, w, x, nTok)
				for i := range out {
					if d := math.Abs(float64(out[i]) - want[i]); d > 1e-5*bound[i]+1e-6 {
						t.Fatalf("threads=%d %v nTok=%d: out[%d]=%v, want %v", threads, typ, nTok, i, out[i], want[i])
					}
				}
			}
		}
		p.Close()
	}
}

// TestMatMulReferenceSwitch checks that the reference and fast kernels give
// the same matmul within float rounding, through the public switch.
func TestMatMulReferenceSwitch(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	p := NewPool(2)
	defer p.Close()
	defer UseReference(false)
	for _, typ := range matTypes {
		w := randMatrix(t, r, typ, 64, 4*QK_K)
		x := randVec(r, 5*w.Cols)
		fast := make([]float32, 5*w.Rows)
		ref := make([]float32, 5*w.Rows)
		UseReference(false)
		if err := p.MatMul(fast, w, x, 5); err != nil {
			t.Fatal(err)
		}
		UseReference(true)
		if err := p.MatMul(ref, w, x, 5); err != nil {
			t.Fatal(err)
		}
		_, bound := naiveMatMul(t, w, x, 5)
		for i := range fast {
			if math.Abs(float64(fast[i]-ref[i])) > 1e-5*bound[i]+1e-6 {
				t.Fatalf("%v: fast %v, reference %v at %d", typ, fast[i], ref[i], i)
			}
		}
	}
}

func TestMatMulErrors(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	w := Matrix{Type: gguf.TypeQ4_0, Rows: 2, Cols: 32, Data: make([]byte, 36)}
	out, x := make([]float32, 2), make([]float32, 32)
	cases := map[string]func() error{
		"type": func() error {
			return p.MatMul(out, Matrix{Type: gguf.TypeQ8_K, Rows: 2, Cols: 256, Data: make([]byte, 2*292)}, make([]float32, 256), 1)
		},
		"cols":   func() error { return p.MatMul(out, Matrix{Type: gguf.TypeQ4_0, Rows: 2, Cols: 33, Data: w.Data}, x, 1) },
		"data":   func() error { return p.MatMul(out, Matrix{Type: gguf.TypeQ4_0, Rows: 3, Cols: 32, Data: w.Data}, x, 1) },
		"input":  func() error { return p.MatMul(out, w, x[:31], 1) },
		"output": func() error { return p.MatMul(out[:1], w, x, 1) },
		"tokens": func() error { return p.MatMul(out, w, x, 0) },
		"packed rows": func() error {
			return p.MatMul(out, Matrix{Type: gguf.TypeQ4_0, Rows: 2, Cols: 32, Data: w.Data, Layout: LayoutRows8}, x, 1)
		},
		"packed short": func() error {
			o := make([]float32, 8)
			return p.MatMul(o, Matrix{Type: gguf.TypeQ4_K, Rows: 8, Cols: 256, Data: make([]byte, 8*144), Layout: LayoutRows8}, make([]float32, 256), 1)
		},
		"packed type": func() error {
			return p.MatMul(out, Matrix{Type: gguf.TypeQ5_0, Rows: 8, Cols: 32, Data: make([]byte, 8*22), Layout: LayoutRows8}, x, 1)
		},
		"layout": func() error {
			return p.MatMul(out, Matrix{Type: gguf.TypeQ4_0, Rows: 2, Cols: 32, Data: w.Data, Layout: 9}, x, 1)
		},
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := p.MatMul(out, w, x, 1); err != nil {
		t.Errorf("valid call: %v", err)
	}
}

func TestMatMulNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	p := NewPool(2)
	defer p.Close()
	var ms []Matrix
	for _, typ := range matTypes {
		w := randMatrix(t, r, typ, 256, 512)
		ms = append(ms, w)
		if CanPack(w) {
			pw, err := Pack(w)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, pw)
		}
	}
	for _, w := range ms {
		typ := w.Type
		for _, nTok := range []int{1, 3, 4, 11} {
			x := randVec(r, nTok*w.Cols)
			out := make([]float32, nTok*w.Rows)
			allocs := testing.AllocsPerRun(20, func() {
				if err := p.MatMul(out, w, x, nTok); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v nTok=%d: %v allocations per MatMul", typ, nTok, allocs)
			}
		}
	}
}

func TestDotF32(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 7, 32, 100, 1000} {
		a, b := randVec(r, n), randVec(r, n+3)
		var want, bound float64
		for i := 0; i < n; i++ {
			want += float64(a[i]) * float64(b[i])
			bound += math.Abs(float64(a[i]) * float64(b[i]))
		}
		if got := DotF32(a, b); math.Abs(float64(got)-want) > 1e-5*bound+1e-6 {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}
