package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"

	"github.com/orcd/orcd/consumer"
)

// TestNATSConfigsParse checks every deploy/nats/*.conf with the real
// server: the files as shipped parse, and each node config, rewritten to
// loopback ports and the certificates gen-certs.sh makes, passes
// nats-server's own config test (-t), which also loads the certificates.
func TestNATSConfigsParse(t *testing.T) {
	files, err := filepath.Glob("nats/*.conf")
	if err != nil || len(files) != 4 {
		t.Fatalf("want accounts.conf and nats-1..3.conf, got %v (%v)", files, err)
	}
	for _, e := range serverEnv() {
		if k, v, _ := strings.Cut(e, "="); strings.HasPrefix(k, "ORCD_") {
			t.Setenv(k, v)
		}
	}
	for _, f := range files {
		if _, err := conf.ParseFileWithChecks(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	certs := makeCerts(t)
	bin := natsServerBin(t)
	for _, n := range writeClusterConfigs(t, certs) {
		cmd := exec.Command(bin, "-t", "-c", n.conf)
		cmd.Env = serverEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("nats-server -t -c %s: %v\n%s", n.name, err, out)
		}
	}
}

// TestNATSConfigNeedsPasswords: accounts.conf promises that a server with
// a password variable unset refuses to start rather than run open.
func TestNATSConfigNeedsPasswords(t *testing.T) {
	certs := makeCerts(t)
	n := writeClusterConfigs(t, certs)[0]
	var env []string
	for _, e := range serverEnv() {
		if !strings.HasPrefix(e, "ORCD_CLIENT_PASSWORD=") {
			env = append(env, e)
		}
	}
	cmd := exec.Command(natsServerBin(t), "-t", "-c", n.conf)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("config accepted without ORCD_CLIENT_PASSWORD:\n%s", out)
	}
	if !strings.Contains(string(out), "ORCD_CLIENT_PASSWORD") {
		t.Errorf("error does not name the missing variable:\n%s", out)
	}
}

// TestNATSConfigNamesMatchProtocol keeps accounts.conf in step with the
// consumer package: every stream and bucket the default prefix uses is
// granted, and no grant names a stream or bucket orcd does not have.
func TestNATSConfigNamesMatchProtocol(t *testing.T) {
	b, err := os.ReadFile("nats/accounts.conf")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	s := consumer.NewSubjects("")
	known := []string{s.JobsStream(), s.EventsStream(), s.DeadLetterStream(),
		"KV_" + s.CancelBucket(), "KV_" + s.StateBucket(), "KV_" + s.WorkersBucket()}
	for _, name := range known {
		if !strings.Contains(text, "$JS.API.STREAM.INFO."+name+`"`) {
			t.Errorf("accounts.conf grants no STREAM.INFO on %s", name)
		}
	}
	grants := regexp.MustCompile(`\$JS\.API\.[A-Z.]+?\.((?:KV_)?ORCD_[A-Z_]+)`).FindAllStringSubmatch(text, -1)
	if len(grants) < 20 {
		t.Fatalf("found only %d JetStream API grants in accounts.conf", len(grants))
	}
	for _, m := range grants {
		if !slices.Contains(known, m[1]) {
			t.Errorf("accounts.conf names %s, which orcd does not use", m[1])
		}
	}
	for _, subj := range []string{s.AllJobs(), s.AllEvents(), s.AllDeadLetters(), s.Cancel(">"), s.Heartbeat("*")} {
		if !strings.Contains(text, `"`+subj+`"`) {
			t.Errorf("accounts.conf has no permission on %s", subj)
		}
	}
}

// writeClusterConfigs writes the three rewritten node configs without
// starting them.
func writeClusterConfigs(t testing.TB, certDir string) []*node {
	t.Helper()
	c := &cluster{t: t, certDir: certDir}
	c.writeConfigs()
	return c.nodes
}
