// Command benchgen writes a random-weight GGUF model in the Llama-3.2-1B
// shape (n_embd 2048, 16 layers, 32 heads, 8 KV heads, n_ff 8192, 128256
// vocab, tied embeddings) for the CUDA decode and prefill benchmarks. The
// weights are random quant blocks with small scales: their values do not
// matter for speed, only their types and sizes do. The file has no
// tokenizer; the benchmarks feed token ids.
//
//	benchgen -type q4_0 -out bench-q4_0.gguf   # layers Q4_0, embedding/head Q6_K
//	benchgen -type q8_0 -out bench-q8_0.gguf   # everything Q8_0
//	benchgen -type iq2_xxs -out bench-iq2_xxs.gguf # layers IQ2_XXS, embedding/head Q6_K
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/orcd/orcd/gguf"
)

// shape is the model geometry; flags can shrink it for quick runs.
type shape struct {
	embd, layers, heads, kvHeads, ff, vocab int
}

func main() {
	var s shape
	typ := flag.String("type", "q4_0", "q4_0 or iq2_xxs (embedding Q6_K), or q8_0")
	out := flag.String("out", "", "output file")
	flag.IntVar(&s.embd, "embd", 2048, "n_embd")
	flag.IntVar(&s.layers, "layers", 16, "layers")
	flag.IntVar(&s.heads, "heads", 32, "attention heads")
	flag.IntVar(&s.kvHeads, "kv-heads", 8, "KV heads")
	flag.IntVar(&s.ff, "ff", 8192, "n_ff")
	flag.IntVar(&s.vocab, "vocab", 128256, "vocabulary rows")
	flag.Parse()
	if err := run(*typ, *out, s); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

func run(typ, out string, s shape) error {
	if out == "" {
		return errors.New("-out is required")
	}
	var mat, emb gguf.Type
	var fileType uint32
	switch typ {
	case "q4_0":
		mat, emb, fileType = gguf.TypeQ4_0, gguf.TypeQ6_K, 2
	case "q8_0":
		mat, emb, fileType = gguf.TypeQ8_0, gguf.TypeQ8_0, 7
	case "iq2_xxs":
		mat, emb, fileType = gguf.TypeIQ2_XXS, gguf.TypeQ6_K, 19
	default:
		return fmt.Errorf("unknown -type %q (q4_0, q8_0, iq2_xxs)", typ)
	}
	hd := s.embd / s.heads
	meta := []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValue("llama")},
		{Key: "general.name", Value: gguf.MustValue("orcd-bench-1b-" + typ)},
		{Key: "general.file_type", Value: gguf.MustValue(fileType)},
		{Key: "llama.context_length", Value: gguf.MustValue(uint32(131072))},
		{Key: "llama.embedding_length", Value: gguf.MustValue(uint32(s.embd))},
		{Key: "llama.block_count", Value: gguf.MustValue(uint32(s.layers))},
		{Key: "llama.feed_forward_length", Value: gguf.MustValue(uint32(s.ff))},
		{Key: "llama.attention.head_count", Value: gguf.MustValue(uint32(s.heads))},
		{Key: "llama.attention.head_count_kv", Value: gguf.MustValue(uint32(s.kvHeads))},
		{Key: "llama.rope.freq_base", Value: gguf.MustValue(float32(500000))},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: gguf.MustValue(float32(1e-5))},
		{Key: "llama.rope.dimension_count", Value: gguf.MustValue(uint32(hd))},
		{Key: "llama.vocab_size", Value: gguf.MustValue(uint32(s.vocab))},
	}
	t := func(name string, typ gguf.Type, dims ...uint64) gguf.TensorInfo {
		return gguf.TensorInfo{Name: name, Type: typ, Dims: dims}
	}
	e, q, kv, ff := uint64(s.embd), uint64(s.heads*hd), uint64(s.kvHeads*hd), uint64(s.ff)
	ts := []gguf.TensorInfo{t("token_embd.weight", emb, e, uint64(s.vocab)), t("output_norm.weight", gguf.TypeF32, e)}
	for i := range s.layers {
		n := func(x string) string { return fmt.Sprintf("blk.%d.%s", i, x) }
		ts = append(ts,
			t(n("attn_norm.weight"), gguf.TypeF32, e), t(n("attn_q.weight"), mat, e, q), t(n("attn_k.weight"), mat, e, kv),
			t(n("attn_v.weight"), mat, e, kv), t(n("attn_output.weight"), mat, q, e), t(n("ffn_norm.weight"), gguf.TypeF32, e),
			t(n("ffn_gate.weight"), mat, e, ff), t(n("ffn_up.weight"), mat, e, ff), t(n("ffn_down.weight"), mat, ff, e))
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := gguf.NewWriter(f, meta, ts)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{'o', 'r', 'c', 'd'})
	for _, ti := range w.Tensors() {
		if _, err := w.Write(randomTensor(rng, ti)); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

// randomTensor returns random blocks whose scales keep activations finite:
// norms near 1, quant scales small.
func randomTensor(rng *rand.ChaCha8, t gguf.TensorInfo) []byte {
	b := make([]byte, t.Size)
	if t.Type == gguf.TypeF32 {
		r := rand.New(rng)
		for i := 0; i < len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], mathFloat32bits(1+0.1*float32(r.NormFloat64())))
		}
		return b
	}
	rng.Read(b)
	bs := t.Type.BlockBytes()
	for i := 0; i < len(b); i += bs {
		blk := b[i : i+bs]
		switch t.Type {
		case gguf.TypeQ4_0:
			binary.LittleEndian.PutUint16(blk, gguf.F32ToF16(0.002))
		case gguf.TypeQ8_0:
			binary.LittleEndian.PutUint16(blk, gguf.F32ToF16(0.0002))
		case gguf.TypeIQ2_XXS: // values up to d*31/8*43
			binary.LittleEndian.PutUint16(blk, gguf.F32ToF16(0.0002))
		case gguf.TypeQ6_K:
			for j := 192; j < 208; j++ {
				blk[j] = 1 + blk[j]%16
			}
			binary.LittleEndian.PutUint16(blk[208:], gguf.F32ToF16(0.0001))
		}
	}
	return b
}

func mathFloat32bits(f float32) uint32 { return math.Float32bits(f) }
