package kernels

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orcd/orcd/gguf"
)

// TestPoolParkAndWake runs jobs separated by pauses longer than the spin,
// so helpers park and are woken, with more workers than cores, so the
// caller also outwaits its spin and parks; every result must still be right.
func TestPoolParkAndWake(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	w := randMatrix(t, r, gguf.TypeQ8_0, 64, 256)
	x := randVec(r, w.Cols)
	want := make([]float32, w.Rows)
	ref := NewPool(1)
	defer ref.Close()
	if err := ref.MatMul(want, w, x, 1); err != nil {
		t.Fatal(err)
	}
	p := NewPool(5)
	defer p.Close()
	out := make([]float32, w.Rows)
	for i := 0; i < 60; i++ {
		if i%10 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		clear(out)
		if err := p.MatMul(out, w, x, 1); err != nil {
			t.Fatal(err)
		}
		for j := range out {
			if out[j] != want[j] {
				t.Fatalf("round %d row %d: %v, want %v", i, j, out[j], want[j])
			}
		}
	}
}

func TestPoolCloseTwice(t *testing.T) {
	p := NewPool(3)
	p.Close()
	p.Close()
}

// TestPoolStalledFinish holds a helper between its last decrement of job
// A and its check for a parked caller until the caller has run job B
// alone and parked, then lets it go: the caller must not take that
// helper's wake-up as job B's end. It once did, and went on while the
// helper had not yet run B (a quantization share left undone, and the
// pending count wrong from there: a deadlock under qemu-aarch64).
func TestPoolStalledFinish(t *testing.T) {
	var calls atomic.Int32
	release, hold := make(chan struct{}), make(chan struct{})
	poolFinishGap = func(stage int) {
		if calls.Add(1) <= 2 { // job A's finish: stage 0, then 1
			if stage == 0 {
				<-release
			} else {
				<-hold
			}
		}
	}
	defer func() { poolFinishGap = nil }() // after Close: no helper reads it
	p := NewPool(2)
	defer p.Close()
	var released, freed sync.Once
	let := func() { released.Do(func() { close(release) }) }
	free := func() { let(); freed.Do(func() { close(hold) }) }
	defer free() // before Close, which waits for the helper
	job := func() { p.Parallel(64, 1, func(_, _, _ int) {}) }

	job() // A: returns once the helper has decremented, held at stage 0
	bDone := make(chan int32, 1)
	go func() {
		job() // B: the caller runs every chunk, then parks for the helper
		bDone <- p.pending.Load()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for p.waiting.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the caller never parked for job B")
		}
		time.Sleep(100 * time.Microsecond)
	}
	let() // the helper checks for a parked caller, then waits at stage 1
	select {
	case n := <-bDone:
		t.Fatalf("job B returned while its helper was still held in job A (pending %d)", n)
	case <-time.After(200 * time.Millisecond):
	}
	free()
	select {
	case n := <-bDone:
		if n != 0 {
			t.Fatalf("job B returned with %d helpers pending", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("job B never returned: a lost wake-up")
	}
}
