package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
)

// startServe runs `worker serve` on the real engine against a NATS server
// listening on a random port, and returns its URL and a stop function.
func startServe(t *testing.T, model string, extra ...string) (url string, stop func()) {
	t.Helper()
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	url = srv.ClientURL()
	fs, f := newServeFlags(io.Discard)
	args := append([]string{"--model", model, "--nats-url", url, "--worker-id", "e2e", "--heartbeat", "200ms", "--threads", "2"}, extra...)
	if err := parseWithEnv(fs, args); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, f, log, io.Discard, io.Discard) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, out, _ := runWorker("workers", "--nats-url", url)
		if strings.Contains(out, "e2e") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker never listed; last listing:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return url, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// waitWorker polls `worker workers --json` until the one worker's
// heartbeat counts at least done jobs (heartbeats come from cached
// counters, so the first after the jobs may lag), and returns it.
func waitWorker(t *testing.T, url string, done uint64) consumer.Heartbeat {
	t.Helper()
	var ws []consumer.Heartbeat
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, _ := runWorker("workers", "--nats-url", url, "--json")
		err := json.Unmarshal([]byte(out), &ws)
		if code == 0 && err == nil && len(ws) == 1 && ws[0].JobsDone >= done {
			return ws[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers --json: exit %d %v %+v", code, err, ws)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The whole path on the real engine: serve, submit greedy over NATS, and
// the text equals llama.cpp's golden continuation.
func TestServeSubmitRealEngine(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	c := readGoldenPrompts(t, "stories260K.json").Cases[0]
	url, stop := startServe(t, model)
	defer stop()

	code, out, errOut := runWorker("submit", "--nats-url", url, "--model", model, "--prompt", c.Prompt,
		"--temperature", "0", "--max-tokens", "48")
	if code != 0 || out != c.GeneratedText+"\n" {
		t.Fatalf("submit: exit %d\nstdout %q\nwant   %q\nstderr %s", code, out, c.GeneratedText+"\n", errOut)
	}
	if !strings.Contains(errOut, "prompt tokens") {
		t.Errorf("no summary on stderr: %q", errOut)
	}

	// --json: one event per line, started first, end last, tokens in order.
	code, out, errOut = runWorker("submit", "--nats-url", url, "--model", "stories260K", "--prompt", c.Prompt,
		"--temperature", "0", "--max-tokens", "8", "--json", "--job-id", "e2e-json")
	if code != 0 {
		t.Fatalf("submit --json: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var first, last consumer.JobEvent
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if first.Type != "started" || first.WorkerID != "e2e" || first.Model != "stories260K" ||
		last.Type != "end" || last.TokensOut != 8 || last.TokensIn == 0 || last.Timings.DecodeTokS <= 0 {
		t.Errorf("events: first %+v last %+v", first, last)
	}

	// --watch replays the finished job.
	code, out, _ = runWorker("submit", "--nats-url", url, "--watch", "e2e-json", "--json")
	if code != 0 || strings.Count(out, "\n") != len(lines) {
		t.Errorf("watch: exit %d, %d lines, want %d", code, strings.Count(out, "\n"), len(lines))
	}

	// The model has no chat template: INVALID_REQUEST from the worker, exit 1.
	code, _, errOut = runWorker("submit", "--nats-url", url, "--model", "stories260K",
		"--messages", `[{"role":"user","content":"hi"}]`)
	if code != 1 || !strings.Contains(errOut, "INVALID_REQUEST") {
		t.Errorf("messages without template: exit %d, stderr %q", code, errOut)
	}
	// Out of range: refused before publishing, exit 2.
	code, _, errOut = runWorker("submit", "--nats-url", url, "--model", "stories260K", "--prompt", "x", "--temperature", "3")
	if code != 2 || !strings.Contains(errOut, "temperature") {
		t.Errorf("temperature 3: exit %d, stderr %q", code, errOut)
	}
	code, out, _ = runWorker("cancel", "--nats-url", url, "no-such-job")
	if code != 0 || !strings.Contains(out, "no-such-job") {
		t.Errorf("cancel: exit %d %q", code, out)
	}
	if w := waitWorker(t, url, 2); w.Model != "stories260K" || w.TokensGenerated < 56 || w.JobsFailed != 1 || w.Engine != "cpu" || !w.Healthy {
		t.Errorf("worker record %+v", w)
	}
}

func TestServeDemoRealEngine(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	code, out, errOut := runWorker("serve", "--model", model, "--demo", "Once upon a time", "--demo-max-tokens", "40",
		"--log-level", "warn", "--data-dir", t.TempDir())
	if code != 0 || !strings.HasPrefix(out, "Once upon a time") || len(out) < 60 {
		t.Fatalf("demo: exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}
}

// TestServeAutoSaysWhyNotCUDA: with --engine auto and a CUDA library that
// does not load, the worker runs on the CPU and its log says why, so that
// a user with a GPU learns the worker is not using it.
func TestServeAutoSaysWhyNotCUDA(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	lib := filepath.Join(t.TempDir(), "liborcd_cuda.so")
	code, out, errOut := runWorker("serve", "--model", model, "--demo", "Once upon a time", "--demo-max-tokens", "4",
		"--cuda-lib", lib, "--log-level", "info", "--data-dir", t.TempDir())
	if code != 0 || !strings.HasPrefix(out, "Once upon a time") {
		t.Fatalf("demo: exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "CUDA not used") || !strings.Contains(errOut, lib) || !strings.Contains(errOut, "engine=cpu") {
		t.Fatalf("the log does not say why CUDA was not used:\n%s", errOut)
	}
	code, _, errOut = runWorker("serve", "--model", model, "--demo", "x", "--demo-max-tokens", "1",
		"--engine", "cpu", "--cuda-lib", lib, "--log-level", "info", "--data-dir", t.TempDir())
	if code != 0 || strings.Contains(errOut, "CUDA not used") {
		t.Fatalf("--engine cpu: exit %d, and a CUDA note in its log:\n%s", code, errOut)
	}
}

func TestCLIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"submit", "--prompt", "x"},
		{"cancel"},
		{"cancel", "bad id"},
		{"serve", "--model", "m.gguf", "--log-format", "xml"},
	} {
		if code, _, _ := runWorker(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	t.Setenv("ORCD_SLOTS", "many")
	if code, _, errOut := runWorker("serve", "--model", "m.gguf"); code != 2 || !strings.Contains(errOut, "ORCD_SLOTS") {
		t.Errorf("bad ORCD_SLOTS: exit %d %q", code, errOut)
	}
}

func TestSubmitWithoutServer(t *testing.T) {
	code, _, errOut := runWorker("submit", "--nats-url", "nats://127.0.0.1:1", "--model", "m", "--prompt", "x", "--timeout", "1s")
	if code == 0 || !strings.Contains(errOut, "make run") {
		t.Errorf("no server: exit %d, stderr %q", code, errOut)
	}
}

// BenchmarkJobTokenPublish runs whole 256-token jobs on the real engine
// through NATS, with token events published asynchronously (the worker's
// way) and synchronously (one acked publish per token), in the same run.
// ns/token is wall time per generated token, engine included.
func BenchmarkJobTokenPublish(b *testing.B) {
	model := filepath.Join("../../../shared/testdata/models/stories260K.gguf")
	if _, err := os.Stat(model); err != nil {
		b.Fatalf("missing ground-truth file %s: %v", model, err)
	}
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	eng, err := openEngine(engineOptions{ModelPath: model, Slots: 1, Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	log := logrus.New()
	log.SetOutput(io.Discard)
	for _, sync := range []bool{false, true} {
		name := map[bool]string{false: "async", true: "sync"}[sync]
		b.Run(name, func(b *testing.B) {
			nc, err := consumer.Connect(context.Background(), consumer.ConnOptions{InProcess: srv}, log)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			w, err := consumer.New(nc, eng, consumer.Config{CreateStreams: true, SyncTokens: sync, Log: log, WorkerID: name})
			if err != nil {
				b.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			defer func() { stop(); <-done }()
			<-w.Ready()
			c, _ := client.New(nc)
			zero := 0.0
			tokens := 0
			for b.Loop() {
				run, err := c.Submit(context.Background(), "stories260K", &client.Job{Prompt: "Once upon a time", MaxTokens: 256, Temperature: &zero})
				if err != nil {
					b.Fatal(err)
				}
				end, err := run.Wait()
				if err != nil || end.Type != consumer.EventEnd {
					b.Fatalf("%+v %v", end, err)
				}
				tokens += end.TokensOut
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
		})
	}
}
