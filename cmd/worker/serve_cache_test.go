package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orcd/orcd/consumer"
)

// TestServePromptCache: a job whose prompt continues an earlier one's
// text reports the positions the prompt cache gave it in its end event,
// the heartbeat counts what free slots hold, and its text is the one a
// worker without the cache writes.
func TestServePromptCache(t *testing.T) {
	model := sharedFile(t, "models/stories260K.gguf")
	long := "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine."
	var texts []string
	for _, flag := range []string{"--prompt-cache=true", "--prompt-cache=false"} {
		url, stop := startServe(t, model, flag)
		var last consumer.JobEvent
		for i, prompt := range []string{long, long + " One day"} {
			code, out, errOut := runWorker("submit", "--nats-url", url, "--model", "stories260K", "--prompt", prompt,
				"--temperature", "0", "--max-tokens", "24", "--json")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil || last.Type != "end" {
				t.Fatalf("%s, job %d: exit %d, %q, %s", flag, i, code, out, errOut)
			}
			var text strings.Builder
			for _, l := range lines {
				var ev consumer.JobEvent
				json.Unmarshal([]byte(l), &ev)
				text.WriteString(ev.T)
			}
			texts = append(texts, text.String())
		}
		// A heartbeat samples the engine's memory report at its own pace:
		// the first after the jobs may predate the second one's end.
		w := waitWorker(t, url, 2)
		for deadline := time.Now().Add(5 * time.Second); flag == "--prompt-cache=true" && w.KVCached == 0 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			w = waitWorker(t, url, 2)
		}
		stop()
		switch flag {
		case "--prompt-cache=true":
			// The second prompt's tokens start with the first one's.
			if last.TokensCached < 20 || last.TokensCached >= last.TokensIn || w.KVCached == 0 {
				t.Fatalf("%s: tokens_cached %d of %d, heartbeat kv_cached %d", flag, last.TokensCached, last.TokensIn, w.KVCached)
			}
		default:
			if last.TokensCached != 0 || w.KVCached != 0 {
				t.Fatalf("%s: tokens_cached %d, kv_cached %d", flag, last.TokensCached, w.KVCached)
			}
		}
		t.Logf("%s: second job %d of %d prompt tokens from the cache", flag, last.TokensCached, last.TokensIn)
	}
	if texts[0] != texts[2] || texts[1] != texts[3] {
		t.Fatalf("with the cache %q, %q; without %q, %q", texts[0], texts[1], texts[2], texts[3])
	}
}
