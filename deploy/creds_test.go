package deploy

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// startSingleServer runs one nats-server process with JetStream and the
// given authentication block, on a free loopback port; it returns the URL.
func startSingleServer(t testing.TB, auth string) string {
	t.Helper()
	dir := t.TempDir()
	port := freePorts(t, 1)[0]
	conf := fmt.Sprintf("listen: 127.0.0.1:%d\njetstream { store_dir: %q }\n%s\n", port, filepath.Join(dir, "js"), auth)
	file := filepath.Join(dir, "server.conf")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &lockedWriter{}
	cmd := exec.Command(natsServerBin(t), "-c", file)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("--- nats-server log ---\n%s", tail(log, 3000))
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitFor(t, 10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, "nats-server to listen on "+addr)
	return "nats://" + addr
}

// writeSecret writes b to a 0600 file.
func writeSecret(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWorkerCredentials: besides user/password (the deploy configs), the
// worker and the client authenticate with an nkey seed file, with a client
// certificate (a server that requires one) and with a JWT credentials file
// (operator mode), each through its ORCD_* variables.
func TestWorkerCredentials(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")

	t.Run("nkey", func(t *testing.T) {
		user, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := user.PublicKey()
		seed, _ := user.Seed()
		url := startSingleServer(t, fmt.Sprintf("authorization { users: [ {nkey: %s} ] }", pub))
		checkServesWith(t, url, model, map[string]string{"ORCD_NATS_NKEY": writeSecret(t, "user.nk", seed)})
	})

	t.Run("tls-client-cert", func(t *testing.T) {
		certs := makeCerts(t)
		url := startSingleServer(t, fmt.Sprintf("tls { cert_file: %q, key_file: %q, ca_file: %q, verify: true }",
			filepath.Join(certs, "server-cert.pem"), filepath.Join(certs, "server-key.pem"), filepath.Join(certs, "ca.pem")))
		url = strings.Replace(url, "nats://", "tls://", 1)
		if nc, err := nats.Connect(url, nats.NoReconnect(), nats.RootCAs(filepath.Join(certs, "ca.pem"))); err == nil {
			nc.Close()
			t.Fatal("the server accepts clients without a certificate: the test would prove nothing")
		}
		checkServesWith(t, url, model, map[string]string{
			"ORCD_TLS_CA":   filepath.Join(certs, "ca.pem"),
			"ORCD_TLS_CERT": filepath.Join(certs, "client-cert.pem"),
			"ORCD_TLS_KEY":  filepath.Join(certs, "client-key.pem"),
		})
	})

	t.Run("creds", func(t *testing.T) {
		operator, _ := nkeys.CreateOperator()
		opub, _ := operator.PublicKey()
		ojwt, err := jwt.NewOperatorClaims(opub).Encode(operator)
		if err != nil {
			t.Fatal(err)
		}
		account, _ := nkeys.CreateAccount()
		apub, _ := account.PublicKey()
		ac := jwt.NewAccountClaims(apub)
		ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		ajwt, err := ac.Encode(operator)
		if err != nil {
			t.Fatal(err)
		}
		user, _ := nkeys.CreateUser()
		upub, _ := user.PublicKey()
		useed, _ := user.Seed()
		ujwt, err := jwt.NewUserClaims(upub).Encode(account)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := jwt.FormatUserConfig(ujwt, useed)
		if err != nil {
			t.Fatal(err)
		}
		// JetStream in operator mode needs a system account.
		sys, _ := nkeys.CreateAccount()
		spub, _ := sys.PublicKey()
		sjwt, err := jwt.NewAccountClaims(spub).Encode(operator)
		if err != nil {
			t.Fatal(err)
		}
		url := startSingleServer(t, fmt.Sprintf("operator: %s\nsystem_account: %s\nresolver: MEMORY\nresolver_preload: { %s: %s, %s: %s }",
			ojwt, spub, apub, ajwt, spub, sjwt))
		checkServesWith(t, url, model, map[string]string{"ORCD_NATS_CREDS": writeSecret(t, "user.creds", creds)})
	})
}

// checkServesWith starts a worker with the credential variables cred,
// waits for `worker health` (same credentials) and gets a job done with
// `worker submit` (same credentials); without them the server refuses.
func checkServesWith(t *testing.T, url, model string, cred map[string]string) {
	env := map[string]string{"ORCD_NATS_URL": url, "ORCD_MODEL": model, "ORCD_WORKER_ID": "w-" + t.Name()[len(t.Name())-4:]}
	if strings.HasPrefix(url, "nats://") {
		if nc, err := nats.Connect(url, nats.NoReconnect()); err == nil {
			nc.Close()
			t.Fatal("the server accepts clients without credentials: the test would prove nothing")
		} else if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Fatalf("no credentials: want an authorization error, got %v", err)
		}
	}
	for k, v := range cred {
		env[k] = v
	}
	w := launchWorker(t, env)
	waitReady(t, w, 60*time.Second)
	submitEnv := map[string]string{"ORCD_NATS_URL": url}
	for k, v := range cred {
		submitEnv[k] = v
	}
	out, err := runWorkerCmd(t, submitEnv, "submit", "--model", modelFileName(model), "--prompt", "Once", "--max-tokens", "8")
	if err != nil {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	if err := w.stop(t, 60*time.Second); err != nil {
		t.Errorf("worker exit %v after SIGTERM", err)
	}
}
