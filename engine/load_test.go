package engine

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/gguf"
)

const testdata = "../../shared/testdata"

func openModel(t *testing.T, file string) *gguf.File {
	t.Helper()
	path := filepath.Join(testdata, "models", file)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestLoadModelConfigs(t *testing.T) {
	cases := []struct {
		file string
		want Config
	}{
		{"stories260K.gguf", Config{Arch: "llama", NVocab: 512, NCtxTrain: 2048, NEmbd: 64, NLayer: 5, NFF: 172,
			NHead: 8, NHeadKV: 4, HeadDim: 8, NRot: 8, RopeBase: 10000, RMSEps: 1e-5}},
		{"tiny-qwen2-q8_0.gguf", Config{Arch: "qwen2", NVocab: 50257, NCtxTrain: 512, NEmbd: 256, NLayer: 2, NFF: 512,
			NHead: 8, NHeadKV: 2, HeadDim: 32, NRot: 32, RopeBase: 1e6, RopeNeox: true, RMSEps: 1e-6, Tied: true}},
		{"tiny-qwen3-q8_0.gguf", Config{Arch: "qwen3", NVocab: 50257, NCtxTrain: 40960, NEmbd: 128, NLayer: 2, NFF: 384,
			NHead: 4, NHeadKV: 2, HeadDim: 64, NRot: 64, RopeBase: 1e6, RopeNeox: true, RMSEps: 1e-6, Tied: true}},
		{"tiny-llama3-q8_0.gguf", Config{Arch: "llama", NVocab: 128256, NCtxTrain: 131072, NEmbd: 64, NLayer: 2, NFF: 192,
			NHead: 4, NHeadKV: 2, HeadDim: 16, NRot: 16, RopeBase: 500000, RMSEps: 1e-5, Tied: true}},
		{"tiny-phi3-q8_0.gguf", Config{Arch: "phi3", NVocab: 32064, NCtxTrain: 4096, NEmbd: 128, NLayer: 2, NFF: 320,
			NHead: 4, NHeadKV: 2, HeadDim: 32, NRot: 32, RopeBase: 10000, RopeNeox: true, RMSEps: 1e-5}},
	}
	for _, c := range cases {
		m, err := LoadModel(openModel(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if m.Config != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.file, m.Config, c.want)
		}
		w := m.Weights
		switch c.file {
		case "tiny-llama3-q8_0.gguf":
			if w.RopeFreqs == nil || w.Output != w.TokEmbd || m.Quant() != "Q8_0" {
				t.Errorf("llama3: rope_freqs %v, tied %v, quant %s", w.RopeFreqs != nil, w.Output == w.TokEmbd, m.Quant())
			}
		case "tiny-phi3-q8_0.gguf":
			if w.Layers[1].Wqkv == nil || w.Layers[1].GateUp == nil || w.Layers[1].Wq != nil {
				t.Error("phi3: fused tensors not loaded")
			}
		case "tiny-qwen3-q8_0.gguf":
			if w.Layers[0].QNorm == nil || w.Layers[0].KNorm == nil {
				t.Error("qwen3: q/k norms not loaded")
			}
		case "tiny-qwen2-q8_0.gguf":
			if w.Layers[0].Bq == nil || w.Layers[0].Bv == nil {
				t.Error("qwen2: biases not loaded")
			}
		}
	}
}

// rewrite copies stories260K with edit applied to its metadata and
// tensor table, and loads the result.
func rewrite(t *testing.T, edit func(meta []gguf.KV, tensors []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo)) error {
	t.Helper()
	f := openModel(t, "stories260K.gguf")
	meta := append([]gguf.KV(nil), f.Metadata...)
	tensors := append([]gguf.TensorInfo(nil), f.Tensors...)
	meta, tensors = edit(meta, tensors)
	var buf bytes.Buffer
	if err := gguf.Write(&buf, meta, tensors); err != nil {
		t.Fatalf("writing the edited file: %v", err)
	}
	g, err := gguf.NewFileBytes(buf.Bytes())
	if err != nil {
		t.Fatalf("reading the edited file: %v", err)
	}
	_, err = LoadModel(g)
	return err
}

func setKey(meta []gguf.KV, key string, v any) []gguf.KV {
	val := gguf.MustValue(v)
	for i := range meta {
		if meta[i].Key == key {
			meta[i].Value = val
			return meta
		}
	}
	return append(meta, gguf.KV{Key: key, Value: val})
}

func TestLoadModelRefuses(t *testing.T) {
	cases := []struct {
		name        string
		edit        func([]gguf.KV, []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo)
		unsupported bool
		mention     string
	}{
		{"other architecture", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			return setKey(m, "general.architecture", "mamba"), ts
		}, true, `"mamba"`},
		{"yarn rope scaling", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			return setKey(m, "llama.rope.scaling.type", "yarn"), ts
		}, true, `"yarn"`},
		{"linear rope factor", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			return setKey(m, "llama.rope.scaling.factor", float32(4)), ts
		}, true, "rope.scaling.factor"},
		{"missing tensor", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			return m, ts[:len(ts)-1]
		}, false, "missing tensor"},
		{"extra tensor", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			x := ts[1]
			x.Name = "blk.0.attn_output.bias"
			return m, append(ts, x)
		}, true, "attn_output.bias"},
		{"wrong shape", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			return setKey(m, "llama.feed_forward_length", uint32(170)), ts
		}, false, "shape"},
		{"unsupported tensor type", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			for i := range ts {
				if ts[i].Name == "blk.0.attn_q.weight" {
					ts[i].Type = gguf.TypeI32 // same size as F32, not a weight type
				}
			}
			return m, ts
		}, true, "I32"},
		{"missing head count", func(m []gguf.KV, ts []gguf.TensorInfo) ([]gguf.KV, []gguf.TensorInfo) {
			out := m[:0:0]
			for _, kv := range m {
				if kv.Key != "llama.attention.head_count" {
					out = append(out, kv)
				}
			}
			return out, ts
		}, false, "head_count"},
	}
	for _, c := range cases {
		err := rewrite(t, c.edit)
		if err == nil {
			t.Errorf("%s: loaded", c.name)
			continue
		}
		if errors.Is(err, ErrUnsupportedModel) != c.unsupported || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q (unsupported=%v), want one mentioning %q (unsupported=%v)",
				c.name, err, errors.Is(err, ErrUnsupportedModel), c.mention, c.unsupported)
		}
	}
}
