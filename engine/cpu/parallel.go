package cpu

// workers spreads loops over a fixed number of goroutines. Each worker
// owns scratch buffers (a dequantized weight row, attention scores) that
// are allocated once, so the forward pass allocates nothing.
type workers struct {
	n       int
	rowBuf  [][]float32 // per worker: one dequantized weight row
	attnBuf [][]float32 // per worker: attention scores of four heads over the context
	// per worker, with an F16 KV cache: one head's keys and values over
	// the context, widened to float32 for the float path and for CPUs
	// without the f16 attention kernels
	kBuf, vBuf [][]float32
}

func newWorkers(n, maxRow, ctx, headKV int) *workers {
	w := &workers{n: n, rowBuf: make([][]float32, n), attnBuf: make([][]float32, n)}
	for i := 0; i < n; i++ {
		w.rowBuf[i] = make([]float32, maxRow)
		w.attnBuf[i] = make([]float32, 4*ctx)
		if headKV > 0 {
			w.kBuf = append(w.kBuf, make([]float32, headKV))
			w.vBuf = append(w.vBuf, make([]float32, headKV))
		}
	}
	return w
}

// kv is worker i's buffers for a widened F16 KV head (nil without).
func (w *workers) kv(i int) (k, v []float32) {
	if w.kBuf == nil {
		return nil, nil
	}
	return w.kBuf[i], w.vBuf[i]
}

// minWorkPerThread is the amount of work (multiply-adds) below which a
// goroutine costs more than it saves; small loops run on the caller.
const minWorkPerThread = 16 << 10

// run calls fn(worker, lo, hi) over [0, n) and waits. work is the total
// cost estimate of the loop: below minWorkPerThread per thread it runs on
// the caller alone. Otherwise the backend's kernels.Pool runs it, in about
// four chunks per thread taken in order, so a worker that the shared
// machine delays holds up no more than a chunk; fn's result must not
// depend on which worker runs a chunk.
func (w *workers) run(n, work int, fn func(worker, lo, hi int)) {
	threads := min(w.n, work/minWorkPerThread, n)
	if threads <= 1 {
		fn(0, 0, n)
		return
	}
	kernelPool(w).Parallel(n, (n+4*threads-1)/(4*threads), fn)
}
