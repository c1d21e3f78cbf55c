package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool is a fixed set of worker goroutines that run one job at a time: the caller is worker 0 and helpers 1..n-1
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
	job     job       // written by the caller before gen is bumped
	act     Q8        // quantized activations of the current MatMul
	xh      []float32 // activations rounded to f16, for F16 weights
	quadOut []quadOut // per worker: results of a four- or eight-token kernel
	// nextChunk is the next row chunk of the current MatMul to take.
	nextChunk atomic.Int64
	closing   atomic.Bool
	wg        sync.WaitGroup
	// The caller parks like a helper when a job outlasts its spin (an
	// overloaded machine descheduled a helper): waiting holds the
	// generation it waits for (0: none), and the helper that finishes
	// that job last sends on done. Without the generation, a helper
	// descheduled between its last decrement of one job and its check
	// of waiting woke the caller of the next job before that job was
	// done (TestPoolStalledFinish).
	waiting atomic.Uint64
	done    chan struct{}
}

// quadOut is one worker's four- or eight-token results, alone on its
// cache lines: unpadded, the workers' arrays shared a line that every
// kernel call wrote, and the line's ping-pong between cores cost a fifth
// of a prefill.
type quadOut struct {
	v [8]float32
	_ [96]byte
}

type helper struct {
	parked atomic.Bool
	wake   chan struct{}
	_      [48]byte // keep helpers' flags on separate cache lines
}

// A helper polls spinPolls times (a few microseconds, the gap between two
// matmuls of a decode step), then yields spinYields times, then parks.
// Yielding on every poll instead would hammer the scheduler's locks.
const (
	spinPolls  = 4096
	spinYields = 16
)

// NewPool starts threads-1 helper goroutines (threads <= 0 means
// runtime.GOMAXPROCS). Close stops them.
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &Pool{n: threads, helpers: make([]helper, threads), quadOut: make([]quadOut, threads),
		done: make(chan struct{}, 1)}
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

// Parallel calls fn(worker, lo, hi) over [0, n) in chunks of chunk
// items, which the pool's workers (the caller is worker 0) take from a
// shared counter, and returns when all are done. Running the other loops
// of a forward pass here rather than on goroutines of their own matters on
// small machines: a helper still spinning after a matmul holds a core, and
// a fresh goroutine waited for it to give the core up. fn must not use the
// Pool, and must give the same result whichever worker runs a chunk.
func (p *Pool) Parallel(n, chunk int, fn func(worker, lo, hi int)) {
	chunk = max(1, chunk)
	if n <= 0 {
		return
	}
	if p.n == 1 || n <= chunk {
		fn(0, 0, n)
		return
	}
	p.job = job{fn: fn, items: n, chunk: chunk}
	p.nextChunk.Store(0)
	p.run()
	p.job = job{}
}

// run executes p.job on every worker and returns when all are done.
func (p *Pool) run() {
	if p.n == 1 {
		p.job.do(p, 0)
		return
	}
	p.pending.Store(int32(p.n - 1))
	g := p.gen.Add(1)
	p.wakeAll()
	p.job.do(p, 0)
	p.awaitHelpers(g)
}

// awaitHelpers returns when pending reaches zero for job g: spinning,
// yielding, then parking on done (the same announce-then-recheck protocol
// as await).
func (p *Pool) awaitHelpers(g uint64) {
	for y := 0; y <= spinYields; y++ {
		for i := 0; i < spinPolls; i++ {
			if p.pending.Load() == 0 {
				return
			}
		}
		runtime.Gosched()
	}
	p.waiting.Swap(g) // a read-modify-write: see await
	if p.pending.Load() == 0 {
		if !p.waiting.CompareAndSwap(g, 0) {
			<-p.done // the last helper claimed the flag and is sending
		}
		return
	}
	<-p.done
}

// finish is a helper's end of job g: the last one out wakes a caller
// parked for g, and only for g.
func (p *Pool) finish(g uint64) {
	last := p.pending.Add(-1) == 0
	if poolFinishGap != nil {
		poolFinishGap(0)
	}
	if last && p.waiting.CompareAndSwap(g, 0) {
		p.done <- struct{}{}
	}
	if poolFinishGap != nil {
		poolFinishGap(1)
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
		p.finish(seen)
	}
}

// await returns the next generation after seen, spinning then parking.
// Parking announces itself in h.parked before re-checking gen, so a job
// posted in between either is seen here or finds the flag and sends a wake.
func (p *Pool) await(h *helper, seen uint64) uint64 {
	for y := 0; y <= spinYields; y++ {
		for i := 0; i < spinPolls; i++ {
			if g := p.gen.Load(); g != seen {
				return g
			}
		}
		runtime.Gosched()
	}
	for {
		// Swap rather than Store: this store must be seen before the load
		// of gen below (and the caller's waiting before its load of
		// pending), which Go's atomics promise, but qemu-user's arm64 on
		// x86 let a load-acquire pass an earlier store-release here and
		// lose a wake-up (a deadlock in make test-arm64, 1 run in 3). A
		// read-modify-write is a full barrier there too.
		h.parked.Swap(true)
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

// poolFinishGap, nil outside tests, runs in finish between a helper's
// decrement and its check for a parked caller (stage 0) and after it
// (stage 1): pool_test.go holds a helper there.
var poolFinishGap func(stage int)
