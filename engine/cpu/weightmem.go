package cpu

import "sync"

// weightMem holds the repacked weights outside the Go heap (anonymous
// memory mappings where the OS has them): a live heap of hundreds of MB
// would let the collector's target (GOGC) grow by as much again before
// garbage is collected, so a long-running worker's resident set could
// reach twice the model. free is idempotent: Close and the cleanup of a
// backend that was never closed both call it.
type weightMem struct {
	once  sync.Once
	mu    sync.Mutex
	frees []func()
}

// alloc returns n zeroed bytes that live until free.
func (w *weightMem) alloc(n int) ([]byte, error) {
	b, free, err := allocWeights(n)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.frees = append(w.frees, free)
	w.mu.Unlock()
	return b, nil
}

func (w *weightMem) free() {
	w.once.Do(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, f := range w.frees {
			f()
		}
		w.frees = nil
	})
}
