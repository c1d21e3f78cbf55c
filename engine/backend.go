package engine

import (
	"context"
	"errors"
)

// Batch is the input of one forward pass: token i sits at position Pos[i]
// of sequence Seq[i]. Tokens of several sequences may be mixed in one batch;
// within a sequence, positions must be increasing and contiguous with what
// the sequence's KV cache already holds.
type Batch struct {
	Tokens []int32
	Pos    []int32
	Seq    []int32
	// Logits[i] asks for the logits of token i. Backends compute the LM head
	// only for those rows, since it is the largest matmul of a decode step.
	Logits []bool
}

// Len is the number of tokens in the batch.
func (b *Batch) Len() int { return len(b.Tokens) }

// NumLogits is the number of rows Forward writes.
func (b *Batch) NumLogits() int {
	n := 0
	for _, l := range b.Logits {
		if l {
			n++
		}
	}
	return n
}

// Validate checks that the slices agree in length.
func (b *Batch) Validate() error {
	n := len(b.Tokens)
	if n == 0 {
		return errors.New("engine: empty batch")
	}
	if len(b.Pos) != n || len(b.Seq) != n || len(b.Logits) != n {
		return errors.New("engine: batch slices differ in length")
	}
	return nil
}

// Memory reports the memory a backend holds: RAM for the CPU backend, VRAM
// for a GPU backend. Figures are measured, not estimated.
type Memory struct {
	Kind   string // "ram" or "vram"
	Device string // e.g. the CPU model or "NVIDIA H100 80GB HBM3"
	Total  uint64 // bytes available on the device
	Used   uint64 // bytes in use on the device
	// KVUsed and KVTotal count KV cache cells (token slots), summed over
	// sequences. KVCached counts the cells free slots keep for the prompt
	// cache (not in KVUsed; a bare Backend leaves it zero).
	KVUsed, KVTotal, KVCached int
	// BatchSeqs and BatchTokens describe the scheduler's last forward
	// pass: the sequences it advanced and its tokens (one per decoding
	// sequence plus prompt chunks). Zero when idle; a bare Backend leaves
	// them zero.
	BatchSeqs, BatchTokens int
}

// Sentinel errors a Backend returns (wrapped).
var (
	// ErrContextFull: a sequence's position is past the KV cache capacity.
	ErrContextFull = errors.New("engine: KV cache is full")
	// ErrOutOfMemory: the device ran out of memory; the job may be retried.
	ErrOutOfMemory = errors.New("engine: device out of memory")
	// ErrBadSeq: a sequence id outside [0, MaxSeqs).
	ErrBadSeq = errors.New("engine: sequence id out of range")
)

// Backend runs whole forward passes of one loaded model. It owns the
// model's weights on its device and the KV cache of every sequence.
//
// Concurrency: a Backend is used by one goroutine at a time (the scheduler
// loop). Memory and Health may be called from any goroutine concurrently
// with Forward and must not block on it.
type Backend interface {
	// Forward appends the batch's tokens to their sequences' KV caches and
	// writes the logits of every token whose Logits flag is set, in batch
	// order, into logits (NumLogits()*vocab floats). It honours ctx between
	// layers at least; on a cancelled ctx the KV cache of the batch's
	// sequences is undefined and the caller clears them.
	Forward(ctx context.Context, b *Batch, logits []float32) error
	// ClearSeq drops every cached token of sequence seq.
	ClearSeq(seq int32) error
	// MaxSeqs is the number of sequences the KV cache holds at once, and
	// Context the number of positions per sequence.
	MaxSeqs() int
	Context() int
	// Memory reports measured memory use.
	Memory() Memory
	// Health is nil when the backend can serve, else the reason it cannot.
	Health() error
	// Close frees everything the backend holds.
	Close() error
}

// SeqCopier is an optional Backend capability: copy the first n cached
// positions of sequence src into dst (prompt-prefix sharing).
type SeqCopier interface {
	CopySeq(dst, src int32, n int) error
}

// SeqTruncater is an optional Backend capability: keep the first n cached
// positions of seq (n at most its length) and drop the rest. With it the
// scheduler keeps a finished job's cache in its slot and serves a later
// prompt that starts with the same tokens from it (the prompt cache).
type SeqTruncater interface {
	TruncateSeq(seq int32, n int) error
}

// Argmaxer is an optional Backend capability for greedy decoding: like
// Forward, but returns only the argmax token of each requested row, which
// saves moving whole logit rows off a GPU.
type Argmaxer interface {
	ForwardArgmax(ctx context.Context, b *Batch, out []int32) error
}
