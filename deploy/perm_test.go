package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orcd/orcd/consumer"
)

// permConn is a connection that records the server's asynchronous
// permission errors, which is how NATS refuses a publish or subscribe.
type permConn struct {
	*nats.Conn
	mu   sync.Mutex
	errs []string
}

// connect opens a TLS connection to urls as user, trusting the test CA.
func connect(t testing.TB, urls, certDir, user, password string, extra ...nats.Option) *permConn {
	t.Helper()
	pc := &permConn{}
	opts := append([]nats.Option{
		nats.UserInfo(user, password),
		nats.RootCAs(filepath.Join(certDir, "ca.pem")),
		nats.Timeout(5 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			pc.mu.Lock()
			pc.errs = append(pc.errs, err.Error())
			pc.mu.Unlock()
		}),
	}, extra...)
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	pc.Conn = nc
	return pc
}

// refused reports whether the server refused verb ("Publish" or
// "Subscription") on subject. The server answers a PING after the errors
// for everything sent before it, so one flush settles the question; the
// short sleep lets nats.go hand the error to its async handler.
func (pc *permConn) refused(verb, subject string) bool {
	want := strings.ToLower("permissions violation for " + verb + ` to "` + subject + `"`)
	pc.FlushTimeout(5 * time.Second)
	time.Sleep(100 * time.Millisecond)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for _, e := range pc.errs {
		if strings.Contains(strings.ToLower(e), want) {
			return true
		}
	}
	return false
}

// TestPermissions proves the roles of deploy/nats/accounts.conf on a real
// three-node cluster: the worker role can set up and use everything a
// worker needs; the client role can submit, cancel and read, but can
// neither consume jobs nor publish heartbeats, events or registry entries.
func TestPermissions(t *testing.T) {
	certs := makeCerts(t)
	c := startCluster(t, certs)
	ctx := withTimeout(t, 60*time.Second)
	s := consumer.NewSubjects("")
	const model = "stories260K"

	// Worker role: the setup a worker does at start, then the jobs it takes.
	wc := connect(t, c.clientURLs(), certs, "worker", workerPassword)
	wjs, err := jetstream.New(wc.Conn)
	if err != nil {
		t.Fatal(err)
	}
	res, err := consumer.EnsureResources(ctx, wjs, s, consumer.StreamConfig{}, time.Minute)
	if err != nil {
		t.Fatalf("worker role cannot create the streams and buckets: %v", err)
	}
	durable, err := wjs.CreateOrUpdateConsumer(ctx, s.JobsStream(), jetstream.ConsumerConfig{
		Durable: s.Durable(model), FilterSubject: s.Jobs(model), AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatalf("worker role cannot create the jobs consumer: %v", err)
	}
	if _, err := res.Workers.Put(ctx, "w1", []byte(`{"worker_id":"w1"}`)); err != nil {
		t.Errorf("worker role cannot write the registry: %v", err)
	}
	if _, err := res.Cancel.Get(ctx, "nope"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("worker role cannot read cancels: %v", err)
	}

	// Client role: what it may do.
	cc := connect(t, c.clientURLs(), certs, "client", clientPassword)
	cjs, err := jetstream.New(cc.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := consumer.LookupResources(ctx, cjs, s); err != nil {
		t.Errorf("client role cannot bind to the streams and buckets: %v", err)
	}
	job, _ := json.Marshal(map[string]any{"job_id": "perm-1", "prompt": "Once", "max_tokens": 4})
	if _, err := cjs.Publish(ctx, s.Jobs(model), job, jetstream.WithMsgID("perm-1")); err != nil {
		t.Fatalf("client role cannot submit a job: %v", err)
	}
	if err := cc.Publish(s.Cancel("perm-1"), nil); err != nil || cc.refused("Publish", s.Cancel("perm-1")) {
		t.Errorf("client role cannot cancel: %v", err)
	}
	if _, err := cc.SubscribeSync(s.AllEvents()); err != nil || cc.refused("Subscription", s.AllEvents()) {
		t.Errorf("client role cannot read events: %v", err)
	}
	cworkers, err := cjs.KeyValue(ctx, s.WorkersBucket())
	if err != nil {
		t.Fatalf("client role cannot bind to the registry: %v", err)
	}
	if _, err := cworkers.Get(ctx, "w1"); err != nil {
		t.Errorf("client role cannot read the registry: %v", err)
	}

	// Client role: what it may not do.
	short := func() context.Context { return withTimeout(t, time.Second) }
	if _, err := cjs.CreateOrUpdateConsumer(short(), s.JobsStream(), jetstream.ConsumerConfig{
		Durable: "thief", AckPolicy: jetstream.AckExplicitPolicy,
	}); err == nil {
		t.Error("client role created a consumer on the jobs stream")
	}
	cdurable, err := cjs.Consumer(short(), s.JobsStream(), s.Durable(model))
	if err == nil {
		if batch, err := cdurable.Fetch(1, jetstream.FetchMaxWait(time.Second)); err == nil {
			for m := range batch.Messages() {
				t.Errorf("client role consumed job %q", m.Data())
			}
		}
	}
	if !cc.refused("Publish", "$JS.API.CONSUMER.CREATE."+s.JobsStream()+".thief") &&
		!cc.refused("Publish", "$JS.API.CONSUMER.DURABLE.CREATE."+s.JobsStream()+".thief") {
		t.Error("no permission error for the client's consumer create")
	}
	hb := s.Heartbeat("fake")
	cc.Publish(hb, []byte(`{"worker_id":"fake","healthy":true}`))
	if !cc.refused("Publish", hb) {
		t.Error("client role published a heartbeat")
	}
	ev := s.Events("perm-1")
	cc.Publish(ev, []byte(`{"type":"end","job_id":"perm-1"}`))
	if !cc.refused("Publish", ev) {
		t.Error("client role forged an event")
	}
	if _, err := cworkers.Put(short(), "fake", []byte(`{}`)); err == nil {
		t.Error("client role wrote the worker registry")
	}
	cc.SubscribeSync(s.AllJobs())
	if !cc.refused("Subscription", s.AllJobs()) {
		t.Error("client role subscribed to the jobs subjects")
	}

	// The job the client submitted is still there for the worker role.
	batch, err := durable.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		if err := m.Ack(); err != nil {
			t.Errorf("worker role cannot ack: %v", err)
		}
	}
	if got != 1 {
		t.Errorf("worker role fetched %d jobs, want the 1 the client submitted (%v)", got, batch.Error())
	}

	// Worker role: it takes jobs, it does not make them.
	wc.Publish(s.Jobs(model), job)
	if !wc.refused("Publish", s.Jobs(model)) {
		t.Error("worker role published a job")
	}
	if err := wjs.DeleteStream(short(), s.JobsStream()); err == nil {
		t.Error("worker role deleted the jobs stream")
	}

	// Admin: everything in the account; sys: the servers.
	ac := connect(t, c.clientURLs(), certs, "admin", adminPassword)
	ajs, err := jetstream.New(ac.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ajs.CreateStream(ctx, jetstream.StreamConfig{Name: "SCRATCH", Subjects: []string{"scratch.>"}}); err != nil {
		t.Errorf("admin cannot create a stream: %v", err)
	} else if err := ajs.DeleteStream(ctx, "SCRATCH"); err != nil {
		t.Errorf("admin cannot delete a stream: %v", err)
	}
	if _, err := ajs.Consumer(ctx, s.JobsStream(), s.Durable(model)); err != nil {
		t.Errorf("admin cannot inspect the jobs consumer: %v", err)
	}
	sc := connect(t, c.clientURLs(), certs, "sys", adminPassword)
	if m, err := sc.Request("$SYS.REQ.SERVER.PING", nil, 5*time.Second); err != nil || !strings.Contains(string(m.Data), `"server"`) {
		t.Errorf("sys user cannot ping the servers: %v", err)
	}
}
