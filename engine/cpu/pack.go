package cpu

import (
	"fmt"
	"slices"
	"sync"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// packedWeights is the repacked weights: a copy of each matrix that has a faster
// layout on this CPU, and per layer the fused views below.
type packedWeights struct {
	m map[*gguf.TensorInfo]kernels.Matrix
	// fused[l] views layer l's Q, K and V (and gate and up) as one matrix
	// each, where they share a type and width: they are packed back to
	// back, so that a decode step quantizes their common input once and
	// makes one pass over the threads instead of three (or two). Zero
	// where the layer's matrices differ.
	fused []fusedLayer
	// kept is the types whose repacked form is larger than the file's
	// and that stayed in the file's layout for lack of memory.
	kept []gguf.Type
}

type fusedLayer struct{ qkv, gateUp kernels.Matrix }

// fusedLayer is layer l's fused views; none when nothing was packed.
func (p *packedWeights) fusedLayer(l int) fusedLayer {
	if l < len(p.fused) {
		return p.fused[l]
	}
	return fusedLayer{}
}

// fuseTokens is the most tokens a forward uses the fused views for: they
// save a fixed cost per matmul, which matters in decode steps; a prefill
// chunk's matmuls run long enough not to notice, and would need output
// buffers of the chunk's size.
const fuseTokens = 16

// packGroup is matrices packed into one allocation, back to back.
type packGroup struct {
	ts    []*gguf.TensorInfo
	layer int // for a fused group
	gate  bool
}

// packWeights copies the matrices that have a faster repacked layout on
// this CPU (kernels.CanPack: most quantized types, in groups of eight or
// sixteen rows; the grid types re-encoded) into that
// layout, and F16 matrices as they are (see copied), threads at a time,
// and releases the mapped originals so the weights are not resident
// twice. llama.cpp repacks at load time too. The map is empty where no
// matrix is packed or copied.
//
// Where a type's packed form is larger than the file's (the grid types,
// 25% to 128%), it is repacked only if the model plus the growth stays
// under 90% of limit (0: no limit): a model that fits in memory as the
// file is must not stop fitting because it was made faster.
func packWeights(m *engine.Model, threads int, mem *weightMem, limit uint64) (packedWeights, error) {
	var todo []packGroup
	seen := map[*gguf.TensorInfo]bool{}
	grows := growth(m)
	var kept []gguf.Type
	if limit > 0 && len(grows) > 0 {
		total := modelBytes(m)
		for _, g := range grows {
			total += g
		}
		if total > limit/10*9 {
			for t := range grows {
				kept = append(kept, t)
			}
			slices.Sort(kept)
		}
	}
	packable := func(t *gguf.TensorInfo) bool {
		return t != nil && !seen[t] && len(t.Dims) == 2 && !slices.Contains(kept, t.Type) &&
			(kernels.CanPack(matrixOf(t)) || copied(t))
	}
	add := func(t *gguf.TensorInfo) {
		if packable(t) {
			seen[t] = true
			todo = append(todo, packGroup{ts: []*gguf.TensorInfo{t}})
		}
	}
	// fuse adds ts as one group if they can share a matrix.
	fuse := func(l int, gate bool, ts ...*gguf.TensorInfo) {
		for _, t := range ts {
			if !packable(t) || t.Type != ts[0].Type || t.Dims[0] != ts[0].Dims[0] ||
				layoutOf(t) != layoutOf(ts[0]) {
				return
			}
		}
		for _, t := range ts {
			seen[t] = true
		}
		todo = append(todo, packGroup{ts: ts, layer: l, gate: gate})
	}
	w := &m.Weights
	for i := range w.Layers {
		y := &w.Layers[i]
		fuse(i, false, y.Wq, y.Wk, y.Wv)
		fuse(i, true, y.Gate, y.Up)
		for _, t := range []*gguf.TensorInfo{y.Wq, y.Wk, y.Wv, y.Wqkv, y.Wo, y.Gate, y.Up, y.GateUp, y.Down} {
			add(t)
		}
	}
	add(w.Output)

	out := packedWeights{m: make(map[*gguf.TensorInfo]kernels.Matrix, len(seen)), fused: make([]fusedLayer, len(w.Layers)), kept: kept}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan packGroup)
	)
	for range max(1, threads) {
		wg.Go(func() {
			for g := range next {
				err := packGroupInto(m.File, g, mem, &out, &mu)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for _, g := range todo {
		next <- g
	}
	close(next)
	wg.Wait()
	return out, first
}

// growth is, per type, the bytes that repacking m's weight matrices of
// that type adds beyond 5% of their size in the file: none for the types
// packed at about their size.
func growth(m *engine.Model) map[gguf.Type]uint64 {
	g := map[gguf.Type]uint64{}
	for _, t := range matrices(m) {
		if copied(t) || !kernels.CanPack(matrixOf(t)) {
			continue
		}
		if n, src := uint64(packedSize(t)), uint64(len(t.Data)); n > src+src/20 {
			g[t.Type] += n - src
		}
	}
	return g
}

// modelBytes is the bytes of m's weight matrices and embeddings.
func modelBytes(m *engine.Model) uint64 {
	n := uint64(0)
	for _, t := range matrices(m) {
		n += uint64(len(t.Data))
	}
	if e := m.Weights.TokEmbd; e != nil && e != m.Weights.Output {
		n += uint64(len(e.Data))
	}
	return n
}

// matrices is m's 2-D weights that packWeights considers, each once.
func matrices(m *engine.Model) []*gguf.TensorInfo {
	var ts []*gguf.TensorInfo
	seen := map[*gguf.TensorInfo]bool{}
	add := func(t *gguf.TensorInfo) {
		if t != nil && !seen[t] && len(t.Dims) == 2 {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	for i := range m.Weights.Layers {
		y := &m.Weights.Layers[i]
		for _, t := range []*gguf.TensorInfo{y.Wq, y.Wk, y.Wv, y.Wqkv, y.Wo, y.Gate, y.Up, y.GateUp, y.Down} {
			add(t)
		}
	}
	add(m.Weights.Output)
	return ts
}

// packGroupInto packs g's matrices into one allocation from mem and
// records them (and their fused view) in out under mu.
func packGroupInto(f *gguf.File, g packGroup, mem *weightMem, out *packedWeights, mu *sync.Mutex) error {
	size := 0
	for _, t := range g.ts {
		size += packedSize(t)
	}
	dst, err := mem.alloc(size)
	if err != nil {
		return fmt.Errorf("cpu: repack %q: %w", g.ts[0].Name, err)
	}
	views := make([]kernels.Matrix, len(g.ts))
	off, rows := 0, 0
	for i, t := range g.ts {
		m := matrixOf(t)
		n := packedSize(t)
		if copied(t) {
			views[i], err = copyInto(f, m, dst[off:off+n:off+n])
		} else {
			views[i], err = packInto(f, m, dst[off:off+n:off+n])
		}
		if err != nil {
			return fmt.Errorf("cpu: repack %q: %w", t.Name, err)
		}
		off += n
		rows += m.Rows
	}
	mu.Lock()
	defer mu.Unlock()
	for i, t := range g.ts {
		out.m[t] = views[i]
	}
	if len(g.ts) > 1 {
		v := views[0]
		v.Rows, v.Data = rows, dst
		if g.gate {
			out.fused[g.layer].gateUp = v
		} else {
			out.fused[g.layer].qkv = v
		}
	}
	return nil
}

// packPiece is the source bytes packed between two releases: peak memory
// during loading stays near the file's size plus this per thread, not
// plus whole output heads (279 MB for a 1B model's Q8_0 head).
const packPiece = 8 << 20

// packInto packs m piece by piece into dst (PackedSize(m) bytes),
// releasing each piece of the mapped source once it is copied (f may be
// nil: nothing is released).
func packInto(f *gguf.File, m kernels.Matrix, dst []byte) (kernels.Matrix, error) {
	groups := m.Rows / 8
	step := max(1, packPiece/max(1, len(m.Data)/max(1, groups)))
	for g := 0; g < groups; g += step {
		g1 := min(groups, g+step)
		if err := kernels.PackGroups(dst, m, g, g1); err != nil {
			return kernels.Matrix{}, err
		}
		if f != nil {
			per := len(m.Data) / groups
			f.ReleaseBytes(m.Data[g*per : g1*per])
		}
	}
	return kernels.Matrix{Type: m.Type, Rows: m.Rows, Cols: m.Cols, Data: dst, Layout: kernels.PackLayout(m)}, nil
}

// copied reports whether t is an F16 (or BF16, where the kernels take it)
// matrix, which keeps its row layout but is copied like the repacked ones:
// into huge pages, whose TLB misses a decode step streaming 2.5 GB (a 1B
// model) would otherwise take every 4 KiB, and back to back with its
// layer's Q/K/V or gate/up so that those share one matmul.
func copied(t *gguf.TensorInfo) bool {
	half := t.Type == gguf.TypeF16 || t.Type == gguf.TypeBF16 && kernels.Supported(gguf.TypeBF16)
	return half && len(t.Dims) == 2 && t.Dims[1] > 0 && int(t.Dims[1])%8 == 0
}

// layoutOf is the layout t gets in the packed weights.
func layoutOf(t *gguf.TensorInfo) kernels.Layout {
	if copied(t) {
		return kernels.LayoutRows
	}
	return kernels.PackLayout(matrixOf(t))
}

// packedSize is the bytes t takes in the packed weights.
func packedSize(t *gguf.TensorInfo) int {
	if copied(t) {
		return len(t.Data)
	}
	return kernels.PackedSize(matrixOf(t))
}

// copyInto copies m into dst piece by piece as packInto does, keeping its
// layout.
func copyInto(f *gguf.File, m kernels.Matrix, dst []byte) (kernels.Matrix, error) {
	if len(dst) != len(m.Data) {
		return kernels.Matrix{}, fmt.Errorf("copy of a %dx%d %v matrix: %d bytes for %d", m.Rows, m.Cols, m.Type, len(dst), len(m.Data))
	}
	for off := 0; off < len(m.Data); off += packPiece {
		end := min(len(m.Data), off+packPiece)
		copy(dst[off:end], m.Data[off:end])
		if f != nil {
			f.ReleaseBytes(m.Data[off:end])
		}
	}
	m.Data = dst
	return m, nil
}

// matrixOf views a 2-D tensor as a kernels.Matrix (rows of Dims[0] values).
func matrixOf(t *gguf.TensorInfo) kernels.Matrix {
	return kernels.Matrix{Type: t.Type, Rows: int(t.Dims[1]), Cols: int(t.Dims[0]), Data: t.Data}
}

// matmul is the package matmul with the backend's repacked copy of w, if
// it has one, on the kernel path.
func (b *Backend) matmul(out []float32, w *gguf.TensorInfo, x []float32, nTok int) {
	if activationsQuantized {
		if p, ok := b.packed.m[w]; ok && kernelPool(b.ws).MatMul(out, p, x, nTok) == nil {
			return
		}
	}
	matmul(b.ws, out, w, x, nTok)
}

// fusedMatMul multiplies x by a fused view (see packed.fused), reporting
// false when there is none or the batch is too large for it.
func (b *Backend) fusedMatMul(out []float32, m kernels.Matrix, x []float32, nTok int) bool {
	return activationsQuantized && m.Data != nil && nTok <= fuseTokens &&
		kernelPool(b.ws).MatMul(out, m, x, nTok) == nil
}
