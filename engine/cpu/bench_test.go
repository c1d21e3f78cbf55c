package cpu

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine"
)

// The benchmarks mirror `llama-bench -t 2 -p 128 -n 64`: prefill of a
// 128-token prompt in one batch, and decode of 64 tokens one at a time,
// reported as tok/s. ANCHORS.md has llama.cpp's figures for the same
// shapes (stories260K: ~10,400 prefill, ~7,500 decode with 2 threads).

// benchModel is stories260K, or the file at the path ORCD_BENCH_MODEL
// (for the 1B-shaped files that make bench generates).
func benchModel(b *testing.B) *Backend {
	file := filepath.Join(testdata, "models", "stories260K.gguf")
	if p := os.Getenv("ORCD_BENCH_MODEL"); p != "" {
		file = p
	}
	return openBackendPath(b, file, Options{Threads: 2, Context: 256, MaxBatch: 128})
}

func benchTokens(n, vocab int) []int32 {
	toks := make([]int32, n)
	for i := range toks {
		toks[i] = int32((i*7919 + 13) % vocab)
	}
	return toks
}

func BenchmarkPrefill128(b *testing.B) {
	be := benchModel(b)
	prompt := benchTokens(128, be.c.NVocab)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.ClearSeq(0)
		feed(b, be, 0, 0, prompt)
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "tok/s")
}

func BenchmarkDecode64(b *testing.B) {
	be := benchModel(b)
	logits := make([]float32, be.c.NVocab)
	one := &engine.Batch{Tokens: []int32{1}, Pos: []int32{0}, Seq: []int32{0}, Logits: []bool{true}}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.ClearSeq(0)
		for p := 0; p < 64; p++ {
			one.Pos[0] = int32(p)
			if err := be.Forward(ctx, one, logits); err != nil {
				b.Fatal(err)
			}
			one.Tokens[0] = argmax(logits)
		}
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "tok/s")
	// Resident memory: the mapped weights that were read, the KV cache,
	// the state and the Go runtime; compare with the file size + KV cache.
	b.ReportMetric(float64(residentBytes())/(1<<20), "RSS-MiB")
	b.ReportMetric(float64(be.m.File.Size+int64(be.KVBytes()))/(1<<20), "file+KV-MiB")
}
