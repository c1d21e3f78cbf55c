package gguf

import (
	"fmt"
	"reflect"
	"testing"
)

// fixtureSpec is what ../shared/testdata/*/README.md states about a file.
type fixtureSpec struct {
	file    string
	tensors int
	shapes  map[string]string // tensor name -> "TYPE [dims]"
	ints    map[string]int64  // integer metadata
	strs    map[string]string // string metadata
	absent  []string          // keys or tensors that must not exist
	// matrices is the type of every 2-D tensor; 1-D tensors are all F32.
	matrices Type
	// tokens and merges are the lengths of the tokenizer arrays.
	tokens, merges int
}

func shape(t *TensorInfo) string { return fmt.Sprintf("%s %v", t.Type, t.Dims) }

func gqaSpec(suffix string, typ Type, fileType int64) fixtureSpec {
	m := typ.String()
	return fixtureSpec{
		file: "models/tiny-llama-gqa-" + suffix + ".gguf", tensors: 21, matrices: typ, tokens: 512,
		shapes: map[string]string{
			"token_embd.weight": m + " [256 512]", "output.weight": m + " [256 512]", "output_norm.weight": "F32 [256]",
			"blk.0.attn_q.weight": m + " [256 256]", "blk.0.attn_k.weight": m + " [256 128]", "blk.1.attn_v.weight": m + " [256 128]",
			"blk.1.attn_output.weight": m + " [256 256]", "blk.0.ffn_gate.weight": m + " [256 768]", "blk.1.ffn_up.weight": m + " [256 768]",
			"blk.0.ffn_down.weight": m + " [768 256]", "blk.1.ffn_norm.weight": "F32 [256]", "blk.0.attn_norm.weight": "F32 [256]",
		},
		ints: map[string]int64{"llama.embedding_length": 256, "llama.block_count": 2, "llama.attention.head_count": 8,
			"llama.attention.head_count_kv": 4, "llama.feed_forward_length": 768, "llama.context_length": 512,
			"llama.rope.dimension_count": 32, "llama.vocab_size": 512, "general.file_type": fileType},
		strs: map[string]string{"general.architecture": "llama", "tokenizer.ggml.model": "llama"},
	}
}

var fixtureSpecs = []fixtureSpec{
	{file: "models/stories260K.gguf", tensors: 48, matrices: TypeF32, tokens: 512,
		shapes: map[string]string{"token_embd.weight": "F32 [64 512]", "output.weight": "F32 [64 512]",
			"blk.4.ffn_down.weight": "F32 [172 64]", "blk.0.attn_k.weight": "F32 [64 32]", "blk.2.ffn_gate.weight": "F32 [64 172]"},
		ints: map[string]int64{"llama.embedding_length": 64, "llama.block_count": 5, "llama.attention.head_count": 8,
			"llama.attention.head_count_kv": 4, "llama.feed_forward_length": 172, "llama.context_length": 2048,
			"llama.rope.dimension_count": 8, "tokenizer.ggml.unknown_token_id": 0, "tokenizer.ggml.bos_token_id": 1,
			"tokenizer.ggml.eos_token_id": 2, "tokenizer.ggml.seperator_token_id": 0xFFFFFFFF, "tokenizer.ggml.padding_token_id": 0xFFFFFFFF},
		strs:   map[string]string{"general.architecture": "llama", "tokenizer.ggml.model": "llama"},
		absent: []string{"general.file_type", "tokenizer.ggml.add_bos_token", "llama.rope.freq_base"}},
	{file: "models/llama-2-tiny-random.gguf", tensors: 12, matrices: TypeF16, tokens: 32000,
		shapes: map[string]string{"token_embd.weight": "F16 [8 32000]", "output.weight": "F16 [8 32000]", "blk.0.ffn_down.weight": "F16 [32 8]"},
		ints: map[string]int64{"llama.embedding_length": 8, "llama.block_count": 1, "llama.attention.head_count": 2,
			"llama.attention.head_count_kv": 2, "llama.feed_forward_length": 32, "llama.context_length": 4096,
			"llama.rope.dimension_count": 4, "general.file_type": 1},
		strs: map[string]string{"general.architecture": "llama"}},
	gqaSpec("f32", TypeF32, 0), gqaSpec("f16", TypeF16, 1), gqaSpec("q8_0-pure", TypeQ8_0, 7),
	gqaSpec("q4_0-pure", TypeQ4_0, 2), gqaSpec("q4_k_m-pure", TypeQ4_K, 15), gqaSpec("q6_k-pure", TypeQ6_K, 18),
	{file: "models/tiny-qwen2-q8_0.gguf", tensors: 26, matrices: TypeQ8_0, tokens: 50257, merges: 50000,
		shapes: map[string]string{"token_embd.weight": "Q8_0 [256 50257]", "blk.0.attn_k.weight": "Q8_0 [256 64]",
			"blk.1.attn_q.bias": "F32 [256]", "blk.0.attn_k.bias": "F32 [64]", "blk.0.attn_v.bias": "F32 [64]", "blk.1.ffn_down.weight": "Q8_0 [512 256]"},
		ints: map[string]int64{"qwen2.embedding_length": 256, "qwen2.block_count": 2, "qwen2.attention.head_count": 8,
			"qwen2.attention.head_count_kv": 2, "qwen2.feed_forward_length": 512, "qwen2.context_length": 512, "general.file_type": 7},
		strs:   map[string]string{"general.architecture": "qwen2", "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "gpt-2"},
		absent: []string{"output.weight"}},
	{file: "models/tiny-llama3-q8_0.gguf", tensors: 21, matrices: TypeQ8_0, tokens: 128256, merges: 280147,
		shapes: map[string]string{"token_embd.weight": "Q8_0 [64 128256]", "rope_freqs.weight": "F32 [8]", "blk.0.attn_q.weight": "Q8_0 [64 64]",
			"blk.0.attn_k.weight": "Q8_0 [64 32]", "blk.1.attn_v.weight": "Q8_0 [64 32]", "blk.0.ffn_gate.weight": "Q8_0 [64 192]",
			"blk.1.ffn_down.weight": "Q8_0 [192 64]", "output_norm.weight": "F32 [64]"},
		ints: map[string]int64{"llama.block_count": 2, "llama.context_length": 131072, "llama.embedding_length": 64,
			"llama.feed_forward_length": 192, "llama.attention.head_count": 4, "llama.attention.head_count_kv": 2,
			"llama.attention.key_length": 16, "llama.attention.value_length": 16, "llama.rope.dimension_count": 16,
			"llama.vocab_size": 128256, "general.file_type": 7, "general.quantization_version": 2},
		strs:   map[string]string{"general.architecture": "llama", "tokenizer.ggml.pre": "llama-bpe"},
		absent: []string{"output.weight", "tokenizer.ggml.add_bos_token", "llama.rope.scaling.type"}},
	{file: "models/tiny-qwen3-q8_0.gguf", tensors: 24, matrices: TypeQ8_0, tokens: 50257, merges: 50000,
		shapes: map[string]string{"token_embd.weight": "Q8_0 [128 50257]", "blk.0.attn_q.weight": "Q8_0 [128 256]",
			"blk.0.attn_k.weight": "Q8_0 [128 128]", "blk.1.attn_v.weight": "Q8_0 [128 128]", "blk.0.attn_q_norm.weight": "F32 [64]",
			"blk.1.attn_k_norm.weight": "F32 [64]", "blk.0.attn_output.weight": "Q8_0 [256 128]", "blk.1.ffn_down.weight": "Q8_0 [384 128]"},
		ints: map[string]int64{"qwen3.block_count": 2, "qwen3.context_length": 40960, "qwen3.embedding_length": 128,
			"qwen3.feed_forward_length": 384, "qwen3.attention.head_count": 4, "qwen3.attention.head_count_kv": 2,
			"qwen3.attention.key_length": 64, "qwen3.attention.value_length": 64, "general.file_type": 7},
		strs:   map[string]string{"general.architecture": "qwen3"},
		absent: []string{"output.weight", "qwen3.rope.dimension_count", "qwen3.vocab_size"}},
	{file: "models/tiny-phi3-q8_0.gguf", tensors: 15, matrices: TypeQ8_0, tokens: 32064,
		shapes: map[string]string{"token_embd.weight": "Q8_0 [128 32064]", "output.weight": "Q8_0 [128 32064]",
			"blk.0.attn_qkv.weight": "Q8_0 [128 256]", "blk.1.attn_output.weight": "Q8_0 [128 128]",
			"blk.0.ffn_up.weight": "Q8_0 [128 640]", "blk.1.ffn_down.weight": "Q8_0 [320 128]"},
		ints: map[string]int64{"phi3.block_count": 2, "phi3.context_length": 4096, "phi3.embedding_length": 128,
			"phi3.feed_forward_length": 320, "phi3.attention.head_count": 4, "phi3.attention.head_count_kv": 2,
			"phi3.rope.dimension_count": 32, "phi3.attention.sliding_window": 2047, "phi3.rope.scaling.original_context_length": 4096},
		strs:   map[string]string{"general.architecture": "phi3", "tokenizer.ggml.model": "llama"},
		absent: []string{"phi3.vocab_size", "phi3.attention.key_length"}},
}

var vocabSpecs = []struct {
	file, model, pre string
	tokens, merges   int
	bos, eos         int64
}{
	{"ggml-vocab-llama-spm.gguf", "llama", "", 32000, 0, 1, 2},
	{"ggml-vocab-phi-3.gguf", "llama", "", 32064, 0, 1, 32000},
	{"ggml-vocab-gpt-2.gguf", "gpt2", "gpt-2", 50257, 50000, 50256, 50256},
	{"ggml-vocab-deepseek-coder.gguf", "gpt2", "deepseek-coder", 32256, 31757, 32013, 32014},
	{"ggml-vocab-deepseek-llm.gguf", "gpt2", "deepseek-llm", 102400, 99757, 100000, 100001},
	{"ggml-vocab-llama-bpe.gguf", "gpt2", "llama-bpe", 128256, 280147, 128000, 128001},
	{"ggml-vocab-qwen2.gguf", "gpt2", "qwen2", 151936, 151387, 151643, 151645},
}

// Every model opens with the tensor count, types, shapes and
// hyper-parameters its README states.
func TestModelFixturesMatchREADME(t *testing.T) {
	q4km := gqaSpec("q4_k_m", TypeQ4_K, 15)
	q4km.matrices = 0 // mixed: checked below
	q4km.shapes = map[string]string{}
	for name, sh := range gqaSpec("q4_k_m", TypeQ4_K, 15).shapes {
		q4km.shapes[name] = sh
	}
	q4km.shapes["output.weight"] = "Q6_K [256 512]"
	q4km.shapes["blk.1.attn_v.weight"] = "Q6_K [256 128]"
	for _, spec := range append(fixtureSpecs, q4km) {
		f := openFixture(t, spec.file)
		if len(f.Tensors) != spec.tensors {
			t.Errorf("%s: %d tensors, README says %d", spec.file, len(f.Tensors), spec.tensors)
		}
		for name, want := range spec.shapes {
			if ti, ok := f.Tensor(name); !ok {
				t.Errorf("%s: no tensor %s", spec.file, name)
			} else if got := shape(ti); got != want {
				t.Errorf("%s: %s is %s, README says %s", spec.file, name, got, want)
			}
		}
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			if len(ti.Dims) == 1 && ti.Type != TypeF32 {
				t.Errorf("%s: 1-D tensor %s is %s, not F32", spec.file, ti.Name, ti.Type)
			}
			if len(ti.Dims) == 2 && spec.matrices != 0 && ti.Type != spec.matrices {
				t.Errorf("%s: matrix %s is %s, want %s", spec.file, ti.Name, ti.Type, spec.matrices)
			}
		}
		checkMeta(t, spec.file, f, spec.ints, spec.strs, spec.absent)
		checkTokenizer(t, spec.file, f, spec.tokens, spec.merges)
	}
	// Q4_K_M: 13 x Q4_K + 3 x Q6_K (output, blk.1.ffn_down, blk.1.attn_v).
	f := openFixture(t, q4km.file)
	counts := map[Type]int{}
	for i := range f.Tensors {
		if len(f.Tensors[i].Dims) == 2 {
			counts[f.Tensors[i].Type]++
		}
	}
	if !reflect.DeepEqual(counts, map[Type]int{TypeQ4_K: 13, TypeQ6_K: 3}) {
		t.Errorf("%s: matrix types %v", q4km.file, counts)
	}
	for _, n := range []string{"output.weight", "blk.1.ffn_down.weight", "blk.1.attn_v.weight"} {
		if ti, _ := f.Tensor(n); ti == nil || ti.Type != TypeQ6_K {
			t.Errorf("%s: %s is not Q6_K", q4km.file, n)
		}
	}
}

func TestVocabFixturesMatchREADME(t *testing.T) {
	for _, v := range vocabSpecs {
		f := openFixture(t, "vocab/"+v.file)
		if len(f.Tensors) != 0 || f.Version != 3 {
			t.Errorf("%s: v%d with %d tensors, README says v3 with none", v.file, f.Version, len(f.Tensors))
		}
		strs := map[string]string{"tokenizer.ggml.model": v.model}
		if v.pre != "" {
			strs["tokenizer.ggml.pre"] = v.pre
		}
		checkMeta(t, v.file, f, map[string]int64{"tokenizer.ggml.bos_token_id": v.bos, "tokenizer.ggml.eos_token_id": v.eos}, strs, nil)
		checkTokenizer(t, v.file, f, v.tokens, v.merges)
	}
}

func checkMeta(t *testing.T, file string, f *File, ints map[string]int64, strs map[string]string, absent []string) {
	t.Helper()
	for k, want := range ints {
		if got, err := f.Int(k); err != nil || got != want {
			t.Errorf("%s: %s = %d (%v), README says %d", file, k, got, err, want)
		}
	}
	for k, want := range strs {
		if got, err := f.String(k); err != nil || got != want {
			t.Errorf("%s: %s = %q (%v), README says %q", file, k, got, err, want)
		}
	}
	for _, k := range absent {
		if _, isTensor := f.Tensor(k); f.Has(k) || isTensor {
			t.Errorf("%s: %s is present; README says it is absent", file, k)
		}
	}
}

func checkTokenizer(t *testing.T, file string, f *File, tokens, merges int) {
	t.Helper()
	toks, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil || len(toks) != tokens {
		t.Errorf("%s: %d tokens (%v), README says %d", file, len(toks), err, tokens)
	}
	if merges > 0 {
		if m, err := f.Strings("tokenizer.ggml.merges"); err != nil || len(m) != merges {
			t.Errorf("%s: %d merges (%v), README says %d", file, len(m), err, merges)
		}
	}
}
