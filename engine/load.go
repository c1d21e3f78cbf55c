package engine

import (
	"errors"
	"fmt"
	"math"

	"github.com/orcd/orcd/gguf"
)

// ErrUnsupportedModel is wrapped by every LoadModel error about something
// the file asks for that this engine does not implement.
var ErrUnsupportedModel = errors.New("unsupported model")

// ropeNeox says which architectures rotate (x[i], x[i+n_rot/2]) instead of
// adjacent pairs; it doubles as the list of supported architectures.
var ropeNeox = map[string]bool{
	"llama": false,
	"qwen2": true,
	"qwen3": true,
	"phi3":  true,
}

// LoadModel reads the hyperparameters and tensor views of a memory-mapped
// GGUF file. It checks every shape and type up front, so that a forward
// pass never meets a tensor it cannot handle, and it refuses files that
// carry tensors it would silently ignore.
func LoadModel(f *gguf.File) (*Model, error) {
	cfg, err := loadConfig(f)
	if err != nil {
		return nil, err
	}
	l := &tensorLoader{f: f, used: map[string]bool{}}
	w := l.weights(&cfg)
	if l.err != nil {
		return nil, l.err
	}
	if err := l.checkAllUsed(); err != nil {
		return nil, err
	}
	return &Model{File: f, Config: cfg, Weights: w}, nil
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("engine: %w: %s", ErrUnsupportedModel, fmt.Sprintf(format, args...))
}

// loadConfig reads the "<arch>." keys.
func loadConfig(f *gguf.File) (Config, error) {
	arch := f.Arch()
	neox, ok := ropeNeox[arch]
	if !ok {
		return Config{}, unsupported("architecture %q (supported: llama, qwen2, qwen3, phi3)", arch)
	}
	c := Config{Arch: arch, RopeNeox: neox, RopeBase: 10000}
	var err error
	need := func(name string) int {
		if err != nil {
			return 0
		}
		var n int64
		n, err = f.Int(f.ArchKey(name))
		if err == nil && (n <= 0 || n > 1<<24) {
			err = fmt.Errorf("engine: %s = %d is out of range", f.ArchKey(name), n)
		}
		return int(n)
	}
	c.NCtxTrain = need("context_length")
	c.NEmbd = need("embedding_length")
	c.NLayer = need("block_count")
	c.NFF = need("feed_forward_length")
	c.NHead = need("attention.head_count")
	if err != nil {
		return Config{}, err
	}
	c.NHeadKV = optInt(f, f.ArchKey("attention.head_count_kv"), c.NHead)
	c.HeadDim = optInt(f, f.ArchKey("attention.key_length"), c.NEmbd/c.NHead)
	if vl := optInt(f, f.ArchKey("attention.value_length"), c.HeadDim); vl != c.HeadDim {
		return Config{}, unsupported("attention.value_length %d != key_length %d", vl, c.HeadDim)
	}
	c.NRot = optInt(f, f.ArchKey("rope.dimension_count"), c.HeadDim)
	switch {
	case c.NHeadKV <= 0 || c.NHead%c.NHeadKV != 0:
		return Config{}, fmt.Errorf("engine: head_count %d is not a multiple of head_count_kv %d", c.NHead, c.NHeadKV)
	case c.HeadDim <= 0 || c.HeadDim%2 != 0:
		return Config{}, fmt.Errorf("engine: head dimension %d must be even and positive", c.HeadDim)
	case c.NRot <= 0 || c.NRot%2 != 0 || c.NRot > c.HeadDim:
		return Config{}, fmt.Errorf("engine: rope.dimension_count %d must be even and at most the head dimension %d", c.NRot, c.HeadDim)
	}
	if f.Has(f.ArchKey("rope.freq_base")) {
		if c.RopeBase, err = f.Float32(f.ArchKey("rope.freq_base")); err != nil {
			return Config{}, err
		}
	}
	if c.RMSEps, err = f.Float32(f.ArchKey("attention.layer_norm_rms_epsilon")); err != nil {
		return Config{}, fmt.Errorf("engine: %w (this engine only implements RMSNorm models)", err)
	}
	if !(c.RopeBase > 0) || !(c.RMSEps >= 0) || math.IsInf(float64(c.RopeBase), 0) {
		return Config{}, fmt.Errorf("engine: bad rope.freq_base %v or rms epsilon %v", c.RopeBase, c.RMSEps)
	}
	return c, checkRopeScaling(f)
}

// checkRopeScaling refuses every rope scaling kind except none. Llama 3's
// scaling is not a key at all: it arrives as the rope_freqs tensor.
func checkRopeScaling(f *gguf.File) error {
	if f.Has(f.ArchKey("rope.scaling.type")) {
		t, err := f.String(f.ArchKey("rope.scaling.type"))
		if err != nil {
			return err
		}
		if t != "none" {
			return unsupported("rope scaling type %q", t)
		}
	}
	for _, k := range []string{"rope.scaling.factor", "rope.scale_linear"} {
		if !f.Has(f.ArchKey(k)) {
			continue
		}
		v, err := f.Float32(f.ArchKey(k))
		if err != nil {
			return err
		}
		if v != 0 && v != 1 {
			return unsupported("%s = %v (linear rope scaling)", f.ArchKey(k), v)
		}
	}
	return nil
}

func optInt(f *gguf.File, key string, def int) int {
	n, err := f.Int(key)
	if err != nil || n <= 0 || n > 1<<24 {
		return def
	}
	return int(n)
}

// tensorLoader looks tensors up by name, checks their shapes and remembers
// the first error, so that weights() reads as a plain list.
type tensorLoader struct {
	f    *gguf.File
	used map[string]bool
	err  error
}

// get returns tensor name with dims want (nil when optional and absent).
func (l *tensorLoader) get(name string, optional bool, want ...int) *gguf.TensorInfo {
	if l.err != nil {
		return nil
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		if !optional {
			l.err = fmt.Errorf("engine: %s model: missing tensor %q", l.f.Arch(), name)
		}
		return nil
	}
	l.used[name] = true
	if !shapeIs(t.Dims, want) {
		l.err = fmt.Errorf("engine: tensor %q has shape %v, want %v", name, t.Dims, want)
		return nil
	}
	if err := checkTensorData(t); err != nil {
		l.err = err
		return nil
	}
	return t
}

func shapeIs(dims []uint64, want []int) bool {
	if len(dims) != len(want) {
		return false
	}
	for i, d := range dims {
		if d != uint64(want[i]) {
			return false
		}
	}
	return true
}

// checkTensorData makes sure the tensor's bytes are mapped and that the
// row dequantizer handles its type, by dequantizing its first row.
func checkTensorData(t *gguf.TensorInfo) error {
	if !t.Type.Valid() {
		return unsupported("tensor %q has unknown type %d", t.Name, uint32(t.Type))
	}
	n := int(t.Dims[0])
	rb, err := t.Type.RowBytes(n)
	if err != nil {
		return unsupported("tensor %q: %v", t.Name, err)
	}
	if t.Data == nil || len(t.Data) < rb || uint64(len(t.Data)) != t.Size {
		return fmt.Errorf("engine: tensor %q: data not mapped (open the file with gguf.Open)", t.Name)
	}
	row := make([]float32, n)
	if err := gguf.Dequantize(t.Type, t.Data[:rb], row); err != nil {
		return unsupported("tensor %q: %v", t.Name, err)
	}
	return nil
}

func (l *tensorLoader) weights(c *Config) Weights {
	e, q, kv := c.NEmbd, c.NHead*c.HeadDim, c.NHeadKV*c.HeadDim
	// The vocabulary size is whatever token_embd holds.
	if t, ok := l.f.Tensor("token_embd.weight"); ok && len(t.Dims) == 2 {
		c.NVocab = int(t.Dims[1])
	}
	var w Weights
	w.TokEmbd = l.get("token_embd.weight", false, e, c.NVocab)
	if vs := optInt(l.f, l.f.ArchKey("vocab_size"), c.NVocab); vs != c.NVocab {
		l.err = fmt.Errorf("engine: %s = %d but token_embd has %d rows", l.f.ArchKey("vocab_size"), vs, c.NVocab)
	}
	w.OutputNorm = l.get("output_norm.weight", false, e)
	w.Output = l.get("output.weight", true, e, c.NVocab)
	if w.Output == nil {
		c.Tied = true
		w.Output = w.TokEmbd
	}
	w.RopeFreqs = l.get("rope_freqs.weight", true, c.NRot/2)
	for _, name := range []string{"rope_factors_long.weight", "rope_factors_short.weight"} {
		if _, ok := l.f.Tensor(name); ok && l.err == nil {
			l.err = unsupported("%q (phi3 longrope scaling)", name)
		}
	}
	if c.NLayer > len(l.f.Tensors) {
		// Checked before allocating: a hostile count must not cost memory.
		l.err = fmt.Errorf("engine: block_count %d, but the file holds only %d tensors", c.NLayer, len(l.f.Tensors))
		return w
	}
	w.Layers = make([]Layer, c.NLayer)
	for i := range w.Layers {
		w.Layers[i] = l.layer(c, i, e, q, kv)
	}
	return w
}

func (l *tensorLoader) layer(c *Config, i, e, q, kv int) Layer {
	n := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
	var y Layer
	y.AttnNorm = l.get(n("attn_norm.weight"), false, e)
	if c.Arch == "phi3" {
		y.Wqkv = l.get(n("attn_qkv.weight"), false, e, q+2*kv)
	} else {
		y.Wq = l.get(n("attn_q.weight"), false, e, q)
		y.Wk = l.get(n("attn_k.weight"), false, e, kv)
		y.Wv = l.get(n("attn_v.weight"), false, e, kv)
	}
	if c.Arch == "qwen2" {
		y.Bq = l.get(n("attn_q.bias"), false, q)
		y.Bk = l.get(n("attn_k.bias"), false, kv)
		y.Bv = l.get(n("attn_v.bias"), false, kv)
	}
	if c.Arch == "qwen3" {
		y.QNorm = l.get(n("attn_q_norm.weight"), false, c.HeadDim)
		y.KNorm = l.get(n("attn_k_norm.weight"), false, c.HeadDim)
	}
	y.Wo = l.get(n("attn_output.weight"), false, q, e)
	y.FFNNorm = l.get(n("ffn_norm.weight"), false, e)
	if c.Arch == "phi3" {
		y.GateUp = l.get(n("ffn_up.weight"), false, e, 2*c.NFF)
	} else {
		y.Gate = l.get(n("ffn_gate.weight"), false, e, c.NFF)
		y.Up = l.get(n("ffn_up.weight"), false, e, c.NFF)
	}
	y.Down = l.get(n("ffn_down.weight"), false, c.NFF, e)
	return y
}

// checkAllUsed refuses tensors the forward pass would ignore (biases of
// another variant, MoE experts, ...): ignoring them would give wrong text
// instead of an error.
func (l *tensorLoader) checkAllUsed() error {
	for i := range l.f.Tensors {
		if name := l.f.Tensors[i].Name; !l.used[name] {
			return unsupported("%s model has tensor %q that this engine does not use", l.f.Arch(), name)
		}
	}
	return nil
}

// Quant names the tensor type holding most of the model's bytes.
func (m *Model) Quant() string {
	bytes := map[gguf.Type]uint64{}
	for i := range m.File.Tensors {
		t := &m.File.Tensors[i]
		bytes[t.Type] += t.Size
	}
	var best gguf.Type
	var most uint64
	for t, b := range bytes {
		if b > most || (b == most && t < best) {
			best, most = t, b
		}
	}
	return best.String()
}
