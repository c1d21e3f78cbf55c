package kernels

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// Benchmarks report weight bytes read per second (the MB/s column, and
// GB/s as a metric). Each runs with the fast kernels and the reference in
// the same run, so the ratio of the two lines is the speed-up:
//
//	go test ./engine/kernels -run X -bench . -benchtime 20x

func impls() []struct {
	name string
	ref  bool
} {
	return []struct {
		name string
		ref  bool
	}{{"fast", false}, {"ref", true}}
}

// BenchmarkDot runs one kernel over 64 rows of 2048 values (a cache-resident
// tile), which measures the kernel's compute speed, not memory.
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const rows, cols = 64, 2048
	for _, typ := range matTypes {
		w := randMatrix(b, r, typ, rows, cols)
		x := randVec(r, cols)
		var a Q8
		if err := quantizeFor(typ, &a, x); err != nil {
			b.Fatal(err)
		}
		rb, _ := typ.RowBytes(cols)
		for _, im := range impls() {
			set := fastDots
			if im.ref {
				set = refDots
			}
			b.Run(fmt.Sprintf("%v/%s", typ, im.name), func(b *testing.B) {
				b.SetBytes(int64(len(w.Data)))
				var sink float32
				for b.Loop() {
					for row := 0; row < rows; row++ {
						wr := w.Data[row*rb : (row+1)*rb]
						switch typ {
						case gguf.TypeF32:
							sink += set.f32(wr, x)
						case gguf.TypeF16:
							sink += set.f16(wr, x)
						default:
							sink += dotOf(set, typ)(wr, &a, 0, a.Len()/a.Block)
						}
					}
				}
				reportGBs(b, len(w.Data))
				_ = sink
			})
		}
	}
}

func reportGBs(b *testing.B, bytes int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/s/1e9, "GB/s")
	}
}

// BenchmarkQuantize measures activation quantization (per token vector).
func BenchmarkQuantize(b *testing.B) {
	x := randVec(rand.New(rand.NewPCG(2, 2)), 8192)
	var a Q8
	b.Run("Q8_0/8192", func(b *testing.B) {
		b.SetBytes(4 * 8192)
		for b.Loop() {
			QuantizeQ8_0(&a, x)
		}
	})
	b.Run("Q8_K/8192", func(b *testing.B) {
		b.SetBytes(4 * 8192)
		for b.Loop() {
			QuantizeQ8_K(&a, x)
		}
	})
}

// BenchmarkMatMul runs the parallel driver at the 1B model's shapes:
// decode (1 token) on the attention and FFN matrices, and a 512-token
// prefill tile. Weights exceed the caches, so decode is bandwidth bound.
func BenchmarkMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	shapes := []struct{ nTok, rows, cols int }{
		{1, 2048, 2048}, {1, 8192, 2048}, {1, 2048, 8192}, {512, 2048, 2048},
	}
	p := NewPool(0)
	defer p.Close()
	defer UseReference(false)
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ4_K, gguf.TypeQ6_K, gguf.TypeF16} {
		for _, sh := range shapes {
			w := randMatrix(b, r, typ, sh.rows, sh.cols)
			x := randVec(r, sh.nTok*sh.cols)
			out := make([]float32, sh.nTok*sh.rows)
			for _, im := range impls() {
				name := fmt.Sprintf("%v/%dx%dx%d/%s", typ, sh.nTok, sh.cols, sh.rows, im.name)
				b.Run(name, func(b *testing.B) {
					UseReference(im.ref)
					b.SetBytes(int64(len(w.Data)))
					for b.Loop() {
						if err := p.MatMul(out, w, x, sh.nTok); err != nil {
							b.Fatal(err)
						}
					}
					reportGBs(b, len(w.Data))
					b.ReportMetric(float64(sh.nTok*b.N)/b.Elapsed().Seconds(), "tok/s")
				})
			}
			UseReference(false)
			if !CanPack(w) {
				continue
			}
			pw, err := Pack(w)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%v/%dx%dx%d/packed", typ, sh.nTok, sh.cols, sh.rows), func(b *testing.B) {
				b.SetBytes(int64(len(w.Data)))
				for b.Loop() {
					if err := p.MatMul(out, pw, x, sh.nTok); err != nil {
						b.Fatal(err)
					}
				}
				reportGBs(b, len(w.Data))
				b.ReportMetric(float64(sh.nTok*b.N)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

// BenchmarkMatMulStream multiplies matrices larger than the L3 cache (72
// to 108 MB) with 1, 4, 8 and 16 tokens: batched decode, where each step
// streams every weight from memory once and computes with it for every
// sequence. GB/s is weight bytes per second; at 1 token it is the memory
// bandwidth one MatMul reaches, at 8 and 16 whether compute hides it.
func BenchmarkMatMulStream(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	p := NewPool(0)
	defer p.Close()
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ6_K} {
		w := randMatrix(b, r, typ, 16384*2, 4096)
		if CanPack(w) {
			var err error
			if w, err = Pack(w); err != nil {
				b.Fatal(err)
			}
		}
		for _, nTok := range []int{1, 4, 8, 16} {
			x := randVec(r, nTok*w.Cols)
			out := make([]float32, nTok*w.Rows)
			b.Run(fmt.Sprintf("%v/%dtok", typ, nTok), func(b *testing.B) {
				b.SetBytes(int64(len(w.Data)))
				for b.Loop() {
					if err := p.MatMul(out, w, x, nTok); err != nil {
						b.Fatal(err)
					}
				}
				reportGBs(b, len(w.Data))
			})
		}
	}
}

// BenchmarkPackedStream runs the packed kernels at the 1B model's width
// (2048 columns) on a matrix that stays in L3 (8192 rows) and on one that
// streams from memory (65536 rows), with 1, 4 and 8 tokens and the
// pool's threads, in GMAC/s. Set ORCD_AVX2ONLY=1 for the AVX2-only set.
func BenchmarkPackedStream(b *testing.B) {
	if os.Getenv("ORCD_AVX2ONLY") != "" {
		if !UseAVX2Only() {
			b.Fatal("ORCD_AVX2ONLY: this CPU has no AVX2")
		}
		defer UseReference(false)
	}
	r := rand.New(rand.NewPCG(4, 4))
	p := NewPool(0)
	defer p.Close()
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K} {
		for _, rows := range []int{8192, 65536} {
			w, err := Pack(randMatrix(b, r, typ, rows, 2048))
			if err != nil {
				b.Fatal(err)
			}
			for _, nTok := range []int{1, 4, 8} {
				x := randVec(r, nTok*w.Cols)
				out := make([]float32, nTok*w.Rows)
				b.Run(fmt.Sprintf("%v/%dx%d/%dtok", typ, rows, w.Cols, nTok), func(b *testing.B) {
					for b.Loop() {
						if err := p.MatMul(out, w, x, nTok); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(nTok*rows*w.Cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				})
			}
		}
	}
}

// BenchmarkPack measures repacking at load (MB/s of source weights).
func BenchmarkPack(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ4_K, gguf.TypeQ6_K} {
		w := randMatrix(b, r, typ, 2048, 2048)
		b.Run(typ.String(), func(b *testing.B) {
			b.SetBytes(int64(len(w.Data)))
			for b.Loop() {
				if _, err := Pack(w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPackedK runs packed K-quant matmuls at the 1B model's FFN shape
// (2048 -> 8192) for decode (1 token) and a prefill tile (32 tokens), with
// the assembly and with the Go reference of the packed layout.
func BenchmarkPackedK(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	p := NewPool(0)
	defer p.Close()
	defer UseReference(false)
	for _, typ := range []gguf.Type{gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K} {
		w, err := Pack(randMatrix(b, r, typ, 8192, 2048))
		if err != nil {
			b.Fatal(err)
		}
		for _, nTok := range []int{1, 32} {
			x := randVec(r, nTok*w.Cols)
			out := make([]float32, nTok*w.Rows)
			for _, im := range impls() {
				b.Run(fmt.Sprintf("%v/%dtok/%s", typ, nTok, im.name), func(b *testing.B) {
					UseReference(im.ref)
					b.SetBytes(int64(len(w.Data)))
					for b.Loop() {
						if err := p.MatMul(out, w, x, nTok); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(nTok*b.N)/b.Elapsed().Seconds(), "tok/s")
				})
			}
		}
	}
}
