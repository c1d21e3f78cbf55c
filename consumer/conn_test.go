package consumer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConnOptionsErrors(t *testing.T) {
	if _, err := (ConnOptions{TLSCert: "c.pem"}).Options(nil); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("cert without key: %v", err)
	}
	if _, err := (ConnOptions{NKey: filepath.Join(t.TempDir(), "missing.nk")}).Options(nil); err == nil {
		t.Error("missing nkey file accepted")
	}
	opts, err := ConnOptions{User: "u", Password: "p", Creds: "x.creds", TLSCA: "ca.pem"}.Options(nil)
	if err != nil || len(opts) < 7 {
		t.Errorf("user, creds and CA: %d options, %v", len(opts), err)
	}
}

// Connect retries the first connection until ctx ends, then says where it
// tried to go.
func TestConnectGivesUpWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	_, err := Connect(ctx, ConnOptions{URL: "nats://127.0.0.1:1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("err = %v", err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	if d := DefaultDataDir(); !strings.HasSuffix(d, filepath.Join("orcd", "jetstream")) {
		t.Errorf("data dir %s", d)
	}
}
