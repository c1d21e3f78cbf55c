package cpu

import (
	"fmt"
	"sync"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// packWeights copies the matrices that have a faster repacked layout on
// this CPU (Q4_0, Q8_0, Q4_K, Q5_K and Q6_K in groups of eight rows, for
// the VNNI kernels) into that layout, threads at a time, and releases the
// mapped originals so the weights are not resident twice. llama.cpp does the same at load time.
// The map is empty where no kernel wants a repacked layout.
func packWeights(m *engine.Model, threads int, mem *weightMem) (map[*gguf.TensorInfo]kernels.Matrix, error) {
	var todo []*gguf.TensorInfo
	seen := map[*gguf.TensorInfo]bool{}
	add := func(t *gguf.TensorInfo) {
		if t == nil || seen[t] || len(t.Dims) != 2 {
			return
		}
		seen[t] = true
		if kernels.CanPack(matrixOf(t)) {
			todo = append(todo, t)
		}
	}
	w := &m.Weights
	for i := range w.Layers {
		y := &w.Layers[i]
		for _, t := range []*gguf.TensorInfo{y.Wq, y.Wk, y.Wv, y.Wqkv, y.Wo, y.Gate, y.Up, y.GateUp, y.Down} {
			add(t)
		}
	}
	add(w.Output)

	packed := make(map[*gguf.TensorInfo]kernels.Matrix, len(todo))
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan *gguf.TensorInfo)
	)
	for range max(1, threads) {
		wg.Go(func() {
			for t := range next {
				p, err := packReleasing(m.File, matrixOf(t), mem)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("cpu: repack %q: %w", t.Name, err)
				} else if err == nil {
					packed[t] = p
				}
				mu.Unlock()
			}
		})
	}
	for _, t := range todo {
		next <- t
	}
	close(next)
	wg.Wait()
	return packed, first
}

// packPiece is the source bytes packed between two releases: peak memory
// during loading stays near the file's size plus this per thread, not
// plus whole output heads (279 MB for a 1B model's Q8_0 head).
const packPiece = 8 << 20

// packReleasing packs m piece by piece into memory from mem, releasing
// each piece of the mapped source once it is copied (f may be nil:
// nothing is released).
func packReleasing(f *gguf.File, m kernels.Matrix, mem *weightMem) (kernels.Matrix, error) {
	dst, err := mem.alloc(kernels.PackedSize(m))
	if err != nil {
		return kernels.Matrix{}, err
	}
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
	return kernels.Matrix{Type: m.Type, Rows: m.Rows, Cols: m.Cols, Data: dst, Layout: kernels.LayoutRows8}, nil
}

// matrixOf views a 2-D tensor as a kernels.Matrix (rows of Dims[0] values).
func matrixOf(t *gguf.TensorInfo) kernels.Matrix {
	return kernels.Matrix{Type: t.Type, Rows: int(t.Dims[1]), Cols: int(t.Dims[0]), Data: t.Data}
}

// matmul is the package matmul with the backend's repacked copy of w, if
// it has one, on the kernel path.
func (b *Backend) matmul(out []float32, w *gguf.TensorInfo, x []float32, nTok int) {
	if activationsQuantized {
		if p, ok := b.packed[w]; ok && kernelPool(b.ws).MatMul(out, p, x, nTok) == nil {
			return
		}
	}
	matmul(b.ws, out, w, x, nTok)
}
