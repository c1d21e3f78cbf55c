package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool is a fixed set of worker goroutines that run one job at a time on
// static shares of the work: the caller is worker 0 and helpers 1..n-1
// start together when the job's generation number changes. Helpers spin
// briefly before parking, because a decode step issues over a hundred
// matmuls of a few hundred microseconds each, and waking a parked
// goroutine costs tens of microseconds.
//
// A Pool is used by one goroutine at a time.
type Pool struct {
	n       int
	gen     atomic.Uint64 // bumped once per job
	pending atomic.Int32  // helpers still working on the current job
	helpers []helper
	job     job          // written by the caller before gen is bumped
	act     Q8           // quantized activations of the current MatMul
	xh      []float32    // activations rounded to f16, for F16 weights
	quadOut [][4]float32 // per worker: results of a four-token kernel
	closing atomic.Bool
	wg      sync.WaitGroup
}

type helper struct {
	parked atomic.Bool
	wake   chan struct{}
	_      [48]byte // keep helpers' flags on separate cache lines
}

// spinLimit is how many polls a helper makes before parking (~50-100µs).
const spinLimit = 20000

// NewPool starts threads-1 helper goroutines (threads <= 0 means
// runtime.GOMAXPROCS). Close stops them.
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{n: threads, helpers: make([]helper, threads), quadOut: make([][4]float32, threads)}
	for i := 1; i < threads; i++ {
		p.helpers[i].wake = make(chan struct{}, 1)
		p.wg.Add(1)
		go p.helperLoop(i, 0)
	}
	return p
}

// Threads is the number of workers, the caller included.
func (p *Pool) Threads() int { return p.n }

// Close stops the helpers and waits for them to exit.
func (p *Pool) Close() {
	if p.closing.Swap(true) {
		return
	}
	p.gen.Add(1)
	p.wakeAll()
	p.wg.Wait()
}

func (p *Pool) wakeAll() {
	for i := 1; i < p.n; i++ {
		h := &p.helpers[i]
		if h.parked.CompareAndSwap(true, false) {
			h.wake <- struct{}{}
		}
	}
}

// run executes p.job on every worker and returns when all are done.
func (p *Pool) run() {
	if p.n == 1 {
		p.job.do(p, 0)
		return
	}
	p.pending.Store(int32(p.n - 1))
	p.gen.Add(1)
	p.wakeAll()
	p.job.do(p, 0)
	for i := 0; p.pending.Load() != 0; i++ {
		if i > 1000 {
			runtime.Gosched()
		}
	}
}

// helperLoop starts from generation seen, the pool's at creation: reading
// gen here instead could skip a job posted before the goroutine ran.
func (p *Pool) helperLoop(i int, seen uint64) {
	defer p.wg.Done()
	h := &p.helpers[i]
	for {
		seen = p.await(h, seen)
		if p.closing.Load() {
			return
		}
		p.job.do(p, i)
		p.pending.Add(-1)
	}
}

// await returns the next generation after seen, spinning then parking.
// Parking announces itself in h.parked before re-checking gen, so a job
// posted in between either is seen here or finds the flag and sends a wake.
func (p *Pool) await(h *helper, seen uint64) uint64 {
	for i := 0; i < spinLimit; i++ {
		if g := p.gen.Load(); g != seen {
			return g
		}
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	for {
		h.parked.Store(true)
		if g := p.gen.Load(); g != seen {
			if !h.parked.CompareAndSwap(true, false) {
				<-h.wake // the caller claimed the flag and is sending
			}
			return g
		}
		<-h.wake
		if g := p.gen.Load(); g != seen {
			return g
		}
	}
}
