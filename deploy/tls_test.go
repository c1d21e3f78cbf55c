package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

// TestTLS checks the TLS claims of deploy/nats on a running cluster made
// from the certificates gen-certs.sh produces: clients must use TLS and
// trust the CA, a client certificate is accepted, and every route is
// mutual TLS.
func TestTLS(t *testing.T) {
	certs := makeCerts(t)
	c := startCluster(t, certs)
	n := c.nodes[0]

	plain := fmt.Sprintf("nats://127.0.0.1:%d", n.client)
	if nc, err := nats.Connect(plain, nats.UserInfo("admin", adminPassword), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Error("a client without TLS was accepted")
	}

	foreign := makeCerts(t) // another throwaway CA
	tlsURL := fmt.Sprintf("tls://127.0.0.1:%d", n.client)
	if nc, err := nats.Connect(tlsURL, nats.UserInfo("admin", adminPassword), nats.NoReconnect(),
		nats.RootCAs(filepath.Join(foreign, "ca.pem"))); err == nil {
		nc.Close()
		t.Error("a client trusting another CA accepted the server's certificate")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted server: want a certificate error, got %v", err)
	}

	pc := connect(t, tlsURL, certs, "admin", adminPassword,
		nats.ClientCert(filepath.Join(certs, "client-cert.pem"), filepath.Join(certs, "client-key.pem")))
	if !pc.TLSRequired() {
		t.Error("connection does not report TLS")
	}
	if _, err := pc.TLSConnectionState(); err != nil {
		t.Errorf("no TLS state: %v", err)
	}

	for _, n := range c.nodes {
		var varz struct {
			Cluster struct {
				TLSRequired bool `json:"tls_required"`
				TLSVerify   bool `json:"tls_verify"`
			} `json:"cluster"`
			TLSRequired bool `json:"tls_required"`
		}
		getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/varz", n.http), &varz)
		if !varz.TLSRequired || !varz.Cluster.TLSRequired || !varz.Cluster.TLSVerify {
			t.Errorf("%s: client TLS %v, route TLS %v, route verify %v; want all true",
				n.name, varz.TLSRequired, varz.Cluster.TLSRequired, varz.Cluster.TLSVerify)
		}
		var routez struct {
			Routes []struct {
				RemoteName string `json:"remote_name"`
			} `json:"routes"`
		}
		getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/routez", n.http), &routez)
		peers := map[string]bool{}
		for _, r := range routez.Routes {
			peers[r.RemoteName] = true
		}
		if len(peers) != 2 {
			t.Errorf("%s: routed to %v, want the two other nodes", n.name, peers)
		}
	}
}

// getJSON decodes the JSON document at url into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
