package cpu

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// The Llama-3.2-1B-shaped benchmarks of ANCHORS.md: n_embd 2048, 16
// layers, 32 heads, 8 KV heads, n_ff 8192, tied embeddings, the 128256
// token Llama 3 vocabulary, random weights. The file (about 0.7 or 1.2
// GiB) is generated on first use into $ORCD_BENCH_DIR (default the temp
// dir) and reused. Set ORCD_BENCH_1B=q4_0, q4_k, q8_0, f16, bf16, q2_k, q3_k, q5_k, q5_0, q4_1, q5_1, iq4_xs or iq4_nl to run them: they take
// minutes on two cores, which a plain `go test -bench .` should not.

// llama1BShape lists the tensors of the 1B shape in file order.
func llama1BShape() []gguf.TensorInfo {
	const e, ff, layers, kv, vocab = 2048, 8192, 16, 512, 128256
	ts := []gguf.TensorInfo{{Name: "token_embd.weight", Dims: []uint64{e, vocab}}}
	for l := 0; l < layers; l++ {
		add := func(name string, dims ...uint64) {
			ts = append(ts, gguf.TensorInfo{Name: fmt.Sprintf("blk.%d.%s", l, name), Dims: dims})
		}
		add("attn_norm.weight", e)
		add("attn_q.weight", e, e)
		add("attn_k.weight", e, kv)
		add("attn_v.weight", e, kv)
		add("attn_output.weight", e, e)
		add("ffn_norm.weight", e)
		add("ffn_gate.weight", e, ff)
		add("ffn_up.weight", e, ff)
		add("ffn_down.weight", ff, e)
	}
	return append(ts, gguf.TensorInfo{Name: "output_norm.weight", Dims: []uint64{e}})
}

// llama1BFile returns the path of the generated model, making it first if
// needed. For Q4_0 and Q4_K the embedding is Q6_K, as llama-quantize does.
func llama1BFile(b *testing.B, quant string) string {
	typ, ok := map[string]gguf.Type{"q4_0": gguf.TypeQ4_0, "q8_0": gguf.TypeQ8_0, "q4_k": gguf.TypeQ4_K, "f16": gguf.TypeF16, "bf16": gguf.TypeBF16, "q2_k": gguf.TypeQ2_K, "q3_k": gguf.TypeQ3_K, "q5_k": gguf.TypeQ5_K, "q5_0": gguf.TypeQ5_0, "q4_1": gguf.TypeQ4_1, "q5_1": gguf.TypeQ5_1, "iq4_xs": gguf.TypeIQ4_XS, "iq4_nl": gguf.TypeIQ4_NL}[quant]
	if !ok {
		b.Fatalf("ORCD_BENCH_1B=%q: want q4_0, q4_k, q8_0, f16, bf16, q2_k, q3_k, q5_k, q5_0, q4_1, q5_1, iq4_xs or iq4_nl", quant)
	}
	dir := os.Getenv("ORCD_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "orcd-llama1b-"+quant+".gguf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	meta := llama1BMeta(b)
	ts := llama1BShape()
	for i := range ts {
		switch {
		case len(ts[i].Dims) == 1:
			ts[i].Type = gguf.TypeF32
		case ts[i].Name == "token_embd.weight" && typ != gguf.TypeQ8_0 && typ != gguf.TypeF16 && typ != gguf.TypeBF16:
			ts[i].Type = gguf.TypeQ6_K
		default:
			ts[i].Type = typ
		}
	}
	if err := writeRandomModel(path, meta, ts); err != nil {
		os.Remove(path)
		b.Fatal(err)
	}
	return path
}

func llama1BMeta(b *testing.B) []gguf.KV {
	vpath := filepath.Join(testdata, "vocab", "ggml-vocab-llama-bpe.gguf")
	v, err := gguf.Open(vpath)
	if err != nil {
		b.Fatalf("vocab for the 1B benchmark: %v", err)
	}
	defer v.Close()
	kv := func(k string, x any) gguf.KV { return gguf.KV{Key: k, Value: gguf.MustValue(x)} }
	meta := []gguf.KV{
		kv("general.architecture", "llama"),
		kv("llama.block_count", uint32(16)),
		kv("llama.context_length", uint32(131072)),
		kv("llama.embedding_length", uint32(2048)),
		kv("llama.feed_forward_length", uint32(8192)),
		kv("llama.attention.head_count", uint32(32)),
		kv("llama.attention.head_count_kv", uint32(8)),
		kv("llama.rope.freq_base", float32(500000)),
		kv("llama.attention.layer_norm_rms_epsilon", float32(1e-5)),
		kv("llama.rope.dimension_count", uint32(64)),
	}
	for _, m := range v.Metadata {
		if strings.HasPrefix(m.Key, "tokenizer.") {
			meta = append(meta, m)
		}
	}
	return meta
}

// writeRandomModel streams the tensors with uniform random values (std
// 0.02; norms 1), quantizing 16 rows at a time so memory stays small.
func writeRandomModel(path string, meta []gguf.KV, ts []gguf.TensorInfo) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := gguf.NewWriter(bw, meta, ts)
	if err != nil {
		return err
	}
	state := uint64(0x9e3779b97f4a7c15)
	const a = 0.02 * 1.7320508 // uniform [-a, a] has std 0.02
	for _, t := range ts {
		cols := int(t.Dims[0])
		rows := int(t.Elements()) / cols
		for r := 0; r < rows; r += 16 {
			n := min(16, rows-r) * cols
			x := make([]float32, n)
			for i := range x {
				if len(t.Dims) == 1 {
					x[i] = 1
					continue
				}
				state ^= state << 13
				state ^= state >> 7
				state ^= state << 17
				x[i] = float32(a * (2*float64(state>>11)/float64(1<<53) - 1))
			}
			q, err := gguf.Quantize(t.Type, x)
			if err != nil {
				return err
			}
			if _, err := w.Write(q); err != nil {
				return err
			}
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func bench1B(b *testing.B) *Backend {
	quant := os.Getenv("ORCD_BENCH_1B")
	if quant == "" {
		b.Skip("set ORCD_BENCH_1B=q4_0, q4_k, q8_0, f16, bf16, q2_k, q3_k, q5_k, q5_0, q4_1, q5_1, iq4_xs or iq4_nl to build and run the 1B-shaped model (minutes)")
	}
	return openBackendPath(b, llama1BFile(b, quant), Options{Threads: 2, Context: 256, MaxBatch: 128})
}

func BenchmarkLlama1BPrefill128(b *testing.B) {
	be := bench1B(b)
	prompt := benchTokens(128, be.c.NVocab)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.ClearSeq(0)
		feed(b, be, 0, 0, prompt)
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "tok/s")
}

func BenchmarkLlama1BDecode(b *testing.B) {
	be := bench1B(b)
	tok := int32(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%be.opts.Context == 0 {
			be.ClearSeq(0)
		}
		tok = argmax(feed(b, be, 0, be.SeqLen(0), []int32{tok}))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
	b.ReportMetric(float64(residentBytes())/(1<<20), "RSS-MiB")
	b.ReportMetric(float64(be.m.File.Size+int64(be.KVBytes()))/(1<<20), "file+KV-MiB")
}

// BenchmarkLlama1BDecodeStep times one decode step of 1 and of 8
// sequences (one token each, every row asking for logits, 32 tokens of
// context, or ORCD_BENCH_CTX): the Forward a batched-decode scheduler step
// makes. x-1seq is the 8-sequence step's tokens per second against the
// 1-sequence step's, measured in alternating rounds so both see the same
// machine load. ORCD_BENCH_KV=f16 selects an F16 KV cache.
func BenchmarkLlama1BDecodeStep(b *testing.B) {
	quant := os.Getenv("ORCD_BENCH_1B")
	if quant == "" {
		b.Skip("set ORCD_BENCH_1B=q4_0, q4_k, q8_0, f16, bf16, q2_k, q3_k, q5_k, q5_0, q4_1, q5_1, iq4_xs or iq4_nl to build and run the 1B-shaped model (minutes)")
	}
	const seqs = 8
	ctx, kv := 32, gguf.TypeF32
	if v, err := strconv.Atoi(os.Getenv("ORCD_BENCH_CTX")); err == nil && v > 0 {
		ctx = v
	}
	if os.Getenv("ORCD_BENCH_KV") == "f16" {
		kv = gguf.TypeF16
	}
	be := openBackendPath(b, llama1BFile(b, quant), Options{Threads: 2, Context: ctx + 224, MaxBatch: 128, MaxSeqs: seqs, KVType: kv})
	prompt := benchTokens(ctx, be.c.NVocab)
	step := func(n int) time.Duration {
		if be.SeqLen(0) == 0 || be.SeqLen(0) >= be.opts.Context-1 {
			for s := range int32(seqs) {
				be.ClearSeq(s)
				feed(b, be, s, 0, prompt)
			}
		}
		batch := &engine.Batch{Tokens: make([]int32, n), Pos: make([]int32, n), Seq: make([]int32, n), Logits: make([]bool, n)}
		for i := range n {
			// Sequence 0 advances in both steps; the others keep its pace.
			batch.Tokens[i], batch.Pos[i], batch.Seq[i], batch.Logits[i] = int32(1+i), int32(be.SeqLen(int32(i))), int32(i), true
		}
		logits := make([]float32, n*be.c.NVocab)
		start := time.Now()
		if err := be.Forward(context.Background(), batch, logits); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var one, eight time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		one += step(1)
		for s := 1; s < seqs; s++ {
			be.kv.lens[s] = be.SeqLen(0) // pad the others to sequence 0's length
		}
		eight += step(seqs)
	}
	b.ReportMetric(float64(one.Milliseconds())/float64(b.N), "1seq-ms")
	b.ReportMetric(float64(eight.Milliseconds())/float64(b.N), "8seq-ms")
	b.ReportMetric(float64(seqs)*float64(one)/float64(eight), "x-1seq")
}
