package cpu

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// tinyModel writes a one-layer llama (n_embd 8, 2 heads, 1 KV head,
// n_ff 16, 16-token vocab) with F32 weights: a small, valid fuzz seed.
func tinyModel(t testing.TB) []byte {
	kv := func(k string, v any) gguf.KV { return gguf.KV{Key: k, Value: gguf.MustValue(v)} }
	meta := []gguf.KV{
		kv("general.architecture", "llama"),
		kv("llama.context_length", uint32(8)),
		kv("llama.embedding_length", uint32(8)),
		kv("llama.block_count", uint32(1)),
		kv("llama.feed_forward_length", uint32(16)),
		kv("llama.attention.head_count", uint32(2)),
		kv("llama.attention.head_count_kv", uint32(1)),
		kv("llama.attention.layer_norm_rms_epsilon", float32(1e-5)),
	}
	seed := uint32(1)
	tensor := func(name string, dims ...uint64) gguf.TensorInfo {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		data := make([]byte, 4*n)
		for i := uint64(0); i < n; i++ {
			seed = seed*1664525 + 1013904223
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(seed>>8)/(1<<24)-0.5))
		}
		return gguf.TensorInfo{Name: name, Type: gguf.TypeF32, Dims: dims, Data: data}
	}
	tensors := []gguf.TensorInfo{
		tensor("token_embd.weight", 8, 16), tensor("output_norm.weight", 8), tensor("output.weight", 8, 16),
		tensor("blk.0.attn_norm.weight", 8), tensor("blk.0.attn_q.weight", 8, 8),
		tensor("blk.0.attn_k.weight", 8, 4), tensor("blk.0.attn_v.weight", 8, 4),
		tensor("blk.0.attn_output.weight", 8, 8), tensor("blk.0.ffn_norm.weight", 8),
		tensor("blk.0.ffn_gate.weight", 8, 16), tensor("blk.0.ffn_up.weight", 8, 16),
		tensor("blk.0.ffn_down.weight", 16, 8),
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, meta, tensors); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runModelBytes loads a model from b and, when that succeeds, runs a
// two-token prompt and one decode step. Any outcome but a panic is fine.
func runModelBytes(data []byte) error {
	f, err := gguf.NewFileBytes(data)
	if err != nil {
		return err
	}
	m, err := engine.LoadModel(f)
	if err != nil {
		return err
	}
	be, err := New(m, Options{Threads: 2, Context: 8, MaxBatch: 4})
	if err != nil {
		return err
	}
	logits := make([]float32, m.Config.NVocab)
	batch := &engine.Batch{Tokens: []int32{1, 2}, Pos: []int32{0, 1}, Seq: []int32{0, 0}, Logits: []bool{false, true}}
	if err := be.Forward(context.Background(), batch, logits); err != nil {
		return err
	}
	batch = &engine.Batch{Tokens: []int32{3}, Pos: []int32{2}, Seq: []int32{0}, Logits: []bool{true}}
	return be.Forward(context.Background(), batch, logits)
}

func TestTinyModelRuns(t *testing.T) {
	if err := runModelBytes(tinyModel(t)); err != nil {
		t.Fatal(err)
	}
}

// FuzzLoadModel feeds mutated model files through LoadModel and, when
// they load, a forward pass: hostile files must give errors, not panics.
func FuzzLoadModel(f *testing.F) {
	seed := tinyModel(f)
	f.Add(seed)
	// Seeds with each hyperparameter key's value bumped.
	for _, key := range []string{"embedding_length", "block_count", "head_count_kv", "feed_forward_length"} {
		i := bytes.Index(seed, []byte(key))
		if i < 0 {
			f.Fatalf("key %s not in seed", key)
		}
		mut := bytes.Clone(seed)
		mut[i+len(key)+4]++ // value type (4 bytes) then the value
		f.Add(mut)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("panic: %v", fmt.Sprint(r))
			}
		}()
		runModelBytes(data)
	})
}
