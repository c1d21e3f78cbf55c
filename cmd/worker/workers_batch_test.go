package main

import (
	"strings"
	"testing"

	"github.com/orcd/orcd/consumer"
)

// TestPrintWorkersBatch: the table shows slots busy/total, the batch size
// the KV cache positions in use/total and those kept for the prompt cache
// from the heartbeat.
func TestPrintWorkersBatch(t *testing.T) {
	var out strings.Builder
	printWorkers(&out, []consumer.Heartbeat{{WorkerID: "w1", Model: "m", Quant: "Q4_0", Engine: "cpu", Device: "epyc", SlotsBusy: 3, SlotsTotal: 8, Batch: 3, KVUsed: 412, KVTotal: 32768, KVCached: 97, Healthy: true}})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("table:\n%s", out.String())
	}
	head, row := strings.Fields(lines[0]), strings.Fields(lines[1])
	want := map[string]string{"SLOTS": "3/8", "BATCH": "3", "KV": "412/32768", "CACHED": "97"}
	for i, h := range head {
		if w, ok := want[h]; ok {
			if i >= len(row) || row[i] != w {
				t.Errorf("column %s: %v, want %s", h, row, w)
			}
			delete(want, h)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing columns %v in %q", want, lines[0])
	}
}
