package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orcd/orcd/gguf"
)

// TestRows16 checks Q4_0, Q8_0, Q4_K, Q5_K and Q6_K in LayoutRows16 against
// the same matrix in LayoutRows8: bit for bit with the fast kernels (the
// sixteen-row kernels do the eight-row ones' arithmetic per lane) and with
// the Go references, and within float rounding between the two, for token
// counts that run every kernel width and tail, on 1 to 3 threads. On a CPU
// without the sixteen-row kernels the fast pass runs the Go reference of
// the layout.
func TestRows16(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	defer UseReference(false)
	for _, c := range []struct {
		typ        gguf.Type
		rows, cols int
	}{{gguf.TypeQ4_0, 16, 12 * QK8_0}, {gguf.TypeQ4_0, 48, 12 * QK8_0}, {gguf.TypeQ8_0, 16, 12 * QK8_0}, {gguf.TypeQ8_0, 48, 12 * QK8_0}, {gguf.TypeQ4_K, 16, 2 * QK_K}, {gguf.TypeQ4_K, 48, 3 * QK_K}, {gguf.TypeQ5_K, 16, 2 * QK_K}, {gguf.TypeQ5_K, 48, 3 * QK_K}, {gguf.TypeQ6_K, 16, 2 * QK_K}, {gguf.TypeQ6_K, 48, 3 * QK_K}, {gguf.TypeIQ4_NL, 16, 12 * QK8_0}, {gguf.TypeIQ4_NL, 48, 12 * QK8_0}, {gguf.TypeQ5_0, 16, 12 * QK8_0}, {gguf.TypeQ5_0, 48, 12 * QK8_0}, {gguf.TypeQ4_1, 16, 12 * QK8_0}, {gguf.TypeQ4_1, 48, 12 * QK8_0}, {gguf.TypeQ5_1, 16, 12 * QK8_0}, {gguf.TypeQ5_1, 48, 12 * QK8_0}} {
		rows := c.rows
		w := randMatrix(t, r, c.typ, rows, c.cols)
		p8 := Matrix{Type: w.Type, Rows: w.Rows, Cols: w.Cols, Data: make([]byte, PackedSize(w)), Layout: LayoutRows8}
		p16 := p8
		p16.Data, p16.Layout = make([]byte, PackedSize(w)), LayoutRows16
		packRows8Groups(p8.Data, w, 0, rows/8)
		packRows16Groups(p16.Data, w, 0, rows/8)
		for _, nTok := range []int{1, 2, 3, 4, 5, 8, 9, 13, 37} {
			x := randVec(r, nTok*w.Cols)
			var fast [2][]float32
			for i, ref := range []bool{false, true} {
				UseReference(ref)
				for threads := 1; threads <= 3; threads++ {
					// A pool each: quantized activations left in a pool
					// by one layout's call must not feed the other's.
					p, q := NewPool(threads), NewPool(threads)
					got8, got16 := make([]float32, nTok*rows), make([]float32, nTok*rows)
					if err := p.MatMul(got8, p8, x, nTok); err != nil {
						t.Fatal(err)
					}
					if err := q.MatMul(got16, p16, x, nTok); err != nil {
						t.Fatal(err)
					}
					p.Close()
					q.Close()
					// Either layout runs its kernels or, where there are
					// none (arm64 has no sixteen-row ones), the Go
					// reference of the layout: bit for bit the same only
					// when both sides run the same kind.
					exact := ref || (packedKernels(c.typ, LayoutRows8).x1 != nil) == (packedKernels(c.typ, LayoutRows16).x1 != nil)
					for j := range got8 {
						if !exact && math.Abs(float64(got8[j]-got16[j])) <= 1e-5*math.Abs(float64(got8[j]))+1e-4 {
							continue
						}
						if math.Float32bits(got8[j]) != math.Float32bits(got16[j]) {
							t.Fatalf("%v rows=%d nTok=%d ref=%v threads=%d: out[%d] = %v in LayoutRows16, %v in LayoutRows8", c.typ, rows, nTok, ref, threads, j, got16[j], got8[j])
						}
					}
					fast[i] = got16
				}
			}
			for j := range fast[0] {
				if d := math.Abs(float64(fast[0][j] - fast[1][j])); d > 1e-5*math.Abs(float64(fast[1][j]))+1e-4 {
					t.Fatalf("%v rows=%d nTok=%d: out[%d] = %v fast, %v reference", c.typ, rows, nTok, j, fast[0][j], fast[1][j])
				}
			}
		}
	}
}

// TestRows16Errors: MatMul refuses a sixteen-row layout it cannot run.
func TestRows16Errors(t *testing.T) {
	p := NewPool(1)
	defer p.Close()
	x := make([]float32, 64)
	out := make([]float32, 32)
	for name, m := range map[string]Matrix{
		"rows": {Type: gguf.TypeQ4_0, Rows: 8, Cols: 32, Data: make([]byte, 8*18), Layout: LayoutRows16},
		"type": {Type: gguf.TypeQ2_K, Rows: 16, Cols: 256, Data: make([]byte, 16*84), Layout: LayoutRows16},
		"size": {Type: gguf.TypeQ4_0, Rows: 16, Cols: 32, Data: make([]byte, 16*18-1), Layout: LayoutRows16},
	} {
		if err := p.MatMul(out, m, x, 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// BenchmarkRows16Paired multiplies one matrix that streams from memory
// (65536 x 2048) in both packed layouts, alternating call by call so that
// both see the same machine state (this VM's memory speed drifts by tens
// of percent within minutes), with 1 and 8 tokens on the pool's threads.
// x-rows8 is the sixteen-row layout's speed over the eight-row one's.
func BenchmarkRows16Paired(b *testing.B) {
	r := rand.New(rand.NewPCG(43, 44))
	p := NewPool(0)
	defer p.Close()
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K} {
		w := randMatrix(b, r, typ, 65536, 2048)
		p8 := Matrix{Type: w.Type, Rows: w.Rows, Cols: w.Cols, Data: make([]byte, PackedSize(w)), Layout: LayoutRows8}
		p16 := p8
		p16.Data, p16.Layout = make([]byte, PackedSize(w)), LayoutRows16
		packRows8Groups(p8.Data, w, 0, w.Rows/8)
		packRows16Groups(p16.Data, w, 0, w.Rows/8)
		for _, nTok := range []int{1, 8} {
			x := randVec(r, nTok*w.Cols)
			out := make([]float32, nTok*w.Rows)
			b.Run(fmt.Sprintf("%v/%dtok", typ, nTok), func(b *testing.B) {
				var t8, t16 time.Duration
				for b.Loop() {
					for i, m := range []Matrix{p8, p16} {
						start := time.Now()
						if err := p.MatMul(out, m, x, nTok); err != nil {
							b.Fatal(err)
						}
						if i == 0 {
							t8 += time.Since(start)
						} else {
							t16 += time.Since(start)
						}
					}
				}
				macs := float64(nTok*w.Rows*w.Cols) * float64(b.N) / 1e9
				b.ReportMetric(macs/t8.Seconds(), "rows8-GMAC/s")
				b.ReportMetric(macs/t16.Seconds(), "rows16-GMAC/s")
				b.ReportMetric(t8.Seconds()/t16.Seconds(), "x-rows8")
			})
		}
	}
}
