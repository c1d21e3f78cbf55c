package deploy

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Test passwords, handed to the servers through the environment exactly as
// deploy/nats/accounts.conf reads them.
const (
	workerPassword = "worker-test-pw"
	clientPassword = "client-test-pw"
	adminPassword  = "admin-test-pw"
)

// repoRoot is the orcd checkout (deploy/ is one level down).
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sharedFile returns a file under ../shared/testdata, failing (never
// skipping) when it is missing.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("missing shared test file %s: %v", p, err)
	}
	return p
}

// binaries are built once per test process.
var (
	binMu    sync.Mutex
	binDir   string
	binBuilt = map[string]string{}
)

// buildBinary runs go build for pkg (run in dir) into a per-process
// directory and returns the binary's path.
func buildBinary(t testing.TB, name, dir, pkg string, env ...string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := binBuilt[name]; ok {
		return p
	}
	if binDir == "" {
		d, err := os.MkdirTemp("", "orcd-deploy-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	out := filepath.Join(binDir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	binBuilt[name] = out
	return out
}

// natsServerBin is the real nats-server, built from the version go.mod pins.
func natsServerBin(t testing.TB) string {
	return buildBinary(t, "nats-server", ".", "github.com/nats-io/nats-server/v2")
}

// workerBin is orcd's worker binary.
func workerBin(t testing.TB) string {
	return buildBinary(t, "worker", repoRoot(t), "./cmd/worker")
}

// freePorts reserves n distinct loopback ports. They are released before
// use, so a clash is possible but unlikely.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// makeCerts runs deploy/nats/gen-certs.sh into a fresh directory.
func makeCerts(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	cmd := exec.Command("sh", "nats/gen-certs.sh", dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen-certs.sh: %v\n%s", err, b)
	}
	for _, f := range []string{"ca.pem", "server-cert.pem", "server-key.pem", "client-cert.pem", "client-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("gen-certs.sh did not make %s: %v", f, err)
		}
	}
	return dir
}

// serverEnv is the environment accounts.conf reads its passwords from.
func serverEnv() []string {
	return append(os.Environ(),
		"ORCD_WORKER_PASSWORD="+workerPassword,
		"ORCD_CLIENT_PASSWORD="+clientPassword,
		"ORCD_ADMIN_PASSWORD="+adminPassword,
	)
}

// replaceAll replaces old by new in s, failing when old does not occur, so
// that a config whose shape changed breaks the test instead of silently
// keeping a container path or port.
func replaceAll(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("config rewrite: %q not found", old)
	}
	return strings.ReplaceAll(s, old, new)
}

// node is one nats-server process of a test cluster.
type node struct {
	name                string
	conf                string // rewritten config file
	client, route, http int    // ports
	cmd                 *exec.Cmd
	log                 *lockedWriter
	done                chan struct{}
}

// cluster is three nats-server processes from deploy/nats/nats-N.conf.
type cluster struct {
	t       testing.TB
	bin     string
	certDir string
	nodes   []*node
}

// startCluster rewrites the three node configs to loopback ports and
// temporary directories and starts them as a cluster.
func startCluster(t testing.TB, certDir string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: natsServerBin(t), certDir: certDir}
	c.writeConfigs()
	for _, n := range c.nodes {
		c.start(n)
	}
	t.Cleanup(c.stopAll)
	for _, n := range c.nodes {
		c.waitHealthy(n, 30*time.Second)
	}
	return c
}

// writeConfigs makes c.nodes from deploy/nats/nats-N.conf: container ports
// become free loopback ports, host names 127.0.0.1, /etc/nats/certs the
// test's certificates and /data a temporary directory per node.
func (c *cluster) writeConfigs() {
	t := c.t
	t.Helper()
	ports := freePorts(t, 9)
	dir := t.TempDir()
	accounts, err := os.ReadFile("nats/accounts.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.conf"), accounts, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c.nodes = append(c.nodes, &node{
			name:   fmt.Sprintf("nats-%d", i+1),
			client: ports[3*i], route: ports[3*i+1], http: ports[3*i+2],
		})
	}
	for i, n := range c.nodes {
		src, err := os.ReadFile(fmt.Sprintf("nats/nats-%d.conf", i+1))
		if err != nil {
			t.Fatal(err)
		}
		s := string(src)
		s = replaceAll(t, s, "listen: 0.0.0.0:4222", fmt.Sprintf("listen: 127.0.0.1:%d", n.client))
		s = replaceAll(t, s, "http: 0.0.0.0:8222", fmt.Sprintf("http: 127.0.0.1:%d", n.http))
		s = replaceAll(t, s, "listen: 0.0.0.0:6222", fmt.Sprintf("listen: 127.0.0.1:%d", n.route))
		for _, m := range c.nodes {
			s = replaceAll(t, s, "nats-route://"+m.name+":6222", fmt.Sprintf("nats-route://127.0.0.1:%d", m.route))
		}
		s = replaceAll(t, s, "/etc/nats/certs", c.certDir)
		s = replaceAll(t, s, "/data/jetstream", filepath.Join(dir, n.name, "jetstream"))
		n.conf = filepath.Join(dir, n.name+".conf")
		if err := os.WriteFile(n.conf, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// start launches n's nats-server process.
func (c *cluster) start(n *node) {
	c.t.Helper()
	n.log = &lockedWriter{}
	n.cmd = exec.Command(c.bin, "-c", n.conf)
	n.cmd.Env = serverEnv()
	n.cmd.Stdout = n.log
	n.cmd.Stderr = n.log
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", n.name, err)
	}
	n.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.done)
}

// kill SIGKILLs n and waits for it to exit.
func (c *cluster) kill(n *node) {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
	n.cmd = nil
}

func (c *cluster) stopAll() {
	for _, n := range c.nodes {
		c.kill(n)
	}
	if c.t.Failed() {
		for _, n := range c.nodes {
			c.t.Logf("--- %s log (tail) ---\n%s", n.name, tail(n.log, 3000))
		}
	}
}

// waitHealthy polls n's /healthz until JetStream reports healthy there.
func (c *cluster) waitHealthy(n *node, timeout time.Duration) {
	c.t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", n.http)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("%s not healthy after %v; log:\n%s", n.name, timeout, tail(n.log, 3000))
}

// clientURLs is every node's client URL, as a worker's --nats-url lists them.
func (c *cluster) clientURLs() string {
	var u []string
	for _, n := range c.nodes {
		u = append(u, fmt.Sprintf("tls://127.0.0.1:%d", n.client))
	}
	return strings.Join(u, ",")
}

// lockedWriter lets a process write its log while a test reads it.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func tail(l *lockedWriter, n int) string {
	if l == nil {
		return ""
	}
	s := l.String()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// withTimeout is a context bounded by d and the test's end.
func withTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
