package tokenizer

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestChatRendererChildLimits: the running child has its data limit and
// is the OOM killer's first choice.
func TestChatRendererChildLimits(t *testing.T) {
	r := newTestRenderer(t, ChatRendererOptions{}) // the default limit: the race detector needs more than a few hundred MB
	if _, err := r.Apply(templateTokenizer("{{ messages[0].content }}", "", ""), []Message{{"user", "x"}}, false); err != nil {
		t.Fatal(err)
	}
	pid := r.child.cmd.Process.Pid
	adj, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid))
	if err != nil || strings.TrimSpace(string(adj)) != "1000" {
		t.Errorf("oom_score_adj %q, %v; want 1000", adj, err)
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	found := false
	for _, l := range strings.Split(string(limits), "\n") {
		if f := strings.Fields(l); strings.HasPrefix(l, "Max data size") && len(f) >= 5 {
			found = f[3] == fmt.Sprint(1<<30)
		}
	}
	if err != nil || !found {
		t.Errorf("no data limit of %d, %v:\n%s", 1<<30, err, limits)
	}
}
