//go:build cgo

package cuda

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/batchbench"
	"github.com/orcd/orcd/gguf"
)

// h100GBs is the H100's measured read bandwidth (ANCHORS.md: a read-only
// kernel reached 3109 GB/s). Decode reads every weight once per token, so
// bytes/token over the read bandwidth is the roofline.
const h100GBs = 3109

// peakGBs is the roofline's bandwidth: $ORCD_PEAK_GBS, which
// cuda/gpucheck.sh sets from `kernel_check bandwidth` on the machine at
// hand (an H200 reads faster than the H100 the anchors were measured on),
// else h100GBs.
func peakGBs(b *testing.B) float64 {
	v := os.Getenv("ORCD_PEAK_GBS")
	if v == "" {
		b.Logf("roofline: ANCHORS.md's H100 read bandwidth, %d GB/s ($ORCD_PEAK_GBS unset)", h100GBs)
		return h100GBs
	}
	gbs, err := strconv.ParseFloat(v, 64)
	if err != nil || !(gbs > 0) {
		b.Fatalf("ORCD_PEAK_GBS=%q: want a read bandwidth in GB/s", v)
	}
	b.Logf("roofline: %.0f GB/s measured on this GPU ($ORCD_PEAK_GBS; %.2fx the H100's %d)", gbs, gbs/h100GBs, h100GBs)
	return gbs
}

// BenchmarkCUDA runs the models in $ORCD_BENCH_MODELS (comma-separated
// paths, e.g. made by cuda/benchgen) on the GPU: prefill of 512 tokens,
// then greedy single-stream decode of 128 tokens from an empty cache (as
// llama-bench's pp512 / tg128) and from position 512.
func BenchmarkCUDA(b *testing.B) {
	lib := os.Getenv(EnvLib)
	models := os.Getenv("ORCD_BENCH_MODELS")
	if lib == "" || models == "" {
		b.Skipf("needs $%s and $ORCD_BENCH_MODELS (cuda/gpucheck.sh sets both)", EnvLib)
	}
	peak := peakGBs(b)
	for _, path := range strings.Split(models, ",") {
		f, err := gguf.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		m, err := engine.LoadModel(f)
		if err != nil {
			b.Fatal(err)
		}
		be, err := open(m, Options{LibPath: lib, Context: 1024})
		if err != nil {
			b.Fatal(err)
		}
		bytes := decodeBytes(m)
		name := strings.TrimSuffix(filepath.Base(path), ".gguf")
		b.Run(name+"/prefill512", func(b *testing.B) { benchPrefill(b, be, 512) })
		b.Run(name+"/decode128", func(b *testing.B) { benchDecode(b, be, 1, 128, bytes, peak) })
		b.Run(name+"/decode128@512", func(b *testing.B) { benchDecode(b, be, 512, 128, bytes, peak) })
		be.Close()
		f.Close()
	}
}

// BenchmarkCUDABatched (issue #8 on CUDA) decodes 1 to 64 sequences at
// once on the models in $ORCD_BENCH_MODELS: every step is one batch with
// the next token of every sequence (prompts of 16, 64 steps). It reports
// aggregate tokens/s, the median and p99 step (each sequence's time
// between tokens) and the ratio to one sequence in the same run.
func BenchmarkCUDABatched(b *testing.B) {
	lib := os.Getenv(EnvLib)
	models := os.Getenv("ORCD_BENCH_MODELS")
	if lib == "" || models == "" {
		b.Skipf("needs $%s and $ORCD_BENCH_MODELS (cuda/gpucheck.sh sets both)", EnvLib)
	}
	const prompt, steps = 16, 64
	for _, path := range strings.Split(models, ",") {
		f, err := gguf.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		m, err := engine.LoadModel(f)
		if err != nil {
			b.Fatal(err)
		}
		be, err := open(m, Options{LibPath: lib, Context: prompt + steps + 1, MaxSeqs: 64})
		if err != nil {
			b.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".gguf")
		var one float64
		for _, n := range []int{1, 2, 4, 8, 16, 32, 64} {
			b.Run(fmt.Sprintf("%s/seqs=%d", name, n), func(b *testing.B) {
				var agg float64
				var st batchbench.Stats
				for b.Loop() {
					if st, err = batchbench.Decode(context.Background(), be, m.Config.NVocab, n, prompt, steps); err != nil {
						b.Fatal(err)
					}
					agg += st.AggTokPerS
				}
				agg /= float64(b.N)
				if n == 1 {
					one = agg
				}
				b.ReportMetric(agg, "agg-tok/s")
				b.ReportMetric(float64(st.StepP50)/1e6, "step-p50-ms")
				b.ReportMetric(float64(st.StepP99)/1e6, "step-p99-ms")
				if one > 0 {
					b.ReportMetric(agg/one, "x-1seq")
				}
			})
		}
		be.Close()
		f.Close()
	}
}

// decodeBytes is what one decode step must read: every matrix and vector
// of the blocks, the output norm and the LM head (the embedding lookup
// reads one row, which is left out).
func decodeBytes(m *engine.Model) float64 {
	w := &m.Weights
	n := float64(w.Output.Size + w.OutputNorm.Size)
	for _, l := range w.Layers {
		for _, t := range []*gguf.TensorInfo{l.AttnNorm, l.Wq, l.Wk, l.Wv, l.Wqkv, l.Bq, l.Bk, l.Bv, l.QNorm, l.KNorm, l.Wo, l.FFNNorm, l.Gate, l.Up, l.GateUp, l.Down} {
			if t != nil {
				n += float64(t.Size)
			}
		}
	}
	return n
}

// batchOf is n tokens of a made-up prompt from position start; ids stay
// below vocab, so that any model (even stories260K's 512) can run it.
func batchOf(n, start, vocab int) *engine.Batch {
	bt := &engine.Batch{Tokens: make([]int32, n), Pos: make([]int32, n), Seq: make([]int32, n), Logits: make([]bool, n)}
	for i := range bt.Tokens {
		bt.Tokens[i] = int32((i*7919 + 13) % min(vocab, 32000))
		bt.Pos[i] = int32(start + i)
	}
	bt.Logits[n-1] = true
	return bt
}

func benchPrefill(b *testing.B, be *Backend, n int) {
	ctx := context.Background()
	id := make([]int32, 1)
	var spent time.Duration
	for b.Loop() {
		if err := be.ClearSeq(0); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := be.ForwardArgmax(ctx, batchOf(n, 0, be.cfg.NVocab), id); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(t0)
	}
	b.ReportMetric(float64(n*b.N)/spent.Seconds(), "tok/s")
}

func benchDecode(b *testing.B, be *Backend, prompt, n int, bytes, peak float64) {
	ctx := context.Background()
	id := make([]int32, 1)
	var spent time.Duration
	for b.Loop() {
		if err := be.ClearSeq(0); err != nil {
			b.Fatal(err)
		}
		if err := be.ForwardArgmax(ctx, batchOf(prompt, 0, be.cfg.NVocab), id); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for i := 0; i < n; i++ {
			bt := &engine.Batch{Tokens: []int32{id[0]}, Pos: []int32{int32(prompt + i)}, Seq: []int32{0}, Logits: []bool{true}}
			if err := be.ForwardArgmax(ctx, bt, id); err != nil {
				b.Fatal(err)
			}
		}
		spent += time.Since(t0)
	}
	tps := float64(n*b.N) / spent.Seconds()
	b.ReportMetric(tps, "tok/s")
	b.ReportMetric(bytes/1e6, "MB/token")
	b.ReportMetric(tps*bytes/1e9, "GB/s")
	b.ReportMetric(100*tps*bytes/1e9/peak, "%roofline")
}
