package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/consumer"
)

const (
	failoverJobs = 50
	jobTokens    = 200 // long enough that a server dies mid-run
)

// jobBody is a job as a plain NATS user would publish it.
func jobBody(id string, seed int) []byte {
	b, _ := json.Marshal(map[string]any{"job_id": id, "prompt": "Once upon a time", "max_tokens": jobTokens, "seed": seed})
	return b
}

// eventTally is what the events stream holds for one job.
type eventTally struct {
	terminal  int      // end, or error with retriable false
	types     []string // terminal event types
	started   int
	tokensOut int
}

// tallyEvents reads the whole events stream (as a late client would, to
// replay) and tallies it per job. Servers may be dying meanwhile, so a
// failed or stalled read is an error to retry, never a hang.
func tallyEvents(t testing.TB, js jetstream.JetStream) (map[string]*eventTally, error) {
	t.Helper()
	type result struct {
		tally map[string]*eventTally
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		tally, err := readEvents(js)
		ch <- result{tally, err}
	}()
	select {
	case r := <-ch:
		return r.tally, r.err
	case <-time.After(20 * time.Second):
		return nil, fmt.Errorf("reading the events stream took over 20s")
	}
}

func readEvents(js jetstream.JetStream) (map[string]*eventTally, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s := consumer.NewSubjects("")
	st, err := js.Stream(ctx, s.EventsStream())
	if err != nil {
		return nil, err
	}
	last := st.CachedInfo().State.LastSeq
	tally := map[string]*eventTally{}
	if last == 0 {
		return tally, nil
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		AckPolicy: jetstream.AckNonePolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		InactiveThreshold: 10 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	defer st.DeleteConsumer(context.Background(), cons.CachedInfo().Name)
	for seq := uint64(0); seq < last; {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			seq = meta.Sequence.Stream
			if err := tallyOne(tally, m.Data()); err != nil {
				return nil, err
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("events replay stalled at seq %d of %d: %v", seq, last, batch.Error())
		}
	}
	return tally, nil
}

// tallyOne adds one event to tally.
func tallyOne(tally map[string]*eventTally, data []byte) error {
	var ev struct {
		Type      string `json:"type"`
		JobID     string `json:"job_id"`
		Retriable bool   `json:"retriable"`
		TokensOut int    `json:"tokens_out"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("event %q: %w", data, err)
	}
	e := tally[ev.JobID]
	if e == nil {
		e = &eventTally{}
		tally[ev.JobID] = e
	}
	switch {
	case ev.Type == consumer.EventStarted:
		e.started++
	case ev.Type == consumer.EventEnd || ev.Type == consumer.EventError && !ev.Retriable:
		e.terminal++
		e.types = append(e.types, ev.Type)
		e.tokensOut = ev.TokensOut
	}
	return nil
}

// TestClusterFailover: three nats-server processes from deploy/nats, two
// workers from the compose definition, 50 jobs; the jobs stream's leader
// is killed mid-run. Every job must still end with exactly one terminal
// event, the streams must be replicated on all three nodes, and the killed
// node, restarted, must catch up.
func TestClusterFailover(t *testing.T) {
	certs := makeCerts(t)
	c := startCluster(t, certs)
	w1 := startWorker(t, c, certs, "w1")
	w2 := startWorker(t, c, certs, "w2")
	waitReady(t, w1, 60*time.Second)
	waitReady(t, w2, 60*time.Second)

	s := consumer.NewSubjects("")
	admin := connect(t, c.clientURLs(), certs, "admin", adminPassword)
	ajs, err := jetstream.New(admin.Conn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := withTimeout(t, 3*time.Minute)
	for _, name := range []string{s.JobsStream(), s.EventsStream(), s.DeadLetterStream(),
		"KV_" + s.CancelBucket(), "KV_" + s.StateBucket(), "KV_" + s.WorkersBucket()} {
		st, err := ajs.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Fatalf("stream %s has %d replica(s): a worker that finds a 3-node cluster must create it with 3", name, r)
		}
	}

	// Follow terminal events live (as a client), to time the kill.
	client := connect(t, c.clientURLs(), certs, "client", clientPassword)
	var mu sync.Mutex
	live := map[string]bool{}
	if _, err := client.Subscribe(s.AllEvents(), func(m *nats.Msg) {
		var ev consumer.JobEvent
		if json.Unmarshal(m.Data, &ev) == nil && ev.Terminal() {
			mu.Lock()
			live[ev.JobID] = true
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	cjs, err := jetstream.New(client.Conn)
	if err != nil {
		t.Fatal(err)
	}
	const model = "stories260K"
	start := time.Now()
	for i := range failoverJobs {
		id := fmt.Sprintf("failover-%02d", i)
		if _, err := cjs.Publish(ctx, s.Jobs(model), jobBody(id, i), jetstream.WithMsgID(id)); err != nil {
			t.Fatalf("submit %s: %v", id, err)
		}
	}

	// Kill the jobs stream's leader once a fifth of the jobs are done.
	victim := c.streamLeader(ctx, ajs, s.JobsStream())
	waitFor(t, 2*time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(live) >= failoverJobs/5
	}, "a fifth of the jobs to finish")
	mu.Lock()
	doneAtKill := len(live)
	mu.Unlock()
	if doneAtKill == failoverJobs {
		t.Fatalf("all %d jobs finished before the kill: make the jobs longer", failoverJobs)
	}
	c.kill(victim)
	t.Logf("killed %s (jobs stream leader) with %d/%d jobs done, %v after submitting", victim.name, doneAtKill, failoverJobs, time.Since(start).Round(time.Millisecond))

	// Every job ends, exactly once, in the replicated events stream.
	var tally map[string]*eventTally
	var lastErr error
	waitFor(t, 2*time.Minute, func() bool {
		var err error
		if tally, err = tallyEvents(t, ajs); err != nil {
			lastErr = err
			return false
		}
		n := 0
		for _, e := range tally {
			if e.terminal > 0 {
				n++
			}
		}
		return n >= failoverJobs
	}, fmt.Sprintf("every job's terminal event (last read error: %v)", lastErr))
	t.Logf("all %d jobs ended %v after submitting", failoverJobs, time.Since(start).Round(time.Millisecond))
	redelivered := 0
	for i := range failoverJobs {
		id := fmt.Sprintf("failover-%02d", i)
		e := tally[id]
		if e == nil || e.terminal != 1 || e.types[0] != consumer.EventEnd {
			t.Errorf("job %s: terminal events %+v, want exactly one end", id, e)
			continue
		}
		if e.tokensOut < 1 {
			t.Errorf("job %s ended with %d tokens", id, e.tokensOut)
		}
		if e.started > 1 {
			redelivered++
		}
	}
	t.Logf("%d job(s) were started more than once (redelivered after the failover)", redelivered)

	// The killed node comes back and catches up.
	c.start(victim)
	c.waitHealthy(victim, 30*time.Second)
	c.waitCaughtUp(t, ajs, victim, s.JobsStream(), s.EventsStream())

	// KEDA's view of the queue: nothing pending once every job is done.
	if lag := kedaLag(t, c, s.JobsStream(), s.Durable(model)); lag != 0 {
		t.Errorf("KEDA lag %d after all jobs finished, want 0", lag)
	}
	for _, w := range []*workerProc{w1, w2} {
		if err := w.stop(t, 60*time.Second); err != nil {
			t.Errorf("worker %s: exit %v after SIGTERM, want 0", w.id, err)
		}
	}
}

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// streamLeader is the node leading stream name.
func (c *cluster) streamLeader(ctx context.Context, js jetstream.JetStream, name string) *node {
	c.t.Helper()
	st, err := js.Stream(ctx, name)
	if err != nil {
		c.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil || info.Cluster == nil {
		c.t.Fatalf("stream %s: no cluster info (%v)", name, err)
	}
	for _, n := range c.nodes {
		if n.name == info.Cluster.Leader {
			return n
		}
	}
	c.t.Fatalf("stream %s: leader %q is not a test node", name, info.Cluster.Leader)
	return nil
}

// waitCaughtUp waits until n is a current replica of each stream, by the
// leader's stream info and by n's own JetStream state (/jsz on n).
func (c *cluster) waitCaughtUp(t testing.TB, js jetstream.JetStream, n *node, streams ...string) {
	t.Helper()
	for _, name := range streams {
		var why string
		waitFor(t, 30*time.Second, func() bool {
			ctx := withTimeout(t, 5*time.Second)
			st, err := js.Stream(ctx, name)
			if err != nil {
				why = err.Error()
				return false
			}
			info, err := st.Info(ctx)
			if err != nil || info.Cluster == nil {
				why = fmt.Sprint("stream info: ", err)
				return false
			}
			if info.Cluster.Leader == n.name {
				why = "leader again"
			} else {
				why = "not among the replicas"
				for _, r := range info.Cluster.Replicas {
					if r.Name == n.name {
						why = fmt.Sprintf("replica current=%v lag=%d", r.Current, r.Lag)
						if !r.Current || r.Lag != 0 {
							return false
						}
					}
				}
				if strings.HasPrefix(why, "not") {
					return false
				}
			}
			own := localStreamState(t, n, name)
			if own.LastSeq != info.State.LastSeq || own.Msgs != info.State.Msgs {
				why = fmt.Sprintf("%s holds %d msgs up to seq %d, the stream %d up to %d",
					n.name, own.Msgs, own.LastSeq, info.State.Msgs, info.State.LastSeq)
				return false
			}
			return true
		}, fmt.Sprintf("%s to catch up on %s (%s)", n.name, name, why))
		t.Logf("%s caught up on %s (%s)", n.name, name, why)
	}
}

// localState is a stream's state as one server holds it.
type localState struct {
	Msgs    uint64 `json:"messages"`
	LastSeq uint64 `json:"last_seq"`
}

// jsz is the part of /jsz?acc=...&consumers=true that KEDA and these tests
// read.
type jsz struct {
	Accounts []struct {
		Name    string `json:"name"`
		Streams []struct {
			Name      string     `json:"name"`
			State     localState `json:"state"`
			Consumers []struct {
				Name          string `json:"name"`
				NumPending    int64  `json:"num_pending"`
				NumAckPending int64  `json:"num_ack_pending"`
				Cluster       struct {
					Leader string `json:"leader"`
				} `json:"cluster"`
			} `json:"consumer_detail"`
		} `json:"stream_detail"`
	} `json:"account_details"`
}

// localStreamState reads stream name's state from n's own monitoring
// endpoint.
func localStreamState(t testing.TB, n *node, name string) localState {
	t.Helper()
	var j jsz
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/jsz?acc=%s&streams=true", n.http, natsAccount), &j)
	for _, a := range j.Accounts {
		for _, s := range a.Streams {
			if s.Name == name {
				return s.State
			}
		}
	}
	return localState{}
}

// kedaLag is the number KEDA's nats-jetstream scaler computes with the
// ScaledObject's account, stream and consumer: pending plus ack-pending,
// read from the consumer leader's /jsz. It fails when the consumer cannot
// be found there, as the scaler would.
func kedaLag(t testing.TB, c *cluster, stream, durable string) int64 {
	t.Helper()
	url := "http://127.0.0.1:%d/jsz?acc=" + natsAccount + "&consumers=true&config=true"
	for _, n := range c.nodes {
		var j jsz
		getJSON(t, fmt.Sprintf(url, n.http), &j)
		for _, a := range j.Accounts {
			for _, s := range a.Streams {
				for _, cons := range s.Consumers {
					if a.Name == natsAccount && s.Name == stream && cons.Name == durable && cons.Cluster.Leader == n.name {
						return cons.NumPending + cons.NumAckPending
					}
				}
			}
		}
	}
	t.Fatalf("KEDA would not find consumer %s on stream %s in account %s on any node", durable, stream, natsAccount)
	return 0
}

// runSubmit runs compose's one-shot client command line (the submit
// service) against the cluster.
func runSubmit(t testing.TB, c *cluster, certs string, extra ...string) (string, error) {
	t.Helper()
	s := mustCompose(t).Services["submit"]
	return runWorkerCmd(t, composeWorkerEnv(t, "submit", c, certs), append(append([]string{}, s.Command...), extra...)...)
}
