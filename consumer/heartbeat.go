package consumer

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/orcd/orcd/engine"
)

// Heartbeat is a worker's published state, on
// <prefix>.workers.<worker_id>.heartbeat and in the workers bucket.
type Heartbeat struct {
	WorkerID        string    `json:"worker_id"`
	Hostname        string    `json:"hostname"`
	Version         string    `json:"version"`
	Model           string    `json:"model"`
	Quant           string    `json:"quant"`
	Engine          string    `json:"engine"`
	Device          string    `json:"device"`
	VRAMTotal       uint64    `json:"vram_total"` // bytes; 0 on the CPU engine
	VRAMUsed        uint64    `json:"vram_used"`
	RSS             uint64    `json:"rss"` // bytes, from /proc/self/statm
	SlotsTotal      int       `json:"slots_total"`
	SlotsBusy       int       `json:"slots_busy"`
	Batch           int       `json:"batch"`     // sequences in the engine's last forward pass
	KVUsed          int       `json:"kv_used"`   // KV cache positions in use, over all slots
	KVTotal         int       `json:"kv_total"`  // KV cache positions, over all slots
	KVCached        int       `json:"kv_cached"` // positions free slots keep for the prompt cache
	JobsDone        uint64    `json:"jobs_done"`
	JobsFailed      uint64    `json:"jobs_failed"`
	TokensGenerated uint64    `json:"tokens_generated"`
	TokPerSec       float64   `json:"tok_s"` // over the last heartbeat interval
	UptimeS         float64   `json:"uptime_s"`
	Healthy         bool      `json:"healthy"`
	Reason          string    `json:"reason,omitempty"`
	HeartbeatS      float64   `json:"heartbeat_s"` // the interval, so readers can tell a stale record
	Time            time.Time `json:"time"`
}

// Stale reports whether h is older than three of its intervals at now.
func (h *Heartbeat) Stale(now time.Time) bool {
	return h.HeartbeatS > 0 && now.Sub(h.Time) > time.Duration(3*h.HeartbeatS*float64(time.Second))
}

// stats are the counters heartbeats report; updated by job runners,
// read without locks by the heartbeat goroutine.
type stats struct {
	start  time.Time
	done   atomic.Uint64
	failed atomic.Uint64
	tokens atomic.Uint64
	// sample is the engine's memory and health, refreshed by its own
	// goroutine so that an engine slow to answer never delays a heartbeat.
	sample atomic.Pointer[engineSample]
}

type engineSample struct {
	mem    engine.Memory
	health error
}

// heartbeatLoop publishes a heartbeat every interval; Run published the
// first one.
func (w *Worker) heartbeatLoop(ctx context.Context) {
	go w.sampleLoop(ctx)
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	lastTokens, lastTime := w.stats.tokens.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hb := w.heartbeat()
		dt := hb.Time.Sub(lastTime).Seconds()
		if dt > 0 {
			hb.TokPerSec = float64(hb.TokensGenerated-lastTokens) / dt
		}
		lastTokens, lastTime = hb.TokensGenerated, hb.Time
		w.publishHeartbeat(ctx, hb)
	}
}

// sampleLoop refreshes the engine figures every interval (Run took the
// first sample), off the heartbeat's path in case the engine is slow.
func (w *Worker) sampleLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.stats.sample.Store(w.sampleEngine())
	}
}

func (w *Worker) sampleEngine() *engineSample {
	return &engineSample{mem: w.eng.Memory(), health: w.eng.Health()}
}

// heartbeat builds the record from cached state only.
func (w *Worker) heartbeat() *Heartbeat {
	host, _ := os.Hostname()
	w.mu.Lock()
	busy := len(w.running)
	w.mu.Unlock()
	hb := &Heartbeat{
		WorkerID: w.cfg.WorkerID, Hostname: host, Version: w.cfg.Version,
		Model: w.cfg.Model, Quant: w.info.Quant, Engine: w.info.Engine,
		RSS: rss(), SlotsTotal: w.cfg.Slots, SlotsBusy: busy,
		JobsDone: w.stats.done.Load(), JobsFailed: w.stats.failed.Load(), TokensGenerated: w.stats.tokens.Load(),
		UptimeS: time.Since(w.stats.start).Seconds(), Healthy: true,
		HeartbeatS: w.cfg.Heartbeat.Seconds(), Time: time.Now().UTC(),
	}
	if s := w.stats.sample.Load(); s != nil {
		hb.Device = s.mem.Device
		hb.Batch, hb.KVUsed, hb.KVTotal, hb.KVCached = s.mem.BatchSeqs, s.mem.KVUsed, s.mem.KVTotal, s.mem.KVCached
		if s.mem.Kind == "vram" {
			hb.VRAMTotal, hb.VRAMUsed = s.mem.Total, s.mem.Used
		}
		if s.health != nil {
			hb.Healthy, hb.Reason = false, s.health.Error()
		}
	}
	if err := w.watch.wedged(); err != nil {
		hb.Healthy, hb.Reason = false, err.Error()
	}
	return hb
}

func (w *Worker) publishHeartbeat(ctx context.Context, hb *Heartbeat) {
	data, err := json.Marshal(hb)
	if err != nil {
		return
	}
	_ = w.nc.Publish(w.subj.Heartbeat(w.cfg.WorkerID), data)
	pctx, cancel := context.WithTimeout(ctx, w.cfg.Heartbeat)
	defer cancel()
	if _, err := w.res.Workers.Put(pctx, w.cfg.WorkerID, data); err != nil && ctx.Err() == nil {
		w.log.WithError(err).Debug("heartbeat: workers bucket")
	}
}

// retire removes the worker from the listing at once on a clean stop.
func (w *Worker) retire() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = w.res.Workers.Delete(ctx, w.cfg.WorkerID)
}

// startService registers the worker with the NATS micro framework, so that
// `nats micro ls` and $SRV.PING/INFO/STATS discover it; its one endpoint,
// <prefix>.workers.<id>.status, answers with a fresh heartbeat record.
func (w *Worker) startService() micro.Service {
	svc, err := micro.AddService(w.nc, micro.Config{
		Name:        "orcd",
		Version:     semver(w.cfg.Version),
		Description: "orcd inference worker",
		Metadata:    map[string]string{"worker_id": w.cfg.WorkerID, "model": w.cfg.Model},
	})
	if err != nil {
		w.log.WithError(err).Warn("micro service not registered")
		return nil
	}
	err = svc.AddEndpoint("status", micro.HandlerFunc(func(req micro.Request) {
		_ = req.RespondJSON(w.heartbeat())
	}), micro.WithEndpointSubject(w.subj.Prefix+".workers."+w.cfg.WorkerID+".status"))
	if err != nil {
		w.log.WithError(err).Warn("micro endpoint not registered")
	}
	return svc
}

// semver: micro requires a semantic version.
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if parts := strings.Split(v, "."); len(parts) == 3 {
		if _, err := strconv.Atoi(parts[0]); err == nil {
			return v
		}
	}
	return "0.0.0"
}

// rss reads the resident set size of this process (Linux); 0 elsewhere.
func rss() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
