package main

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/gguf/gguftest"
)

// Shape is the benchmark model: Llama 3.2 1B (tied embeddings).
type Shape struct {
	Embd, Layers, Heads, KVHeads, FF, Vocab, Ctx int
	RopeBase                                     float32
}

var llama1B = Shape{Embd: 2048, Layers: 16, Heads: 32, KVHeads: 8, FF: 8192, Vocab: 128256, Ctx: 131072, RopeBase: 500000}

// Quant is one benchmark file: the type of the layer matrices and of the
// token embedding (which is also the output head), as llama-quantize
// would choose them.
type Quant struct {
	Name      string
	Matrix    gguf.Type
	Embedding gguf.Type
	FileType  uint32 // general.file_type (llama_ftype)
}

var quants = []Quant{
	{"Q8_0", gguf.TypeQ8_0, gguf.TypeQ8_0, 7},
	{"Q4_0", gguf.TypeQ4_0, gguf.TypeQ6_K, 2},
	{"Q4_K", gguf.TypeQ4_K, gguf.TypeQ6_K, 14},
	{"F16", gguf.TypeF16, gguf.TypeF16, 1}, // ANCHORS.md's third row; -quants F16
	// Not in the default list: the other types a user may bring.
	{"BF16", gguf.TypeBF16, gguf.TypeBF16, 32},
	{"Q5_K", gguf.TypeQ5_K, gguf.TypeQ6_K, 16},
	{"Q6_K", gguf.TypeQ6_K, gguf.TypeQ6_K, 18},
	{"Q3_K", gguf.TypeQ3_K, gguf.TypeQ6_K, 11},
	{"Q2_K", gguf.TypeQ2_K, gguf.TypeQ6_K, 10},
	{"Q5_0", gguf.TypeQ5_0, gguf.TypeQ6_K, 8},
	{"Q4_1", gguf.TypeQ4_1, gguf.TypeQ6_K, 3},
	{"Q5_1", gguf.TypeQ5_1, gguf.TypeQ6_K, 9},
	{"IQ4_NL", gguf.TypeIQ4_NL, gguf.TypeQ6_K, 25},
	{"IQ4_XS", gguf.TypeIQ4_XS, gguf.TypeQ6_K, 30},
	// The grid types, with the output-head type llama-quantize gives
	// them when the embedding is tied (Q5_K below 3 bits, else Q6_K).
	{"IQ3_S", gguf.TypeIQ3_S, gguf.TypeQ6_K, 26},
	{"IQ3_XXS", gguf.TypeIQ3_XXS, gguf.TypeQ6_K, 23},
	{"IQ2_S", gguf.TypeIQ2_S, gguf.TypeQ5_K, 28},
	{"IQ2_XS", gguf.TypeIQ2_XS, gguf.TypeQ5_K, 20},
	{"IQ2_XXS", gguf.TypeIQ2_XXS, gguf.TypeQ5_K, 19},
	{"IQ1_M", gguf.TypeIQ1_M, gguf.TypeQ5_K, 31},
	{"IQ1_S", gguf.TypeIQ1_S, gguf.TypeQ5_K, 24},
}

//go:embed gen.go
var generatorSource []byte

// modelPath names a generated file after a hash of this generator's source
// and of the vocab file, so a changed generator makes new files.
func modelPath(cacheDir, vocabPath string, q Quant) (string, error) {
	st, err := os.Stat(vocabPath)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(generatorSource)
	fmt.Fprintf(h, "%s %d", filepath.Base(vocabPath), st.Size())
	sum := hex.EncodeToString(h.Sum(nil))[:12]
	return filepath.Join(cacheDir, fmt.Sprintf("llama-1b-random-%s-%s.gguf", strings.ToLower(q.Name), sum)), nil
}

// tensorPlan is the tensor table of a llama model, in llama.cpp's order.
func tensorPlan(s Shape, q Quant) []gguf.TensorInfo {
	e, kv := uint64(s.Embd), uint64(s.Embd/s.Heads*s.KVHeads)
	ts := []gguf.TensorInfo{
		{Name: "token_embd.weight", Type: q.Embedding, Dims: []uint64{e, uint64(s.Vocab)}},
		{Name: "output_norm.weight", Type: gguf.TypeF32, Dims: []uint64{e}},
	}
	for i := 0; i < s.Layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			gguf.TensorInfo{Name: p + "attn_norm.weight", Type: gguf.TypeF32, Dims: []uint64{e}},
			gguf.TensorInfo{Name: p + "attn_q.weight", Type: q.Matrix, Dims: []uint64{e, e}},
			gguf.TensorInfo{Name: p + "attn_k.weight", Type: q.Matrix, Dims: []uint64{e, kv}},
			gguf.TensorInfo{Name: p + "attn_v.weight", Type: q.Matrix, Dims: []uint64{e, kv}},
			gguf.TensorInfo{Name: p + "attn_output.weight", Type: q.Matrix, Dims: []uint64{e, e}},
			gguf.TensorInfo{Name: p + "ffn_norm.weight", Type: gguf.TypeF32, Dims: []uint64{e}},
			gguf.TensorInfo{Name: p + "ffn_gate.weight", Type: q.Matrix, Dims: []uint64{e, uint64(s.FF)}},
			gguf.TensorInfo{Name: p + "ffn_up.weight", Type: q.Matrix, Dims: []uint64{e, uint64(s.FF)}},
			gguf.TensorInfo{Name: p + "ffn_down.weight", Type: q.Matrix, Dims: []uint64{uint64(s.FF), e}},
		)
	}
	return ts
}

// metadata is the llama architecture keys plus every tokenizer.* key of
// the vocab file, so llama.cpp loads the result as a complete model.
func metadata(s Shape, q Quant, vocab *gguf.File) []gguf.KV {
	v := gguf.MustValue
	meta := []gguf.KV{
		{Key: "general.architecture", Value: v("llama")},
		{Key: "general.name", Value: v("orcd bench llama 1B random " + q.Name)},
		{Key: "general.file_type", Value: v(q.FileType)},
		{Key: "general.quantization_version", Value: v(uint32(2))},
		{Key: "llama.context_length", Value: v(uint32(s.Ctx))},
		{Key: "llama.embedding_length", Value: v(uint32(s.Embd))},
		{Key: "llama.block_count", Value: v(uint32(s.Layers))},
		{Key: "llama.feed_forward_length", Value: v(uint32(s.FF))},
		{Key: "llama.attention.head_count", Value: v(uint32(s.Heads))},
		{Key: "llama.attention.head_count_kv", Value: v(uint32(s.KVHeads))},
		{Key: "llama.rope.freq_base", Value: v(s.RopeBase)},
		{Key: "llama.rope.dimension_count", Value: v(uint32(s.Embd / s.Heads))},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: v(float32(1e-5))},
		{Key: "llama.vocab_size", Value: v(uint32(s.Vocab))},
	}
	for _, kv := range vocab.Metadata {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			meta = append(meta, kv)
		}
	}
	return meta
}

// generate writes the model to path (through a temporary file, renamed
// when complete), calling progress with the fraction done.
func generate(path, vocabPath string, s Shape, q Quant, progress func(float64)) (err error) {
	vocab, err := gguf.Open(vocabPath)
	if err != nil {
		return fmt.Errorf("vocab: %w", err)
	}
	defer vocab.Close()
	if n := vocabSize(vocab); n != s.Vocab {
		return fmt.Errorf("vocab %s has %d tokens, the shape needs %d", vocabPath, n, s.Vocab)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
		} else {
			err = os.Rename(tmp, path)
		}
	}()
	w, err := gguf.NewWriter(f, metadata(s, q, vocab), tensorPlan(s, q))
	if err != nil {
		return err
	}
	var total, done uint64
	for _, t := range w.Tensors() {
		total += t.Size
	}
	r := rand.New(rand.NewPCG(uint64(q.Matrix), 1))
	buf := make([]byte, 4<<20)
	for t := w.Next(); t != nil; t = w.Next() {
		size, typ := t.Size, t.Type
		for size > 0 {
			n := min(size, uint64(len(buf)))
			if bs := uint64(typ.BlockBytes()); n < size {
				n -= n % bs // keep chunks block-aligned
			}
			if err := fillRandom(r, typ, buf[:n]); err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			size -= n
			done += n
			progress(float64(done) / float64(total))
		}
	}
	return w.Close()
}

func vocabSize(f *gguf.File) int {
	for _, kv := range f.Metadata {
		if kv.Key == "tokenizer.ggml.tokens" {
			if a, ok := kv.Value.V.(gguf.Array); ok {
				return a.Len()
			}
		}
	}
	return -1
}

// fillRandom writes random blocks of type t: uniformly random quants with
// scales chosen so that weights have a standard deviation near 0.02 (like
// a trained model's), and norm weights of 1. Values are random but every
// block is valid, so llama.cpp computes on the same file without NaNs.
func fillRandom(r *rand.Rand, t gguf.Type, b []byte) error {
	switch t {
	case gguf.TypeF32:
		for i := 0; i+4 <= len(b); i += 4 {
			binary.LittleEndian.PutUint32(b[i:], math.Float32bits(1))
		}
		return nil
	case gguf.TypeF16, gguf.TypeBF16: // uniform in [-a, a]: std a/sqrt(3) = 0.02
		const a = 0.02 * 1.7320508
		conv := gguf.F32ToF16
		if t == gguf.TypeBF16 {
			conv = gguf.F32ToBF16
		}
		for i := 0; i+2 <= len(b); i += 2 {
			binary.LittleEndian.PutUint16(b[i:], conv(float32(a*(2*r.Float64()-1))))
		}
		return nil
	}
	switch t {
	case gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S:
		// Random grid indices, signs and scales, scaled to std 0.02.
		q, err := gguftest.RandomTensor(t, len(b)/t.BlockBytes()*t.BlockSize(), r.Uint64(), 0.02)
		if err != nil {
			return err
		}
		copy(b, q)
		return nil
	}
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	half := func(off int, f float32) { binary.LittleEndian.PutUint16(b[off:], gguf.F32ToF16(f)) }
	bs := t.BlockBytes()
	for o := 0; o+bs <= len(b); o += bs {
		switch t {
		case gguf.TypeQ8_0: // quants uniform in [-128,127]: std 74·d
			half(o, 0.02/74)
		case gguf.TypeQ4_0: // (q-8) uniform in [-8,7]: std 4.6·d
			half(o, 0.02/4.6)
		case gguf.TypeQ4_K: // 6-bit scales ~32, nibbles std 4.6 around ~7.5·m
			half(o, 0.02/(4.6*32))
			half(o+2, 0.02/(7.5*32))
		case gguf.TypeQ6_K: // int8 scales ~±64, (q-32) std 18.5
			half(o+208, 0.02/(18.5*64))
		case gguf.TypeQ5_K: // as Q4_K with 5-bit quants: std 9.2 around ~15.5·m
			half(o, 0.02/(9.2*32))
			half(o+2, 0.02/(15.5*32))
		case gguf.TypeQ3_K: // 6-bit scales-32 ~±18, q in [-4,3]: std 2.3
			half(o+108, 0.02/(2.3*18))
		case gguf.TypeQ2_K: // 4-bit scales ~7.5, q in [0,3]: std 1.1 around ~1.5·m
			half(o+80, 0.02/(1.1*7.5))
			half(o+82, 0.02/(1.5*7.5))
		case gguf.TypeQ5_0: // (q-16) uniform in [-16,15]: std 9.2·d
			half(o, 0.02/9.2)
		case gguf.TypeQ4_1: // d·q + m, q in [0,15], centred by m
			half(o, 0.02/4.6)
			half(o+2, -7.5*0.02/4.6)
		case gguf.TypeQ5_1: // d·q + m, q in [0,31], centred by m
			half(o, 0.02/9.2)
			half(o+2, -15.5*0.02/9.2)
		case gguf.TypeIQ4_NL: // codebook values: std ~65
			half(o, 0.02/65)
		case gguf.TypeIQ4_XS: // sub-block scales-32 ~±18, codebook std ~65
			half(o, 0.02/(18*65))
		}
	}
	return nil
}
