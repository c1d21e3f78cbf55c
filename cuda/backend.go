//go:build cgo

package cuda

/*
#include "dl.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// Backend implements engine.Backend (and engine.SeqCopier,
// engine.Argmaxer) on one GPU. Forward, ClearSeq and CopySeq must be
// called from one goroutine at a time; Memory and Health from any.
type Backend struct {
	lib      *library
	ctx      *C.orcd_ctx
	cfg      engine.Config
	nseq     int
	nctx     int
	maxBatch int
	kvF32    bool
	dead     atomic.Pointer[error] // set by a device error: Health reports it
	closed   atomic.Bool
}

var (
	_ engine.Backend   = (*Backend)(nil)
	_ engine.SeqCopier = (*Backend)(nil)
	_ engine.Argmaxer  = (*Backend)(nil)
)

// Open uploads m to the GPU. It fails with an error wrapping
// engine.ErrOutOfMemory, saying how many bytes were needed and how many
// are free, when the model, its KV cache and scratch do not fit.
func Open(m *engine.Model, opts Options) (engine.Backend, error) {
	b, err := open(m, opts)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func open(m *engine.Model, opts Options) (*Backend, error) {
	path, err := FindLibrary(opts.LibPath)
	if err != nil {
		return nil, err
	}
	lib, err := loadLibrary(path)
	if err != nil {
		return nil, err
	}
	c := m.Config
	b := &Backend{lib: lib, cfg: c, nseq: max(opts.MaxSeqs, 1), nctx: opts.Context, maxBatch: opts.MaxBatch, kvF32: opts.KVF32}
	if b.nctx <= 0 {
		b.nctx = min(c.NCtxTrain, 4096)
	}
	if b.maxBatch <= 0 {
		b.maxBatch = 512
	}
	var ebuf [512]C.char
	if rc := C.c_create(&lib.fns, C.int(opts.Device), &b.ctx, &ebuf[0], C.size_t(len(ebuf))); rc != C.ORCD_OK {
		msg := C.GoString(&ebuf[0])
		if rc == C.ORCD_ERR_NO_DEVICE {
			return nil, fmt.Errorf("%w: %s", ErrNoDevice, msg)
		}
		return nil, fmt.Errorf("cuda: %s", msg)
	}
	if err := b.upload(m); err != nil {
		C.c_destroy(&lib.fns, b.ctx)
		return nil, err
	}
	return b, nil
}

// tensorRole pairs a model tensor with its ABI role.
type tensorRole struct {
	t     *gguf.TensorInfo
	role  C.int
	layer int
}

func (b *Backend) tensors(m *engine.Model) []tensorRole {
	w := &m.Weights
	ts := []tensorRole{{w.TokEmbd, C.ORCD_T_TOK_EMBD, 0}, {w.OutputNorm, C.ORCD_T_OUTPUT_NORM, 0}, {w.RopeFreqs, C.ORCD_T_ROPE_FREQS, 0}}
	if !m.Config.Tied && w.Output != w.TokEmbd {
		ts = append(ts, tensorRole{w.Output, C.ORCD_T_OUTPUT, 0})
	}
	for i := range w.Layers {
		y := &w.Layers[i]
		for _, r := range []tensorRole{
			{y.AttnNorm, C.ORCD_T_ATTN_NORM, i}, {y.Wq, C.ORCD_T_WQ, i}, {y.Wk, C.ORCD_T_WK, i}, {y.Wv, C.ORCD_T_WV, i},
			{y.Wqkv, C.ORCD_T_WQKV, i}, {y.Bq, C.ORCD_T_BQ, i}, {y.Bk, C.ORCD_T_BK, i}, {y.Bv, C.ORCD_T_BV, i},
			{y.QNorm, C.ORCD_T_QNORM, i}, {y.KNorm, C.ORCD_T_KNORM, i}, {y.Wo, C.ORCD_T_WO, i},
			{y.FFNNorm, C.ORCD_T_FFN_NORM, i}, {y.Gate, C.ORCD_T_GATE, i}, {y.Up, C.ORCD_T_UP, i},
			{y.GateUp, C.ORCD_T_GATEUP, i}, {y.Down, C.ORCD_T_DOWN, i},
		} {
			ts = append(ts, r)
		}
	}
	out := ts[:0]
	for _, r := range ts {
		if r.t != nil {
			out = append(out, r)
		}
	}
	return out
}

// upload checks the VRAM budget, then hands every tensor to the library.
func (b *Backend) upload(m *engine.Model) error {
	c := b.cfg
	ts := b.tensors(m)
	var bytes uint64
	for _, r := range ts {
		bytes += uploadSize(r.t)
	}
	p := C.orcd_params{
		n_vocab: C.int32_t(c.NVocab), n_embd: C.int32_t(c.NEmbd), n_layer: C.int32_t(c.NLayer), n_ff: C.int32_t(c.NFF),
		n_head: C.int32_t(c.NHead), n_head_kv: C.int32_t(c.NHeadKV), head_dim: C.int32_t(c.HeadDim), n_rot: C.int32_t(c.NRot),
		rope_base: C.float(c.RopeBase), rms_eps: C.float(c.RMSEps), n_ctx: C.int32_t(b.nctx), n_seq: C.int32_t(b.nseq),
		max_batch: C.int32_t(b.maxBatch),
	}
	if c.RopeNeox {
		p.rope_neox = 1
	}
	if b.kvF32 {
		p.kv_f32 = 1
	}
	if rc := C.c_load_begin(&b.lib.fns, b.ctx, &p, C.uint64_t(bytes)); rc != C.ORCD_OK {
		return b.err(rc, "loading model")
	}
	for _, r := range ts {
		if len(r.t.Data) == 0 || uint64(len(r.t.Data)) != r.t.Size {
			return fmt.Errorf("cuda: tensor %q: data not mapped (open the file with gguf.Open)", r.t.Name)
		}
		ne1 := uint64(1)
		if len(r.t.Dims) > 1 {
			ne1 = r.t.Dims[1]
		}
		// The library copies the bytes before orcd_set_tensor returns
		// (upload.cu's repack), so a converted copy lives only this long.
		data, typ, err := asDeviceType(r.t)
		if err != nil {
			return err
		}
		rc := C.c_set_tensor(&b.lib.fns, b.ctx, r.role, C.int(r.layer), C.int32_t(typ), C.int64_t(r.t.Dims[0]),
			C.int64_t(ne1), unsafe.Pointer(&data[0]), C.uint64_t(len(data)))
		if rc != C.ORCD_OK {
			return b.err(rc, "uploading "+r.t.Name)
		}
	}
	if rc := C.c_load_end(&b.lib.fns, b.ctx); rc != C.ORCD_OK {
		return b.err(rc, "loading model")
	}
	return nil
}

// err turns a status into an error wrapping the engine's sentinels; a
// device error also marks the backend unhealthy.
func (b *Backend) err(rc C.int, what string) error {
	msg := C.GoString(C.c_last_error(&b.lib.fns, b.ctx))
	switch rc {
	case C.ORCD_ERR_OOM:
		return fmt.Errorf("cuda: %s: %s: %w", what, msg, engine.ErrOutOfMemory)
	case C.ORCD_ERR_CONTEXT_FULL:
		return fmt.Errorf("cuda: %s: %s: %w", what, msg, engine.ErrContextFull)
	case C.ORCD_ERR_DEVICE:
		err := fmt.Errorf("cuda: %s: device error: %s", what, msg)
		b.dead.Store(&err)
		return err
	}
	return fmt.Errorf("cuda: %s: %s", what, msg)
}

func (b *Backend) check(batch *engine.Batch) error {
	if b.closed.Load() {
		return errors.New("cuda: backend is closed")
	}
	if e := b.dead.Load(); e != nil {
		return *e
	}
	if err := batch.Validate(); err != nil {
		return err
	}
	for _, s := range batch.Seq {
		if s < 0 || int(s) >= b.nseq {
			return fmt.Errorf("cuda: sequence %d not in [0, %d): %w", s, b.nseq, engine.ErrBadSeq)
		}
	}
	return nil
}

// Forward implements engine.Backend. Batches longer than MaxBatch run as
// several library calls; ctx is checked between them.
func (b *Backend) Forward(ctx context.Context, batch *engine.Batch, logits []float32) error {
	if err := b.check(batch); err != nil {
		return err
	}
	if need := batch.NumLogits() * b.cfg.NVocab; len(logits) < need {
		return fmt.Errorf("cuda: logits buffer holds %d floats, the batch needs %d", len(logits), need)
	}
	return b.run(ctx, batch, logits, nil)
}

// ForwardArgmax implements engine.Argmaxer: the argmax is taken on the
// GPU, so only one int per row crosses PCIe.
func (b *Backend) ForwardArgmax(ctx context.Context, batch *engine.Batch, out []int32) error {
	if err := b.check(batch); err != nil {
		return err
	}
	if need := batch.NumLogits(); len(out) < need {
		return fmt.Errorf("cuda: argmax buffer holds %d ids, the batch needs %d", len(out), need)
	}
	return b.run(ctx, batch, nil, out)
}

func (b *Backend) run(ctx context.Context, batch *engine.Batch, logits []float32, argmax []int32) error {
	want := make([]uint8, batch.Len())
	for i, l := range batch.Logits {
		if l {
			want[i] = 1
		}
	}
	row := 0
	for i := 0; i < batch.Len(); i += b.maxBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := min(i+b.maxBatch, batch.Len())
		k := 0
		for _, w := range want[i:j] {
			k += int(w)
		}
		var lp *C.float
		var ap *C.int32_t
		if logits != nil && k > 0 {
			lp = (*C.float)(unsafe.Pointer(&logits[row*b.cfg.NVocab]))
		}
		if argmax != nil && k > 0 {
			ap = (*C.int32_t)(unsafe.Pointer(&argmax[row]))
		}
		rc := C.c_forward(&b.lib.fns, b.ctx, C.int(j-i), (*C.int32_t)(unsafe.Pointer(&batch.Tokens[i])),
			(*C.int32_t)(unsafe.Pointer(&batch.Pos[i])), (*C.int32_t)(unsafe.Pointer(&batch.Seq[i])),
			(*C.uint8_t)(unsafe.Pointer(&want[i])), lp, ap)
		if rc != C.ORCD_OK {
			return b.err(rc, "forward")
		}
		row += k
	}
	return nil
}

// ClearSeq implements engine.Backend.
func (b *Backend) ClearSeq(seq int32) error {
	if seq < 0 || int(seq) >= b.nseq {
		return fmt.Errorf("cuda: sequence %d not in [0, %d): %w", seq, b.nseq, engine.ErrBadSeq)
	}
	if rc := C.c_clear_seq(&b.lib.fns, b.ctx, C.int(seq)); rc != C.ORCD_OK {
		return b.err(rc, "clear sequence")
	}
	return nil
}

// CopySeq implements engine.SeqCopier.
func (b *Backend) CopySeq(dst, src int32, n int) error {
	for _, s := range []int32{dst, src} {
		if s < 0 || int(s) >= b.nseq {
			return fmt.Errorf("cuda: sequence %d not in [0, %d): %w", s, b.nseq, engine.ErrBadSeq)
		}
	}
	if rc := C.c_copy_seq(&b.lib.fns, b.ctx, C.int(dst), C.int(src), C.int(n)); rc != C.ORCD_OK {
		return b.err(rc, "copy sequence")
	}
	return nil
}

// TruncateSeq implements engine.SeqTruncater: orcd_copy_seq of a
// sequence onto itself copies nothing and sets its length to n.
func (b *Backend) TruncateSeq(seq int32, n int) error { return b.CopySeq(seq, seq, n) }

// MaxSeqs implements engine.Backend.
func (b *Backend) MaxSeqs() int { return b.nseq }

// Context implements engine.Backend.
func (b *Backend) Context() int { return b.nctx }

// Memory implements engine.Backend with cudaMemGetInfo's figures.
func (b *Backend) Memory() engine.Memory {
	m := engine.Memory{Kind: "vram", KVTotal: b.nseq * b.nctx}
	if b.closed.Load() {
		return m
	}
	var mi C.orcd_meminfo
	if C.c_memory(&b.lib.fns, b.ctx, &mi) != C.ORCD_OK {
		return m
	}
	m.Device = C.GoString(&mi.device[0])
	m.Total = uint64(mi.total)
	m.Used = uint64(mi.total - mi.free_)
	m.KVUsed = int(mi.kv_used)
	return m
}

// Health implements engine.Backend.
func (b *Backend) Health() error {
	if b.closed.Load() {
		return errors.New("cuda: backend is closed")
	}
	if e := b.dead.Load(); e != nil {
		return *e
	}
	return nil
}

// Close implements engine.Backend.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	C.c_destroy(&b.lib.fns, b.ctx)
	b.ctx = nil
	return nil
}

// Role numbers of include/orcd_backend.h, for tests that run without cgo
// types in their source.
const (
	roleOutput    = int(C.ORCD_T_OUTPUT)
	roleRopeFreqs = int(C.ORCD_T_ROPE_FREQS)
	roleWq        = int(C.ORCD_T_WQ)
	roleWqkv      = int(C.ORCD_T_WQKV)
	roleBq        = int(C.ORCD_T_BQ)
	roleBk        = int(C.ORCD_T_BK)
	roleBv        = int(C.ORCD_T_BV)
	roleQNorm     = int(C.ORCD_T_QNORM)
	roleKNorm     = int(C.ORCD_T_KNORM)
	roleGate      = int(C.ORCD_T_GATE)
	roleUp        = int(C.ORCD_T_UP)
	roleGateUp    = int(C.ORCD_T_GATEUP)
)
