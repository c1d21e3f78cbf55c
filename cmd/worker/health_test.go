package main

import (
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/consumer"
)

func TestCheckHeartbeat(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fresh := consumer.Heartbeat{WorkerID: "w1", Healthy: true, SlotsTotal: 2, HeartbeatS: 5, Time: now.Add(-4 * time.Second)}
	if err := checkHeartbeat(&fresh, now); err != nil {
		t.Errorf("fresh healthy record: %v", err)
	}
	cases := map[string]struct {
		edit func(*consumer.Heartbeat)
		want string
	}{
		"stale":     {func(h *consumer.Heartbeat) { h.Time = now.Add(-16 * time.Second) }, "last heartbeat 16s ago"},
		"unhealthy": {func(h *consumer.Heartbeat) { h.Healthy, h.Reason = false, "engine wedged" }, "engine wedged"},
		"no slots":  {func(h *consumer.Heartbeat) { h.SlotsTotal = 0 }, "no slots"},
	}
	for name, c := range cases {
		hb := fresh
		c.edit(&hb)
		err := checkHeartbeat(&hb, now)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, c.want)
		}
	}
}

func TestHealthNeedsWorkerID(t *testing.T) {
	t.Setenv("ORCD_WORKER_ID", "")
	var out, errb strings.Builder
	err := runHealth([]string{"--nats-url", "nats://127.0.0.1:1"}, &out, &errb)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 || !strings.Contains(ee.msg, "--worker-id") {
		t.Errorf("got %v, want exit 2 naming --worker-id", err)
	}
}
