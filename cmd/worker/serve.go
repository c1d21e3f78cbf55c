package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/sirupsen/logrus"

	"github.com/orcd/orcd/consumer"
)

// version is reported in heartbeats.
var version = "0.1.0"

func init() {
	register("serve", "run a worker: take jobs from NATS and stream tokens back", runServe)
}

type serveFlags struct {
	nats      *natsFlags
	eng       engineOptions
	modelName string
	workerID  string
	heartbeat time.Duration
	logFormat string
	logLevel  string
	grace     time.Duration
	ackWait   time.Duration
	inProg    time.Duration
	maxDeliv  int
	wedge     time.Duration
	dataDir   string
	listen    int
	create    bool
	maxMsgs   int64
	maxBytes  int64
	eventsAge time.Duration
	demo      string
	demoMax   int
}

func newServeFlags(stderr io.Writer) (*flag.FlagSet, *serveFlags) {
	fs := newFlagSet("serve", stderr)
	f := &serveFlags{nats: addNATSFlags(fs)}
	fs.StringVar(&f.eng.ModelPath, "model", "", "GGUF model file (required)")
	fs.StringVar(&f.eng.Engine, "engine", "auto", "engine: auto, cpu, cuda or metal")
	fs.IntVar(&f.eng.Slots, "slots", 1, "jobs run at once")
	fs.IntVar(&f.eng.Threads, "threads", 0, "CPU threads (0: all cores)")
	fs.IntVar(&f.eng.Context, "context", 0, "positions per sequence (0: the model's, capped)")
	addSchedFlags(fs, &f.eng)
	addKVTypeFlag(fs, &f.eng)
	fs.StringVar(&f.eng.CUDALib, "cuda-lib", "", "CUDA backend library (default $ORCD_CUDA_LIB, then liborcd_cuda.so beside the binary)")
	fs.StringVar(&f.modelName, "model-name", "", "name jobs address the model by (default: the file name without .gguf)")
	fs.StringVar(&f.workerID, "worker-id", "", "worker id (default: hostname-random)")
	fs.DurationVar(&f.heartbeat, "heartbeat", 5*time.Second, "heartbeat interval")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.DurationVar(&f.grace, "grace", 30*time.Second, "on SIGINT/SIGTERM, how long running jobs may finish before they are handed back")
	fs.DurationVar(&f.ackWait, "ack-wait", 10*time.Second, "JetStream AckWait: a silent worker's job is redelivered after this (InProgress every third of it)")
	fs.DurationVar(&f.inProg, "in-progress", 0, "InProgress cadence while a job runs (0: a third of --ack-wait)")
	fs.IntVar(&f.maxDeliv, "max-deliver", 3, "deliveries of one job before it fails with MAX_DELIVERIES")
	fs.DurationVar(&f.wedge, "wedge-after", consumer.DefaultWedgeAfter, "a generation with no token for this long marks the engine wedged: unhealthy, no new jobs")
	fs.StringVar(&f.dataDir, "data-dir", "", "embedded server: JetStream storage (default "+consumer.DefaultDataDir()+")")
	fs.IntVar(&f.listen, "listen", 0, "embedded server: also listen on this TCP port for other workers and clients (0: in-process only)")
	fs.BoolVar(&f.create, "create-streams", true, "create or update the streams and buckets at start")
	fs.Int64Var(&f.maxMsgs, "jobs-max-msgs", consumer.DefaultJobsMaxMsgs, "queued jobs before publishers are refused")
	fs.Int64Var(&f.maxBytes, "jobs-max-bytes", consumer.DefaultJobsMaxBytes, "queued job bytes before publishers are refused")
	fs.DurationVar(&f.eventsAge, "events-max-age", consumer.DefaultEventsMaxAge, "how long job events stay replayable")
	fs.StringVar(&f.demo, "demo", "", "submit this prompt to the worker itself, print the tokens, then shut down")
	fs.IntVar(&f.demoMax, "demo-max-tokens", 200, "max_tokens of the --demo job")
	return fs, f
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs, f := newServeFlags(stderr)
	if err := parseWithEnv(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if f.eng.ModelPath == "" {
		return &exitError{code: 2, msg: "--model is required (a GGUF file; also ORCD_MODEL)"}
	}
	if f.demo != "" && !flagWasSet(fs, "log-level") {
		f.logLevel = "warn" // the story alone on the terminal; runDemo says what runs
	}
	log, err := newLogger(f.logFormat, f.logLevel, stderr)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, f, log, stdout, stderr)
}

func serve(ctx context.Context, f *serveFlags, log *logrus.Logger, stdout, stderr io.Writer) error {
	eng, err := openEngine(f.eng)
	if err != nil {
		return fmt.Errorf("open %s: %w", f.eng.ModelPath, err)
	}
	defer eng.Close()
	info := eng.Info()
	log.WithFields(logrus.Fields{"model": info.Model, "arch": info.Arch, "quant": info.Quant, "engine": info.Engine,
		"context": info.Context, "slots": info.Slots}).Info("engine ready")
	if g, ok := eng.(*modelGenerator); ok && g.cudaSkipped != nil {
		log.WithField("reason", g.cudaSkipped.Error()).Info("--engine auto: CUDA not used, running on the CPU")
	}

	if f.nats.conn.URL == "" {
		srv, cleanup, err := startEmbedded(f, log)
		if err != nil {
			return err
		}
		defer cleanup()
		f.nats.conn.InProcess = srv
	}
	nc, err := f.nats.connect(ctx, "orcd worker", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	w, err := consumer.New(nc, eng, consumer.Config{
		Prefix: f.nats.prefix, WorkerID: f.workerID, Model: f.modelName, Slots: info.Slots, Version: version,
		AckWait: f.ackWait, InProgressEvery: f.inProg, MaxDeliver: f.maxDeliv, WedgeAfter: f.wedge, Heartbeat: f.heartbeat, Grace: f.grace,
		CreateStreams: f.create,
		Streams:       consumer.StreamConfig{JobsMaxMsgs: f.maxMsgs, JobsMaxBytes: f.maxBytes, EventsMaxAge: f.eventsAge},
		Log:           log,
	})
	if err != nil {
		return err
	}
	if f.demo == "" {
		return w.Run(ctx)
	}
	return runDemo(ctx, f, w, nc, info, stdout, stderr)
}

// startEmbedded starts the in-process JetStream server and says where its
// data lives and how to reach it.
func startEmbedded(f *serveFlags, log *logrus.Logger) (*server.Server, func(), error) {
	dir, tmp := f.dataDir, false
	if dir == "" && f.demo != "" {
		// A demo leaves nothing behind.
		d, err := os.MkdirTemp("", "orcd-demo-")
		if err != nil {
			return nil, nil, err
		}
		dir, tmp = d, true
	}
	if dir == "" {
		dir = consumer.DefaultDataDir()
	}
	srv, err := consumer.StartServer(consumer.ServerConfig{DataDir: dir, Port: f.listen})
	if err != nil {
		return nil, nil, err
	}
	f.dataDir = dir
	fields := logrus.Fields{"data_dir": dir}
	if f.listen != 0 {
		fields["url"] = srv.ClientURL()
	}
	log.WithFields(fields).Info("embedded NATS server started")
	return srv, func() {
		srv.Shutdown()
		srv.WaitForShutdown()
		if tmp {
			os.RemoveAll(dir)
		}
	}, nil
}
