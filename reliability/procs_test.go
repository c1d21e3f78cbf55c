package reliability

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sirupsen/logrus"
	"go.uber.org/goleak"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

const modelPath = "../../shared/testdata/models/stories260K.gguf"

// model is the name jobs address stories260K.gguf by.
const model = "stories260K"

var (
	binDir     string // built once per test binary
	workerBin  string
	natsBin    string
	buildOnce  sync.Once
	buildError error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orcd-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// binaries builds bin/worker and nats-server (from the module cache, the
// version go.mod requires) once for all tests.
func binaries(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(modelPath); err != nil {
		t.Fatalf("model %s missing: %v", modelPath, err)
	}
	buildOnce.Do(func() {
		workerBin, natsBin = filepath.Join(binDir, "worker"), filepath.Join(binDir, "nats-server")
		for _, b := range [][]string{{workerBin, "github.com/orcd/orcd/cmd/worker"}, {natsBin, "github.com/nats-io/nats-server/v2"}} {
			out, err := exec.Command(goTool(), "build", "-o", b[0], b[1]).CombinedOutput()
			if err != nil {
				buildError = fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
				return
			}
		}
	})
	if buildError != nil {
		t.Fatal(buildError)
	}
}

// goTool is the go command that runs these tests, even when it is not on PATH.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a child process with its output kept for the test's log.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s output ---\n%s", name, tail(p.out.String(), 4000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits up to d for a clean exit.
func (p *proc) stop(d time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.kill()
		return fmt.Errorf("%s did not stop within %s", p.name, d)
	}
}

// exited waits up to d for the process to end by itself.
func (p *proc) exited(d time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// natsServer is a nats-server process with JetStream on file storage.
type natsServer struct {
	*proc
	url, conf string
	port      int
}

// startNATS runs nats-server on port with its store in dir; extra is added
// to the configuration file (e.g. "max_payload: 4096").
func startNATS(t *testing.T, dir string, port int, extra string) *natsServer {
	t.Helper()
	binaries(t)
	conf := filepath.Join(dir, "nats.conf")
	body := fmt.Sprintf("listen: 127.0.0.1:%d\njetstream { store_dir: %q }\n%s\n", port, filepath.Join(dir, "js"), extra)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &natsServer{url: fmt.Sprintf("nats://127.0.0.1:%d", port), conf: conf, port: port}
	s.proc = start(t, "nats-server", nil, natsBin, "-c", conf)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nats-server on %d never listened:\n%s", port, s.out.String())
	return nil
}

// restart starts the server again on the same port and store.
func (s *natsServer) restart(t *testing.T) {
	t.Helper()
	n := startNATS(t, filepath.Dir(s.conf), s.port, "")
	s.proc = n.proc
}

// workerOpts are the flags of a test worker: short AckWait so that a dead
// worker's job comes back within seconds.
type workerOpts struct {
	id    string
	env   []string // e.g. test hooks (consumer/testhooks.go)
	extra []string
}

func startWorker(t *testing.T, natsURL string, o workerOpts) *proc {
	t.Helper()
	binaries(t)
	args := []string{"serve", "--nats-url", natsURL, "--model", modelPath, "--worker-id", o.id,
		"--threads", "1", "--ack-wait", "2s", "--heartbeat", "250ms", "--grace", "5s", "--log-format", "json"}
	args = append(args, o.extra...)
	return start(t, "worker "+o.id, o.env, workerBin, args...)
}

// connect returns a client on natsURL that reconnects forever.
func connect(t *testing.T, natsURL string) (*nats.Conn, *client.Client) {
	t.Helper()
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := consumer.Connect(ctx, consumer.ConnOptions{URL: natsURL, Name: t.Name()}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := client.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, c
}

// waitWorkers waits until every id is listed as healthy.
func waitWorkers(t *testing.T, c *client.Client, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ws, _ := c.Workers(context.Background())
		seen := 0
		for _, w := range ws {
			for _, id := range ids {
				if w.WorkerID == id && w.Healthy {
					seen++
				}
			}
		}
		if seen == len(ids) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("workers %v never all showed up", ids)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// storyJob is a deterministic job: same seed, same text on any worker.
func storyJob(id string, maxTokens int) *client.Job {
	seed := uint64(42)
	return &client.Job{JobID: id, Prompt: "Once upon a time", MaxTokens: maxTokens, Seed: &seed}
}

// reference runs a job like storyJob alone and returns its text: what a
// single worker produces for this seed.
func reference(t *testing.T, c *client.Client, id string, maxTokens int) string {
	t.Helper()
	run, err := c.Submit(ctxT(t, 60*time.Second), model, storyJob(id, maxTokens))
	if err != nil {
		t.Fatal(err)
	}
	end, err := run.Wait()
	if err != nil || end.Type != consumer.EventEnd {
		t.Fatalf("reference job: %+v %v", end, err)
	}
	return run.Text()
}

// logLines are the worker's JSON log lines that contain all of words.
func logLines(p *proc, words ...string) []string {
	var out []string
	for _, l := range strings.Split(p.out.String(), "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok && l != "" {
			out = append(out, l)
		}
	}
	return out
}
