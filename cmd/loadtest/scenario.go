package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

type scenario struct {
	name           string
	workers, slots int
	kill           bool // SIGKILL one worker a third of the way through, restart it
}

// live is what the load generator sees as it happens, on core NATS.
type live struct {
	mu         sync.Mutex
	published  map[string]time.Time
	firstToken map[string]time.Time
	terminal   map[string]time.Time
	beats      map[string][]time.Time
}

func (l *live) onEvent(m *nats.Msg) {
	var ev consumer.JobEvent
	if json.Unmarshal(m.Data, &ev) != nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.firstToken[ev.JobID]; !ok && ev.Type == consumer.EventToken {
		l.firstToken[ev.JobID] = now
	}
	if _, ok := l.terminal[ev.JobID]; !ok && ev.Terminal() {
		l.terminal[ev.JobID] = now
	}
}

func (l *live) onBeat(m *nats.Msg) {
	l.mu.Lock()
	l.beats[m.Subject] = append(l.beats[m.Subject], time.Now())
	l.mu.Unlock()
}

func (l *live) done() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.terminal)
}

const heartbeat = 500 * time.Millisecond

func workerArgs(o options, url, id string, slots int) []string {
	return []string{"serve", "--nats-url", url, "--model", o.model, "--worker-id", id, "--threads", "1",
		"--slots", fmt.Sprint(slots), "--ack-wait", o.ackWait.String(), "--heartbeat", heartbeat.String(), "--log-level", "warn"}
}

func runScenario(o options, sc scenario, refs map[string]string) (*report, error) {
	dir, err := os.MkdirTemp("", "orcd-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, url, err := startNATS(o.natsBin, dir)
	if err != nil {
		return nil, err
	}
	defer srv.stop(10 * time.Second)
	workers := make([]*proc, sc.workers)
	for i := range workers {
		id := fmt.Sprintf("lt-w%d", i)
		if workers[i], err = startProc(id, nil, o.workerBin, workerArgs(o, url, id, sc.slots)...); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, w := range workers {
			w.stop(15 * time.Second)
		}
	}()
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	nc, err := consumer.Connect(ctx, consumer.ConnOptions{URL: url, Name: "orcd loadtest"}, log)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	if err := waitWorkers(ctx, nc, sc.workers); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", sc.name, err, workers[0].out.String())
	}

	l := &live{published: map[string]time.Time{}, firstToken: map[string]time.Time{}, terminal: map[string]time.Time{}, beats: map[string][]time.Time{}}
	s := consumer.NewSubjects("")
	evSub, err := nc.Subscribe(s.AllEvents(), l.onEvent)
	if err != nil {
		return nil, err
	}
	defer evSub.Unsubscribe()
	hbSub, err := nc.Subscribe(s.Prefix+".workers.*.heartbeat", l.onBeat)
	if err != nil {
		return nil, err
	}
	defer hbSub.Unsubscribe()
	_ = evSub.SetPendingLimits(-1, -1)

	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	model := strings.TrimSuffix(baseName(o.model), ".gguf")
	start := time.Now()
	for i := range o.jobs {
		l.mu.Lock()
		l.published[jobID(i)] = time.Now()
		l.mu.Unlock()
		if _, err := js.Publish(ctx, s.Jobs(model), jobBody(i, o.maxTokens), jetstream.WithMsgID(jobID(i))); err != nil {
			return nil, fmt.Errorf("publish job %d: %w", i, consumer.PublishError(err))
		}
	}
	rep := &report{name: sc.name, jobs: o.jobs, heartbeat: heartbeat, compared: refs != nil}
	if sc.kill {
		for l.done() < o.jobs/3 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		victim := workers[1]
		victim.kill()
		killedAt, doneAt := time.Since(start), l.done()
		// The restarted process starts a new heartbeat series: the outage
		// is not a heartbeat gap of a live worker.
		hbSubj := s.Heartbeat(victim.name)
		l.mu.Lock()
		l.beats[hbSubj+" (killed)"] = l.beats[hbSubj]
		delete(l.beats, hbSubj)
		l.mu.Unlock()
		time.Sleep(time.Second)
		if workers[1], err = startProc(victim.name, nil, o.workerBin, workerArgs(o, url, victim.name, sc.slots)...); err != nil {
			return nil, err
		}
		rep.killNote = fmt.Sprintf("SIGKILLed %s at %v (%d/%d jobs done), restarted it 1 s later", victim.name, killedAt.Round(time.Millisecond), doneAt, o.jobs)
	}
	for l.done() < o.jobs && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	l.mu.Lock()
	for id, pub := range l.published {
		if t, ok := l.firstToken[id]; ok {
			rep.firstToken = append(rep.firstToken, t.Sub(pub))
		}
		if t, ok := l.terminal[id]; ok {
			rep.terminal = append(rep.terminal, t.Sub(pub))
			rep.elapsed = max(rep.elapsed, t.Sub(start))
		}
	}
	for _, ts := range l.beats {
		for i := 1; i < len(ts); i++ {
			rep.hbGaps = append(rep.hbGaps, ts[i].Sub(ts[i-1]))
		}
	}
	l.mu.Unlock()
	// Let a duplicate terminal event, if any, land before counting.
	time.Sleep(2 * o.ackWait)
	if err := audit(ctx, js, s, o.jobs, refs, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func waitWorkers(ctx context.Context, nc *nats.Conn, n int) error {
	c, err := client.New(nc)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		ws, _ := c.Workers(ctx)
		if len(ws) >= n {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("fewer than %d workers showed up", n)
}

// jobRecord is one job as the events stream holds it.
type jobRecord struct {
	terminals []consumer.JobEvent
	tokens    map[int]map[int]string // attempt -> index -> text
}

// audit reads the whole events stream, the record a late client replays,
// and counts jobs lost, finished twice, failed, redelivered, and (against
// refs) whose final text differs.
func audit(ctx context.Context, js jetstream.JetStream, s consumer.Subjects, jobs int, refs map[string]string, rep *report) error {
	cons, err := js.OrderedConsumer(ctx, s.EventsStream(), jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.AllEvents()}})
	if err != nil {
		return err
	}
	recs := map[string]*jobRecord{}
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var ev consumer.JobEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				return fmt.Errorf("event %q: %w", m.Data(), err)
			}
			r := recs[ev.JobID]
			if r == nil {
				r = &jobRecord{tokens: map[int]map[int]string{}}
				recs[ev.JobID] = r
			}
			switch {
			case ev.Terminal():
				r.terminals = append(r.terminals, ev)
			case ev.Type == consumer.EventToken:
				if r.tokens[ev.Attempt] == nil {
					r.tokens[ev.Attempt] = map[int]string{}
				}
				r.tokens[ev.Attempt][ev.I] = ev.T
			}
		}
		if n == 0 {
			break
		}
	}
	rep.texts = map[string]string{}
	for i := range jobs {
		id := jobID(i)
		r := recs[id]
		if r == nil || len(r.terminals) == 0 {
			rep.lost++
			continue
		}
		if len(r.terminals) > 1 {
			rep.twoTerminals++
		}
		end := r.terminals[0]
		if end.Attempt > 1 {
			rep.redelivered++
		}
		if end.Type != consumer.EventEnd {
			rep.failed++
			if refs != nil {
				rep.differs++
			}
			continue
		}
		rep.texts[id] = joinTokens(r.tokens[end.Attempt])
		if refs != nil && rep.texts[id] != refs[id] {
			rep.differs++
		}
	}
	return nil
}

func joinTokens(byIndex map[int]string) string {
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var b strings.Builder
	for _, i := range idx {
		b.WriteString(byIndex[i])
	}
	return b.String()
}

// pct is the q-quantile of ds, rounded for printing.
func pct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))].Round(100 * time.Microsecond)
}
