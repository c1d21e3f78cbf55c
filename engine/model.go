package engine

import "github.com/orcd/orcd/gguf"

// Config holds a model's hyperparameters, read from the GGUF metadata of
// its architecture (general.architecture and the "<arch>." keys).
type Config struct {
	Arch      string  // "llama", "qwen2", "qwen3", "phi3"
	NVocab    int     // vocabulary size (rows of token_embd)
	NCtxTrain int     // <arch>.context_length
	NEmbd     int     // <arch>.embedding_length
	NLayer    int     // <arch>.block_count
	NFF       int     // <arch>.feed_forward_length
	NHead     int     // <arch>.attention.head_count
	NHeadKV   int     // <arch>.attention.head_count_kv (GQA), = NHead when absent
	HeadDim   int     // <arch>.attention.key_length, else NEmbd/NHead
	NRot      int     // <arch>.rope.dimension_count, else HeadDim
	RopeBase  float32 // <arch>.rope.freq_base, default 10000
	RopeNeox  bool    // NEOX rotation (x[i], x[i+NRot/2]) instead of adjacent pairs
	RMSEps    float32 // <arch>.attention.layer_norm_rms_epsilon
	Tied      bool    // no output.weight: the LM head is token_embd
}

// Layer holds one transformer block's tensors. Shapes are GGUF dims,
// fastest-varying first: [n_in, n_out] is n_out rows of n_in values.
// Tensors that an architecture does not use are nil.
type Layer struct {
	AttnNorm *gguf.TensorInfo // [n_embd]
	Wq       *gguf.TensorInfo // [n_embd, n_head*head_dim]
	Wk       *gguf.TensorInfo // [n_embd, n_head_kv*head_dim]
	Wv       *gguf.TensorInfo // [n_embd, n_head_kv*head_dim]
	Wqkv     *gguf.TensorInfo // phi3: [n_embd, (n_head+2*n_head_kv)*head_dim]
	Bq       *gguf.TensorInfo // qwen2: [n_head*head_dim]
	Bk       *gguf.TensorInfo // qwen2: [n_head_kv*head_dim]
	Bv       *gguf.TensorInfo // qwen2: [n_head_kv*head_dim]
	QNorm    *gguf.TensorInfo // qwen3: [head_dim]
	KNorm    *gguf.TensorInfo // qwen3: [head_dim]
	Wo       *gguf.TensorInfo // [n_head*head_dim, n_embd]
	FFNNorm  *gguf.TensorInfo // [n_embd]
	Gate     *gguf.TensorInfo // [n_embd, n_ff]
	Up       *gguf.TensorInfo // [n_embd, n_ff]
	GateUp   *gguf.TensorInfo // phi3: [n_embd, 2*n_ff], gate rows first
	Down     *gguf.TensorInfo // [n_ff, n_embd]
}

// Weights holds every tensor of a model, as views into the GGUF mapping.
type Weights struct {
	TokEmbd    *gguf.TensorInfo // [n_embd, n_vocab]
	OutputNorm *gguf.TensorInfo // [n_embd]
	Output     *gguf.TensorInfo // [n_embd, n_vocab]; = TokEmbd when tied
	RopeFreqs  *gguf.TensorInfo // optional [n_rot/2]: llama3 scaling divisors
	Layers     []Layer
}

// Model is a loaded model: its file, hyperparameters and weights. Backends
// are built from a Model.
type Model struct {
	File    *gguf.File
	Config  Config
	Weights Weights
}
