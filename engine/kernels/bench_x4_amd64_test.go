package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// BenchmarkDotX4 compares the four-token prefill kernels on one CPU: the
// AVX2 form and the AVX-512 VNNI form over 64 cache-resident rows of 2048
// values, four tokens at once. MB/s counts weight bytes (once per four
// tokens), so the ratio of two lines is the speed-up.
func BenchmarkDotX4(b *testing.B) {
	if !hasVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(1, 2))
	const rows, cols = 64, 2048
	nb := cols / 32
	var a Q8
	if err := QuantizeQ8_0(&a, randVec(r, 4*cols)); err != nil {
		b.Fatal(err)
	}
	kernels := []struct {
		typ  gguf.Type
		name string
		fn   func(w *byte, a *Q8, out *[4]float32)
	}{
		{gguf.TypeQ8_0, "avx2", func(w *byte, a *Q8, out *[4]float32) {
			dotQ8_0x4AVX2(w, &a.Qs[0], &a.D[0], nb, cols, nb*4, out)
		}},
		{gguf.TypeQ8_0, "vnni", func(w *byte, a *Q8, out *[4]float32) {
			dotQ8_0x4VNNI(w, &a.Qs[0], &a.D[0], &a.Corr[0], nb, cols, nb*4, out)
		}},
		{gguf.TypeQ4_0, "avx2", func(w *byte, a *Q8, out *[4]float32) {
			dotQ4_0x4AVX2(w, &a.Qs[0], &a.D[0], nb, cols, nb*4, out)
		}},
		{gguf.TypeQ4_0, "vnni", func(w *byte, a *Q8, out *[4]float32) {
			dotQ4_0x4VNNI(w, &a.Qs[0], &a.D[0], &a.Corr[0], nb, cols, nb*4, out)
		}},
	}
	for _, k := range kernels {
		w := randMatrix(b, r, k.typ, rows, cols)
		rb, _ := k.typ.RowBytes(cols)
		b.Run(fmt.Sprintf("%v/%s", k.typ, k.name), func(b *testing.B) {
			b.SetBytes(int64(len(w.Data)))
			var out [4]float32
			for b.Loop() {
				for row := 0; row < rows; row++ {
					k.fn(&w.Data[row*rb], &a, &out)
				}
			}
		})
	}
}

// BenchmarkDotQ4_KX4 compares the four-token Q4_K kernel with four calls of
// the one-token kernel over 64 cache-resident rows of 2048 values.
func BenchmarkDotQ4_KX4(b *testing.B) {
	if !hasVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	r := rand.New(rand.NewPCG(1, 3))
	const rows, cols = 64, 2048
	nb := cols / QK_K
	var a Q8
	if err := QuantizeQ8_K(&a, randVec(r, 4*cols)); err != nil {
		b.Fatal(err)
	}
	w := randMatrix(b, r, gguf.TypeQ4_K, rows, cols)
	rb, _ := gguf.TypeQ4_K.RowBytes(cols)
	for _, quad := range []bool{false, true} {
		name := map[bool]string{false: "4x1", true: "x4"}[quad]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(w.Data)))
			var out [4]float32
			for b.Loop() {
				for row := 0; row < rows; row++ {
					wr := w.Data[row*rb : (row+1)*rb]
					if quad {
						fastDots.q4_Kx4(wr, &a, 0, nb, nb, &out)
						continue
					}
					for t := range out {
						out[t] = fastDots.q4_K(wr, &a, t*nb, nb)
					}
				}
			}
		})
	}
}

// BenchmarkPackedQ4_0 runs the packed Q4_0 kernels over 16 eight-row
// groups of 2048 values (cache resident), one and four tokens at a time:
// the kernels' compute speed. tok-rows/s counts token-row products.
func BenchmarkPackedQ4_0(b *testing.B) {
	if !hasVNNI {
		b.Fatal("no AVX-512 VNNI: the packed kernels are not used on this CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	const rows, cols = 128, 2048
	w, err := Pack(randMatrix(b, r, gguf.TypeQ4_0, rows, cols))
	if err != nil {
		b.Fatal(err)
	}
	var a Q8
	if err := QuantizeQ8_0(&a, randVec(r, 8*cols)); err != nil {
		b.Fatal(err)
	}
	nb, gb := cols/32, cols/32*144
	out := make([]float32, 8*rows)
	b.Run("x1", func(b *testing.B) {
		for b.Loop() {
			for g := 0; g < rows/8; g++ {
				fastDots.q4_0x8x1(w.Data[g*gb:(g+1)*gb], &a, 0, nb, out[8*g:])
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "tok-rows/s")
	})
	b.Run("x4", func(b *testing.B) {
		for b.Loop() {
			for g := 0; g < rows/8; g++ {
				fastDots.q4_0x8x4(w.Data[g*gb:(g+1)*gb], &a, 0, nb, out[8*g:], rows)
			}
		}
		b.ReportMetric(float64(4*rows*b.N)/b.Elapsed().Seconds(), "tok-rows/s")
	})
	b.Run("x8", func(b *testing.B) {
		for b.Loop() {
			for g := 0; g < rows/8; g++ {
				fastDots.q4_0x8x8(w.Data[g*gb:(g+1)*gb], &a, 0, nb, out[8*g:], rows)
			}
		}
		b.ReportMetric(float64(8*rows*b.N)/b.Elapsed().Seconds(), "tok-rows/s")
	})
}
