package cpu

import "sync"

// workers spreads loops over a fixed number of goroutines. Each worker
// owns scratch buffers (a dequantized weight row, attention scores) that
// are allocated once, so the forward pass allocates nothing.
type workers struct {
	n       int
	rowBuf  [][]float32 // per worker: one dequantized weight row
	attnBuf [][]float32 // per worker: attention scores of four heads over the context
}

func newWorkers(n, maxRow, ctx int) *workers {
	w := &workers{n: n, rowBuf: make([][]float32, n), attnBuf: make([][]float32, n)}
	for i := 0; i < n; i++ {
		w.rowBuf[i] = make([]float32, maxRow)
		w.attnBuf[i] = make([]float32, 4*ctx)
	}
	return w
}

// minWorkPerThread is the amount of work (multiply-adds) below which a
// goroutine costs more than it saves; small loops run on the caller.
const minWorkPerThread = 16 << 10

// run calls fn(worker, lo, hi) over [0, n) split into contiguous chunks,
// one per worker, and waits. work is the total cost estimate of the loop.
func (w *workers) run(n, work int, fn func(worker, lo, hi int)) {
	threads := w.n
	if t := work / minWorkPerThread; t < threads {
		threads = t
	}
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + threads - 1) / threads
	for i := 1; i < threads; i++ {
		lo, hi := i*chunk, min((i+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, lo, hi)
		}()
	}
	fn(0, 0, min(chunk, n))
	wg.Wait()
}
