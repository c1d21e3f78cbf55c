package consumer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/orcd/orcd/engine"
)

// DefaultWedgeAfter is how long a Generate call may go without a token or
// returning before the engine counts as wedged. Long enough for the
// prefill of a full-context prompt on a CPU.
const DefaultWedgeAfter = 2 * time.Minute

// watchdog watches the engine from outside: every Generate call records
// when it last made progress (started, emitted a token). A call silent for
// longer than after means the engine is wedged (a forward pass that never
// returns, a hung GPU): the worker then reports itself unhealthy and takes
// no more jobs, so that the queue goes to other workers. Nothing here calls
// into the engine, so a wedged engine cannot block the check itself.
type watchdog struct {
	after time.Duration

	mu   sync.Mutex
	next uint64
	live map[uint64]time.Time // last progress of each running call
}

func newWatchdog(after time.Duration) *watchdog {
	return &watchdog{after: after, live: map[uint64]time.Time{}}
}

// generate runs eng.Generate under watch.
func (d *watchdog) generate(ctx context.Context, eng engine.Engine, req *engine.Request, emit func(engine.Token) error) (*engine.Result, error) {
	d.mu.Lock()
	id := d.next
	d.next++
	d.live[id] = time.Now()
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.live, id)
		d.mu.Unlock()
	}()
	testHookJobStart(req.Prompt)
	return eng.Generate(ctx, req, func(t engine.Token) error {
		d.mu.Lock()
		d.live[id] = time.Now()
		d.mu.Unlock()
		testHookToken()
		return emit(t)
	})
}

// wedged is non-nil while some call has made no progress for too long.
func (d *watchdog) wedged() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	for _, last := range d.live {
		if idle := now.Sub(last); idle > d.after {
			return fmt.Errorf("engine wedged: a generation has made no progress for %s (limit %s)", idle.Round(time.Second), d.after)
		}
	}
	return nil
}

// unhealthy is why the worker should take no jobs, or nil: the engine's
// own health as last sampled, or the watchdog's verdict.
func (w *Worker) unhealthy() error {
	if err := w.watch.wedged(); err != nil {
		return err
	}
	if s := w.stats.sample.Load(); s != nil && s.health != nil {
		return s.health
	}
	return nil
}
