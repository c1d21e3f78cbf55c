package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"golang.org/x/mod/modfile"
)

const composeFile = "docker/compose.yaml"

// loadCompose loads deploy/docker/compose.yaml the way `docker compose`
// does (compose-go: schema validation, anchors and merges, interpolation,
// path resolution), with env as the shell environment.
func loadCompose(t testing.TB, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithEnv(env), cli.WithWorkingDirectory("docker"), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// composePasswords is the environment the compose file needs.
func composePasswords() []string {
	return []string{
		"ORCD_WORKER_PASSWORD=" + workerPassword,
		"ORCD_CLIENT_PASSWORD=" + clientPassword,
		"ORCD_ADMIN_PASSWORD=" + adminPassword,
	}
}

func mustCompose(t testing.TB) *types.Project {
	t.Helper()
	p, err := loadCompose(t, composePasswords())
	if err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	return p
}

// TestComposeFile validates the compose file and checks that it describes
// what deploy/README.md says: three NATS nodes from deploy/nats with the
// server version the tests run, two workers on the CPU image running the
// command the tests run, and a one-shot client.
func TestComposeFile(t *testing.T) {
	if _, err := loadCompose(t, nil); err == nil || !strings.Contains(err.Error(), "ORCD_WORKER_PASSWORD") {
		t.Errorf("compose without passwords: want an error naming ORCD_WORKER_PASSWORD, got %v", err)
	}
	p := mustCompose(t)
	root := repoRoot(t)
	natsDir := filepath.Join(root, "deploy", "nats")

	wantImage := "nats:" + strings.TrimPrefix(natsServerVersion(t), "v") + "-alpine"
	for i, name := range []string{"nats-1", "nats-2", "nats-3"} {
		s, ok := p.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if s.Image != wantImage {
			t.Errorf("%s: image %s, want %s (the server the tests run)", name, s.Image, wantImage)
		}
		conf := "/etc/nats/nats-" + string(rune('1'+i)) + ".conf"
		if !slices.Equal(s.Command, []string{"-c", conf}) {
			t.Errorf("%s: command %q, want [-c %s]", name, s.Command, conf)
		}
		if src := mountSource(s, "/etc/nats"); src != natsDir {
			t.Errorf("%s: /etc/nats is %q, want %s", name, src, natsDir)
		}
		if mountSource(s, "/data") == "" {
			t.Errorf("%s: no /data volume for JetStream", name)
		}
		for _, v := range []string{"ORCD_WORKER_PASSWORD", "ORCD_CLIENT_PASSWORD", "ORCD_ADMIN_PASSWORD"} {
			if s.Environment[v] == nil {
				t.Errorf("%s: %s not passed to the server", name, v)
			}
		}
	}

	entry, cmd, _ := imageCommand(t, "docker/Dockerfile.cpu")
	ids := map[string]bool{}
	for _, name := range []string{"worker-1", "worker-2"} {
		s, ok := p.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if s.Build == nil || filepath.Join(s.Build.Context, s.Build.Dockerfile) != filepath.Join(root, "deploy/docker/Dockerfile.cpu") {
			t.Errorf("%s: build %+v, want the repository root with deploy/docker/Dockerfile.cpu", name, s.Build)
		}
		if !slices.Equal(s.Command, cmd) || len(s.Entrypoint) != 0 {
			t.Errorf("%s: runs %q %q, want the image's %q %q", name, s.Entrypoint, s.Command, entry, cmd)
		}
		env := envOf(s)
		ids[env["ORCD_WORKER_ID"]] = true
		if env["ORCD_NATS_USER"] != "worker" || env["ORCD_NATS_PASSWORD"] != workerPassword {
			t.Errorf("%s: connects as %q, want the worker role", name, env["ORCD_NATS_USER"])
		}
		checkFileInMount(t, s, env["ORCD_TLS_CA"], filepath.Join(natsDir, "certs"))
		checkFileInMount(t, s, env["ORCD_MODEL"], filepath.Join(root, "..", "shared", "testdata", "models"))
		grace, err := time.ParseDuration(env["ORCD_GRACE"])
		if err != nil {
			t.Errorf("%s: ORCD_GRACE %q: %v", name, env["ORCD_GRACE"], err)
		}
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < grace+10*time.Second {
			t.Errorf("%s: stop_grace_period %v must exceed the drain grace %v by 10s or more", name, s.StopGracePeriod, grace)
		}
		if s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, append([]string{"CMD"}, append(entry, "health")...)) {
			t.Errorf("%s: healthcheck %+v, want CMD %s health", name, s.HealthCheck, entry[0])
		}
	}
	if len(ids) != 2 || ids[""] {
		t.Errorf("workers need distinct ORCD_WORKER_IDs, got %v", ids)
	}

	s, ok := p.Services["submit"]
	if !ok {
		t.Fatal("no submit service")
	}
	if len(s.Command) == 0 || s.Command[0] != "submit" || s.Restart != "no" {
		t.Errorf("submit: command %q restart %q, want a one-shot `worker submit`", s.Command, s.Restart)
	}
	if env := envOf(s); env["ORCD_NATS_USER"] != "client" {
		t.Errorf("submit: connects as %q, want the client role", env["ORCD_NATS_USER"])
	}
}

// envOf flattens a service's environment.
func envOf(s types.ServiceConfig) map[string]string {
	m := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

// mountSource is the host path mounted at target, "" if none.
func mountSource(s types.ServiceConfig, target string) string {
	for _, v := range s.Volumes {
		if v.Target == target {
			return v.Source
		}
	}
	return ""
}

// checkFileInMount: path (inside the container) lies under a read-only
// mount of hostDir, and the file exists there on this machine.
func checkFileInMount(t *testing.T, s types.ServiceConfig, path, hostDir string) {
	t.Helper()
	for _, v := range s.Volumes {
		if rel, ok := strings.CutPrefix(path, v.Target+"/"); ok && v.Source == filepath.Clean(hostDir) {
			if !v.ReadOnly {
				t.Errorf("%s: %s is mounted writable", s.Name, v.Target)
			}
			if strings.Contains(hostDir, "certs") {
				return // made by gen-certs.sh before `compose up`
			}
			if _, err := os.Stat(filepath.Join(hostDir, rel)); err != nil {
				t.Errorf("%s: %s: %v", s.Name, path, err)
			}
			return
		}
	}
	t.Errorf("%s: %q is not under a mount of %s", s.Name, path, hostDir)
}

// natsServerVersion is the nats-server version the tests build and run:
// the one deploy/go.mod pins.
func natsServerVersion(t testing.TB) string {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.ParseLax("go.mod", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mf.Require {
		if r.Mod.Path == "github.com/nats-io/nats-server/v2" {
			return r.Mod.Version
		}
	}
	t.Fatal("deploy/go.mod does not require nats-server")
	return ""
}
