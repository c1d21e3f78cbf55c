package gguf

import (
	"fmt"
	"testing"
)

// benchTypes are the dequantizable types, in rough order of bits per weight.
var benchTypes = []Type{TypeF32, TypeF16, TypeBF16, TypeQ8_0, TypeQ8_K, TypeQ6_K, TypeQ5_1, TypeQ5_0, TypeQ5_K,
	TypeQ4_1, TypeQ4_0, TypeQ4_K, TypeQ3_K, TypeQ2_K}

// benchElems is 1 Mi values: 4 MiB of float32 output, beyond L2 but the
// size of a real model's row block, so memory traffic is realistic.
const benchElems = 1 << 20

// BenchmarkDequantize reports throughput as MB/s of float32 OUTPUT (4 bytes
// per value), so types are comparable with each other. "copy" is the
// baseline: copy() of the same float32 output, i.e. memory bandwidth.
func BenchmarkDequantize(b *testing.B) {
	x := gaussian(benchElems, 1, 11)
	dst := make([]float32, benchElems)
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(4 * benchElems)
		for b.Loop() {
			copy(dst, x)
		}
	})
	for _, typ := range benchTypes {
		q, err := Quantize(typ, x)
		if err != nil {
			b.Fatal(err)
		}
		fn, err := RowDequantizer(typ)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(typ.String(), func(b *testing.B) {
			b.SetBytes(4 * benchElems)
			b.ReportMetric(float64(len(q))/float64(benchElems)*8, "bits/weight")
			for b.Loop() {
				fn(q, dst)
			}
		})
	}
}

// BenchmarkQuantize reports MB/s of float32 INPUT.
func BenchmarkQuantize(b *testing.B) {
	const n = 1 << 16
	x := gaussian(n, 1, 12)
	for _, typ := range []Type{TypeF16, TypeQ8_0, TypeQ4_0, TypeQ4_K, TypeQ6_K, TypeQ8_K} {
		dst := make([]byte, must(typ.RowBytes(n)))
		b.Run(typ.String(), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				if err := QuantizeTo(typ, x, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen measures parsing the largest fixture header (128k-token
// vocabulary, 280k merges) with the tensor data memory-mapped, not read.
func BenchmarkOpen(b *testing.B) {
	for _, rel := range []string{"models/stories260K.gguf", "models/tiny-llama3-q8_0.gguf"} {
		p := fixture(b, rel)
		b.Run(rel, func(b *testing.B) {
			for b.Loop() {
				f, err := Open(p)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

func must(n int, err error) int {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return n
}
