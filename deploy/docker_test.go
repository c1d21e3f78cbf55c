package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	"golang.org/x/mod/modfile"
)

var dockerfiles = []string{"docker/Dockerfile.cpu", "docker/Dockerfile.cuda"}

// offlineResolver answers BuildKit's base-image lookups with a minimal
// linux/amd64 image config, so that linting never reaches a registry.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, "", []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}`), nil
}

// TestDockerfilesLint runs BuildKit's Dockerfile linter, the checks behind
// `docker build --check`, on both Dockerfiles: no warning and no error.
func TestDockerfilesLint(t *testing.T) {
	for _, f := range dockerfiles {
		dt, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
			SourceMap:    &llb.SourceMap{Filename: f, Data: dt, Definition: &llb.Definition{}},
			MetaResolver: offlineResolver{},
		})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if res.Error != nil {
			t.Errorf("%s: %s", f, res.Error.Message)
		}
		for _, w := range res.Warnings {
			line := 0
			if w.Location != nil && len(w.Location.Ranges) > 0 {
				line = int(w.Location.Ranges[0].Start.Line)
			}
			t.Errorf("%s:%d: %s: %s", f, line, w.RuleName, w.Detail)
		}
	}
}

// stages parses a Dockerfile into its build stages.
func stages(t testing.TB, file string) []instructions.Stage {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ast, err := parser.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	st, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return st
}

// imageCommand is the final stage's ENTRYPOINT and CMD (exec form) and its
// USER.
func imageCommand(t testing.TB, file string) (entrypoint, cmd []string, user string) {
	t.Helper()
	st := stages(t, file)
	for _, c := range st[len(st)-1].Commands {
		switch c := c.(type) {
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Errorf("%s: ENTRYPOINT in shell form (signals would go to the shell)", file)
			}
			entrypoint = c.CmdLine
		case *instructions.CmdCommand:
			if c.PrependShell {
				t.Errorf("%s: CMD in shell form", file)
			}
			cmd = c.CmdLine
		case *instructions.UserCommand:
			user = c.User
		}
	}
	return entrypoint, cmd, user
}

// TestDockerImages checks what the images promise: the worker binary as
// entrypoint, `serve` as the command the tests run, a non-root user, a Go
// builder matching go.mod, the CUDA image on NVIDIA's runtime base with the
// library from a builder stage.
func TestDockerImages(t *testing.T) {
	goMinor := goMinorVersion(t)
	for _, f := range dockerfiles {
		entry, cmd, user := imageCommand(t, f)
		if !slices.Equal(entry, []string{"/usr/local/bin/worker"}) {
			t.Errorf("%s: ENTRYPOINT %q, want [/usr/local/bin/worker]", f, entry)
		}
		if !slices.Equal(cmd, workerServeArgs) {
			t.Errorf("%s: CMD %q, want %q (what the cluster tests run)", f, cmd, workerServeArgs)
		}
		if user == "" || user == "root" || strings.HasPrefix(user, "0:") || user == "0" {
			t.Errorf("%s: runs as %q, want a non-root user", f, user)
		}
		st := stages(t, f)
		for _, s := range st {
			if strings.HasPrefix(s.BaseName, "golang:") && !strings.HasPrefix(s.BaseName, "golang:"+goMinor+"-") {
				t.Errorf("%s: builder %s, want golang:%s-* as go.mod says", f, s.BaseName, goMinor)
			}
		}
		final := st[len(st)-1].BaseName
		switch f {
		case "docker/Dockerfile.cpu":
			if !strings.Contains(final, "distroless/static") {
				t.Errorf("%s: final base %s, want a distroless static image", f, final)
			}
		case "docker/Dockerfile.cuda":
			if !regexp.MustCompile(`^nvidia/cuda:\$\{CUDA_VERSION\}-runtime-`).MatchString(final) {
				t.Errorf("%s: final base %s, want nvidia/cuda:<version>-runtime-*", f, final)
			}
			checkCUDABuildStage(t, f, st)
		}
	}
}

// workerServeArgs is the command line (after the binary) of every worker
// the cluster tests start, and the images' CMD.
var workerServeArgs = []string{"serve"}

// checkCUDABuildStage: a devel-image stage builds the library with the
// cuda/ Makefile, and the final stage copies the file that Makefile makes.
func checkCUDABuildStage(t *testing.T, f string, st []instructions.Stage) {
	var builder *instructions.Stage
	for i := range st {
		if strings.HasPrefix(st[i].BaseName, "nvidia/cuda:") && strings.Contains(st[i].BaseName, "-devel-") {
			builder = &st[i]
		}
	}
	if builder == nil {
		t.Fatalf("%s: no nvidia/cuda devel builder stage", f)
	}
	var makeArgs []string
	for _, c := range builder.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.HasPrefix(strings.Join(r.CmdLine, " "), "make ") {
			makeArgs = strings.Fields(strings.Join(r.CmdLine, " "))[1:]
		}
	}
	if makeArgs == nil {
		t.Fatalf("%s: the CUDA builder stage runs no make", f)
	}
	// Ask the real cuda/Makefile (dry run, no nvcc needed) what it would build.
	for i, a := range makeArgs {
		makeArgs[i] = strings.ReplaceAll(a, "${CUDA_ARCH}", "sm_90")
	}
	cmd := exec.Command("make", append([]string{"-n", "-C", filepath.Join(repoRoot(t), "cuda"), "NVCC=nvcc"}, makeArgs...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %v in cuda/: %v\n%s", makeArgs, err, out)
	}
	var copied string
	for _, c := range st[len(st)-1].Commands {
		if cp, ok := c.(*instructions.CopyCommand); ok && cp.From == builder.Name {
			copied = cp.SourcePaths[0]
		}
	}
	if copied == "" || !strings.Contains(string(out), "-o "+copied+" ") {
		t.Errorf("%s: final stage copies %q from %s, but cuda/Makefile builds:\n%s", f, copied, builder.Name, out)
	}
}

// goMinorVersion is "1.26" from go.mod's go directive.
func goMinorVersion(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.ParseLax("go.mod", b, nil)
	if err != nil || mf.Go == nil {
		t.Fatalf("go.mod: %v", err)
	}
	parts := strings.Split(mf.Go.Version, ".")
	return parts[0] + "." + parts[1]
}

// TestDockerCPUBuildIsStatic runs the CPU image's go build line here and
// checks that the result is a static binary (no interpreter, no shared
// libraries), as the distroless static base requires.
func TestDockerCPUBuildIsStatic(t *testing.T) {
	var line string
	for _, c := range stages(t, "docker/Dockerfile.cpu")[0].Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			line = strings.Join(r.CmdLine, " ")
		}
	}
	if line == "" {
		t.Fatal("Dockerfile.cpu builds nothing with go build")
	}
	out := filepath.Join(t.TempDir(), "worker")
	line = strings.ReplaceAll(line, "/out/worker", out)
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = repoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has an ELF interpreter: not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v: not static", libs)
	}
}

// TestDockerIgnoreKeepsSources: the .dockerignore next to each Dockerfile
// must not drop a package the worker is built from.
func TestDockerIgnoreKeepsSources(t *testing.T) {
	root := repoRoot(t)
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./cmd/worker")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var dirs []string
	for _, d := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, d); err == nil && !strings.HasPrefix(rel, "..") {
			dirs = append(dirs, rel)
		}
	}
	if len(dirs) < 2 {
		t.Fatalf("go list found only %v", dirs)
	}
	for _, f := range dockerfiles {
		r, err := os.Open(f + ".dockerignore")
		if err != nil {
			t.Fatal(err)
		}
		pats, err := ignorefile.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		pm, err := patternmatcher.New(pats)
		if err != nil {
			t.Fatal(err)
		}
		need := append([]string{"go.mod", "go.sum"}, dirs...)
		if strings.HasSuffix(f, "cuda") {
			need = append(need, "cuda/Makefile", "cuda/include/orcd_backend.h")
		}
		for _, p := range need {
			if skip, _ := pm.MatchesOrParentMatches(filepath.ToSlash(p)); skip {
				t.Errorf("%s.dockerignore drops %s, which the build needs", f, p)
			}
		}
	}
}
