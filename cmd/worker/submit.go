package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/client"
	"github.com/orcd/orcd/consumer"
	"github.com/orcd/orcd/engine"
)

func init() {
	register("submit", "submit a job to the workers of a model and print its tokens as they arrive", runSubmit)
}

// stopFlags collects repeated --stop strings.
type stopFlags []string

func (s *stopFlags) String() string     { return strings.Join(*s, ",") }
func (s *stopFlags) Set(v string) error { *s = append(*s, v); return nil }

type submitFlags struct {
	nats     *natsFlags
	model    string
	job      client.Job
	messages string
	stop     stopFlags
	timeout  time.Duration
	jsonOut  bool
	watch    string
	floats   map[string]*float64
	topK     int
	seed     uint64
}

func newSubmitFlags(stderr io.Writer) (*flag.FlagSet, *submitFlags) {
	fs := newFlagSet("submit", stderr)
	f := &submitFlags{nats: addNATSFlags(fs), floats: map[string]*float64{}}
	fs.StringVar(&f.model, "model", "", "model name (or its GGUF path: the file name without .gguf is used)")
	fs.StringVar(&f.job.Prompt, "prompt", "", "prompt text")
	fs.StringVar(&f.messages, "messages", "", `chat messages as JSON, e.g. '[{"role":"user","content":"hi"}]'`)
	fs.StringVar(&f.job.JobID, "job-id", "", "job id (default: a fresh one); resubmitting an id is deduplicated")
	fs.IntVar(&f.job.MaxTokens, "max-tokens", 0, "tokens to generate at most (0: up to the context)")
	for _, name := range []string{"temperature", "top-p", "min-p", "repetition-penalty", "presence-penalty", "frequency-penalty"} {
		v := new(float64)
		f.floats[name] = v
		fs.Float64Var(v, name, 0, strings.ReplaceAll(name, "-", " ")+" (default: the worker's)")
	}
	fs.IntVar(&f.topK, "top-k", 0, "top k (default: the worker's)")
	fs.Uint64Var(&f.seed, "seed", 0, "sampling seed (default: derived from the job id)")
	fs.Var(&f.stop, "stop", "stop string (repeatable, at most 4)")
	fs.StringVar(&f.job.ReplyTo, "reply-to", "", "subject for the events (default <prefix>.events.<job_id>)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "give up waiting after this long")
	fs.BoolVar(&f.jsonOut, "json", false, "print every event as a JSON line instead of the text")
	fs.StringVar(&f.watch, "watch", "", "do not submit: replay and follow the events of this job id")
	return fs, f
}

// buildJob fills the sampling fields that were set explicitly.
func (f *submitFlags) buildJob(fs *flag.FlagSet) (*client.Job, error) {
	j := f.job
	fields := map[string]**float64{"temperature": &j.Temperature, "top-p": &j.TopP, "min-p": &j.MinP,
		"repetition-penalty": &j.RepetitionPenalty, "presence-penalty": &j.PresencePenalty, "frequency-penalty": &j.FrequencyPenalty}
	for name, dst := range fields {
		if flagWasSet(fs, name) {
			*dst = f.floats[name]
		}
	}
	if flagWasSet(fs, "top-k") {
		j.TopK = &f.topK
	}
	if flagWasSet(fs, "seed") {
		j.Seed = &f.seed
	}
	j.Stop = f.stop
	if f.messages != "" {
		if err := json.Unmarshal([]byte(f.messages), &j.Messages); err != nil {
			return nil, fmt.Errorf("--messages: %w", err)
		}
	}
	return &j, nil
}

func runSubmit(args []string, stdout, stderr io.Writer) error {
	fs, f := newSubmitFlags(stderr)
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if f.watch == "" && f.model == "" {
		return &exitError{code: 2, msg: "--model is required"}
	}
	job, err := f.buildJob(fs)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	log := quietLogger(stderr, logrus.WarnLevel)
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	nc, err := f.nats.connect(ctx, "orcd submit", log)
	if err != nil {
		return fmt.Errorf("%w\n(no NATS server there? start one with `worker serve --model M --listen 4222`, or see `make run`)", err)
	}
	defer nc.Close()
	c, err := client.New(nc, client.WithPrefix(f.nats.prefix))
	if err != nil {
		return err
	}
	var run *client.Run
	if f.watch != "" {
		run, err = c.Watch(ctx, f.watch)
	} else {
		run, err = c.Submit(ctx, modelName(f.model), job)
	}
	if err != nil {
		if errors.Is(err, consumer.ErrInvalidJob) {
			return &exitError{code: 2, msg: err.Error()}
		}
		return err
	}
	defer run.Close()
	return printRun(run, stdout, stderr, f.jsonOut)
}

// printRun prints a job's tokens as they arrive (or its events as JSON
// lines) and turns its end into the exit status: 0 on end, 1 on error.
func printRun(run *client.Run, stdout, stderr io.Writer, jsonOut bool) error {
	for ev := range run.Events() {
		if jsonOut {
			data, _ := json.Marshal(ev)
			fmt.Fprintf(stdout, "%s\n", data)
			continue
		}
		switch {
		case ev.Type == consumer.EventStarted && ev.Attempt > 1:
			fmt.Fprintf(stderr, "\n[job %s redelivered: attempt %d on %s, text restarts]\n", ev.JobID, ev.Attempt, ev.WorkerID)
		case ev.Type == consumer.EventToken:
			fmt.Fprint(stdout, ev.T)
		case ev.Type == consumer.EventError && ev.Retriable:
			fmt.Fprintf(stderr, "\n[attempt %d failed, will be retried: %s: %s]\n", ev.Attempt, ev.Code, ev.Message)
		case ev.Type == consumer.EventEnd:
			fmt.Fprintln(stdout)
			t := ev.Timings
			cached := ""
			if ev.TokensCached > 0 {
				cached = fmt.Sprintf(" (%d from the prompt cache)", ev.TokensCached)
			}
			fmt.Fprintf(stderr, "[%s: %s, %d prompt tokens%s, %d generated, prefill %.1f ms, decode %.1f tok/s]\n",
				ev.JobID, ev.StopReason, ev.TokensIn, cached, ev.TokensOut, t.PrefillMS, t.DecodeTokS)
		case ev.Type == consumer.EventError:
			fmt.Fprintln(stdout)
			return &exitError{code: 1, msg: fmt.Sprintf("job %s failed: %s: %s", ev.JobID, ev.Code, ev.Message)}
		}
	}
	if err := run.Err(); err != nil {
		return err
	}
	if t := run.Terminal(); t != nil && t.Type == consumer.EventError {
		return &exitError{code: 1, msg: fmt.Sprintf("job %s failed: %s: %s", t.JobID, t.Code, t.Message)}
	}
	return nil
}

// runDemo runs the worker, submits one job to it through the client and
// prints the story, then shuts the worker down gracefully.
func runDemo(ctx context.Context, f *serveFlags, w *consumer.Worker, nc *nats.Conn, info engine.Info, stdout, stderr io.Writer) error {
	wctx, stopWorker := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stopWorker(); <-done }()
	select {
	case <-w.Ready():
	case err := <-done:
		done <- err
		return err
	}
	c, err := client.New(nc, client.WithPrefix(f.nats.prefix))
	if err != nil {
		return err
	}
	run, err := c.Submit(ctx, w.Model(), &client.Job{Prompt: f.demo, MaxTokens: min(f.demoMax, info.Context)})
	if err != nil {
		return err
	}
	defer run.Close()
	where := "NATS at " + f.nats.conn.URL
	if f.nats.conn.URL == "" {
		where = "embedded NATS, data in " + f.dataDir
	}
	fmt.Fprintf(stderr, "[%s; worker %s serving %s on %s.jobs.%s; job %s]\n",
		where, w.ID(), w.Model(), f.nats.prefix, consumer.ModelToken(w.Model()), run.JobID)
	fmt.Fprintf(stdout, "%s", f.demo)
	return printRun(run, stdout, stderr, false)
}
