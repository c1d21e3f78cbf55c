package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workerProc is one `worker` process.
type workerProc struct {
	id   string
	env  map[string]string // ORCD_* settings, shared by its health probe
	cmd  *exec.Cmd
	log  *lockedWriter
	done chan struct{}
	err  error // exit status, once done is closed
}

// composeWorkerEnv is the environment compose.yaml gives worker-1, with
// the container's paths and host names rewritten for this machine: the
// cluster's loopback URLs, the test certificates, the shared models.
func composeWorkerEnv(t testing.TB, service string, c *cluster, certs string) map[string]string {
	t.Helper()
	s, ok := mustCompose(t).Services[service]
	if !ok {
		t.Fatalf("compose.yaml has no service %s", service)
	}
	env := envOf(s)
	models := filepath.Join(repoRoot(t), "..", "shared", "testdata", "models")
	for k, v := range env {
		switch {
		case k == "ORCD_NATS_URL":
			env[k] = c.clientURLs()
		case strings.HasPrefix(v, "/certs/"):
			env[k] = filepath.Join(certs, strings.TrimPrefix(v, "/certs/"))
		case strings.HasPrefix(v, "/models/"):
			env[k] = filepath.Join(models, strings.TrimPrefix(v, "/models/"))
			sharedFile(t, filepath.Join("models", strings.TrimPrefix(v, "/models/")))
		}
	}
	return env
}

// processEnv is this process's environment without ORCD_* variables, plus
// env.
func processEnv(env map[string]string) []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ORCD_") {
			out = append(out, e)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startWorker runs the image's command line (workerServeArgs) with
// compose's worker environment and id as its worker id. Heartbeats are
// sped up to 1s so that the health checks below settle quickly.
func startWorker(t testing.TB, c *cluster, certs, id string) *workerProc {
	t.Helper()
	env := composeWorkerEnv(t, "worker-1", c, certs)
	env["ORCD_WORKER_ID"] = id
	return launchWorker(t, env)
}

// launchWorker runs `worker serve` (the images' command) with env.
func launchWorker(t testing.TB, env map[string]string) *workerProc {
	t.Helper()
	id := env["ORCD_WORKER_ID"]
	env["ORCD_HEARTBEAT"] = "1s"
	w := &workerProc{id: id, env: env, log: &lockedWriter{}, done: make(chan struct{})}
	w.cmd = exec.Command(workerBin(t), workerServeArgs...)
	w.cmd.Env = processEnv(env)
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start worker %s: %v", id, err)
	}
	go func() { w.err = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		w.cmd.Process.Signal(syscall.SIGKILL)
		<-w.done
		if t.Failed() {
			t.Logf("--- worker %s log (tail) ---\n%s", id, tail(w.log, 4000))
		}
	})
	return w
}

// stop sends SIGTERM and waits for the worker to drain and exit.
func (w *workerProc) stop(t testing.TB, timeout time.Duration) error {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		return w.err
	case <-time.After(timeout):
		t.Fatalf("worker %s still running %v after SIGTERM", w.id, timeout)
		return nil
	}
}

// health runs `worker health` the way the readiness probe does: the
// worker's own environment, no arguments.
func health(t testing.TB, c *cluster, certs, id string) (string, error) {
	t.Helper()
	env := composeWorkerEnv(t, "worker-1", c, certs)
	env["ORCD_WORKER_ID"] = id
	return runWorkerCmd(t, env, "health")
}

// runWorkerCmd runs `worker args...` with env and returns its output.
func runWorkerCmd(t testing.TB, env map[string]string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, workerBin(t), args...)
	cmd.Env = processEnv(env)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitReady polls `worker health`, with the worker's own environment,
// until the worker reports ready.
func waitReady(t testing.TB, w *workerProc, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var out string
	for time.Now().Before(deadline) {
		var err error
		if out, err = runWorkerCmd(t, w.env, "health"); err == nil {
			return
		}
		select {
		case <-w.done:
			t.Fatalf("worker %s exited (%v) before it was ready:\n%s", w.id, w.err, tail(w.log, 4000))
		case <-time.After(250 * time.Millisecond):
		}
	}
	t.Fatalf("worker %s not ready after %v; last health check: %s", w.id, timeout, out)
}
