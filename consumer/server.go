package consumer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig configures the embedded JetStream server that serve starts
// when no NATS URL is given.
type ServerConfig struct {
	DataDir string // JetStream file storage; created if missing
	Host    string // listen host, default 127.0.0.1
	Port    int    // 0: no listener (in-process connections only); -1: a random port
}

// DefaultDataDir is where an embedded server keeps its data when not told:
// the user's cache directory, so that queued jobs survive a restart.
func DefaultDataDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "orcd", "jetstream")
}

// StartServer runs a JetStream-enabled nats-server inside this process and
// waits until it accepts connections. Connect to it with
// ConnOptions{InProcess: srv}, or with srv.ClientURL() when it listens.
func StartServer(cfg ServerConfig) (*server.Server, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded nats: data dir: %w", err)
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	opts := &server.Options{
		ServerName: "orcd-embedded",
		Host:       host,
		Port:       cfg.Port,
		DontListen: cfg.Port == 0,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		NoSigs:     true,
		NoLog:      true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats: not ready after 10s")
	}
	return srv, nil
}
