// Package cpu is the pure-Go CPU backend: weights stay quantized, in the
// GGUF mapping or, where engine/kernels reads a repacked layout faster
// (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, Q5_0, Q4_1, Q5_1, IQ4_XS, Q2_K and Q3_K on AVX-512 VNNI), in a copy made at load
// whose mapped original is released (pack.go).
package cpu

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// Options size the backend. Zero values pick defaults.
type Options struct {
	Threads  int // worker goroutines; 0 = all cores
	MaxSeqs  int // sequences held in the KV cache at once; 0 = 1
	Context  int // positions per sequence; 0 = min(training context, 4096)
	MaxBatch int // tokens per internal forward chunk; 0 = 512
	// KeepLayout skips repacking weights into the layouts the CPU's
	// kernels read fastest: slower, but the weights stay in the mapped
	// file, which matters where repacking grows them (the grid types,
	// re-encoded: kernels/pack_iq3.go, pack_grid3.go). Outputs are the
	// same to float rounding.
	KeepLayout bool
	// MemoryLimit bounds repacking that grows weights (the grid types
	// re-encoded): when the model plus the growth would pass 90% of it,
	// those matrices keep the file's layout.
	// 0 means the machine's memory or the cgroup's limit, if lower.
	MemoryLimit uint64
	// KVType is the KV cache's element type: gguf.TypeF32 (the zero
	// value; what the goldens use) or gguf.TypeF16 (llama.cpp's default:
	// half the memory, keys and values rounded to f16).
	KVType gguf.Type
}

// Backend implements engine.Backend on the CPU.
type Backend struct {
	m     *engine.Model
	c     engine.Config
	norms layerNorms
	// ropeFreqs[i] is the angle per position of rotation pair i.
	ropeFreqs []float64
	kv        *KVCache
	// packed holds repacked copies of weight matrices (see packWeights),
	// used instead of the mapped tensors on the kernel path.
	packed packedWeights
	mem    *weightMem // where packed lives
	st     *State
	ws     *workers
	next   []int // validate's scratch, one entry per sequence
	opts   Options
	device string
	closed atomic.Bool
	// life is held shared by Forward and exclusively by Close, which
	// frees the repacked weights only when no Forward is using them.
	life sync.RWMutex
}

var _ engine.Backend = (*Backend)(nil)

// layerNorms holds the small 1-D tensors (norm weights, biases, rope
// factors) expanded to float32 once; they are a few KB per layer.
type layerNorms struct {
	attn, ffn, q, k [][]float32
	bq, bk, bv      [][]float32
	output          []float32
	ropeFreqs       []float32
}

// New builds a CPU backend for m.
func New(m *engine.Model, opts Options) (*Backend, error) {
	c := m.Config
	if opts.Threads <= 0 {
		opts.Threads = runtime.NumCPU()
	}
	if opts.MaxSeqs <= 0 {
		opts.MaxSeqs = 1
	}
	if opts.Context <= 0 {
		opts.Context = min(c.NCtxTrain, 4096)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.KVType != gguf.TypeF32 && opts.KVType != gguf.TypeF16 {
		return nil, fmt.Errorf("cpu: KV cache type %v: want f32 or f16", opts.KVType)
	}
	norms, err := loadNorms(m)
	if err != nil {
		return nil, err
	}
	maxRow := max(c.NEmbd, c.NFF, c.NHead*c.HeadDim)
	f16KV, headKV := opts.KVType == gguf.TypeF16, 0
	if f16KV {
		headKV = opts.Context * c.HeadDim
	}
	b := &Backend{
		m: m, c: c, norms: norms, opts: opts, device: deviceName(opts.KeepLayout, nil),
		ropeFreqs: ropeFreqs(c.NRot, c.RopeBase, norms.ropeFreqs),
		kv:        newKVCache(c.NLayer, opts.MaxSeqs, opts.Context, c.NHeadKV, c.HeadDim, f16KV),
		st:        newState(c, opts.MaxBatch),
		ws:        newWorkers(opts.Threads, maxRow, opts.Context, headKV),
		next:      make([]int, opts.MaxSeqs),
	}
	if activationsQuantized && !opts.KeepLayout {
		b.mem = new(weightMem)
		limit := opts.MemoryLimit
		if limit == 0 {
			limit = memoryLimit()
		}
		if b.packed, err = packWeights(m, opts.Threads, b.mem, limit); err != nil {
			b.mem.free()
			return nil, err
		}
		b.device = deviceName(false, b.packed.kept)
		runtime.AddCleanup(b, (*weightMem).free, b.mem) // a backend dropped unclosed
	}
	return b, nil
}

func loadNorms(m *engine.Model) (layerNorms, error) {
	var n layerNorms
	var err error
	vec := func(t *gguf.TensorInfo) []float32 {
		if t == nil || err != nil {
			return nil
		}
		v := make([]float32, t.Elements())
		if e := gguf.Dequantize(t.Type, t.Data, v); e != nil {
			err = fmt.Errorf("cpu: tensor %q: %w", t.Name, e)
		}
		return v
	}
	w := &m.Weights
	n.output = vec(w.OutputNorm)
	n.ropeFreqs = vec(w.RopeFreqs)
	for i := range w.Layers {
		y := &w.Layers[i]
		n.attn = append(n.attn, vec(y.AttnNorm))
		n.ffn = append(n.ffn, vec(y.FFNNorm))
		n.q = append(n.q, vec(y.QNorm))
		n.k = append(n.k, vec(y.KNorm))
		n.bq = append(n.bq, vec(y.Bq))
		n.bk = append(n.bk, vec(y.Bk))
		n.bv = append(n.bv, vec(y.Bv))
	}
	return n, err
}

// Forward implements engine.Backend. Batches longer than MaxBatch run as
// consecutive chunks; a chunk never splits the work of one layer.
func (b *Backend) Forward(ctx context.Context, batch *engine.Batch, logits []float32) error {
	b.life.RLock()
	defer b.life.RUnlock()
	if b.closed.Load() {
		return errors.New("cpu: backend is closed")
	}
	if err := b.validate(batch, logits); err != nil {
		return err
	}
	out := logits
	for lo := 0; lo < batch.Len(); lo += b.opts.MaxBatch {
		hi := min(lo+b.opts.MaxBatch, batch.Len())
		chunk := &engine.Batch{Tokens: batch.Tokens[lo:hi], Pos: batch.Pos[lo:hi],
			Seq: batch.Seq[lo:hi], Logits: batch.Logits[lo:hi]}
		if err := b.forward(ctx, chunk, out); err != nil {
			return err
		}
		out = out[chunk.NumLogits()*b.c.NVocab:]
	}
	return nil
}

// validate checks ids, ranges and that each sequence's positions continue
// its cache contiguously, before anything is written.
func (b *Backend) validate(batch *engine.Batch, logits []float32) error {
	if err := batch.Validate(); err != nil {
		return err
	}
	if need := batch.NumLogits() * b.c.NVocab; len(logits) < need {
		return fmt.Errorf("cpu: logits buffer holds %d floats, batch needs %d", len(logits), need)
	}
	// next[s] is the position sequence s expects next, -1 until seen.
	next := b.next
	for _, s := range batch.Seq {
		if s >= 0 && int(s) < len(next) {
			next[s] = -1
		}
	}
	for i, tok := range batch.Tokens {
		s := batch.Seq[i]
		if s < 0 || int(s) >= b.opts.MaxSeqs {
			return fmt.Errorf("cpu: sequence %d: %w", s, engine.ErrBadSeq)
		}
		if tok < 0 || int(tok) >= b.c.NVocab {
			return fmt.Errorf("cpu: token id %d outside the vocabulary of %d", tok, b.c.NVocab)
		}
		p := next[s]
		if p < 0 {
			p = b.kv.lens[s]
		}
		if int(batch.Pos[i]) != p {
			return fmt.Errorf("cpu: sequence %d: position %d, want %d (cache holds %d)", s, batch.Pos[i], p, b.kv.lens[s])
		}
		if p >= b.opts.Context {
			return fmt.Errorf("cpu: sequence %d position %d: %w", s, p, engine.ErrContextFull)
		}
		next[s] = p + 1
	}
	return nil
}

// ClearSeq implements engine.Backend.
func (b *Backend) ClearSeq(seq int32) error {
	if seq < 0 || int(seq) >= b.opts.MaxSeqs {
		return fmt.Errorf("cpu: sequence %d: %w", seq, engine.ErrBadSeq)
	}
	b.kv.lens[seq] = 0
	return nil
}

// TruncateSeq implements engine.SeqTruncater: seq keeps its first n
// positions. Attention reads a sequence's first SeqLen positions only, so
// the rest need no clearing.
func (b *Backend) TruncateSeq(seq int32, n int) error {
	if seq < 0 || int(seq) >= b.opts.MaxSeqs {
		return fmt.Errorf("cpu: sequence %d: %w", seq, engine.ErrBadSeq)
	}
	if n < 0 || n > b.kv.lens[seq] {
		return fmt.Errorf("cpu: truncating sequence %d of %d positions to %d", seq, b.kv.lens[seq], n)
	}
	b.kv.lens[seq] = n
	return nil
}

// CopySeq implements engine.SeqCopier: dst's cache becomes the first n
// positions of src's (the prompt cache shares a prefix another slot
// computed).
func (b *Backend) CopySeq(dst, src int32, n int) error {
	for _, s := range []int32{dst, src} {
		if s < 0 || int(s) >= b.opts.MaxSeqs {
			return fmt.Errorf("cpu: sequence %d: %w", s, engine.ErrBadSeq)
		}
	}
	if n < 0 || n > b.kv.lens[src] {
		return fmt.Errorf("cpu: copying %d positions of sequence %d, which holds %d", n, src, b.kv.lens[src])
	}
	if dst != src {
		b.kv.copySeq(int(dst), int(src), n)
	}
	b.kv.lens[dst] = n
	return nil
}

// SeqLen is the number of positions cached for seq.
func (b *Backend) SeqLen(seq int32) int { return b.kv.lens[seq] }

func (b *Backend) MaxSeqs() int { return b.opts.MaxSeqs }
func (b *Backend) Context() int { return b.opts.Context }

// Memory reports the process's resident memory (mapped weights that were
// paged in, the KV cache, the state) against the machine's RAM.
func (b *Backend) Memory() engine.Memory {
	used := 0
	for _, n := range b.kv.lens {
		used += n
	}
	return engine.Memory{Kind: "ram", Device: b.device, Total: totalRAM(), Used: residentBytes(),
		KVUsed: used, KVTotal: b.opts.MaxSeqs * b.opts.Context}
}

// KVBytes is the size of the KV cache.
func (b *Backend) KVBytes() uint64 { return b.kv.bytes() }

func (b *Backend) Health() error {
	if b.closed.Load() {
		return errors.New("cpu: backend is closed")
	}
	return nil
}

// Close marks the backend unusable and frees its repacked weights (after
// a Forward in progress returns); the caller closes the model's file.
func (b *Backend) Close() error {
	b.life.Lock()
	defer b.life.Unlock()
	b.closed.Store(true)
	if b.mem != nil {
		b.mem.free()
	}
	return nil
}
