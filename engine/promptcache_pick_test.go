package engine

import (
	"slices"
	"testing"
)

// truncOnly is a Backend that only answers MaxSeqs and ClearSeq and is a
// SeqTruncater, enough for promptCache.
type truncOnly struct{ Backend }

func (truncOnly) MaxSeqs() int                 { return 4 }
func (truncOnly) TruncateSeq(int32, int) error { return nil }
func (truncOnly) ClearSeq(int32) error         { return nil }

// TestPromptCachePick: the longest shared prefix wins, the least recently
// freed among equals; under minReuse shared tokens an empty slot, then the
// least recently freed; never the prompt's last token.
func TestPromptCachePick(t *testing.T) {
	seq := func(from, n int) []int32 {
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(from + i)
		}
		return s
	}
	system := seq(1000, 40)
	c := newPromptCache(truncOnly{}, false)
	free := []int32{0, 1, 2, 3}
	release := func(slot int32, toks []int32) { c.release(truncOnly{}, slot, toks, true) }
	release(2, slices.Concat(system, seq(1, 10)))  // conversation A
	release(0, slices.Concat(system, seq(50, 10))) // conversation B, freed later
	release(3, seq(1000, 5))                       // a short one, freed last
	cases := []struct {
		name   string
		prompt []int32
		slot   int32
		reuse  int
	}{
		{"continues A", slices.Concat(system, seq(1, 10), seq(200, 5)), 2, 50},
		{"continues B past its cache", slices.Concat(system, seq(50, 12)), 0, 50},
		{"shares the system prompt: the least recently freed of A and B", slices.Concat(system, seq(300, 5)), 2, 40},
		{"shares under minReuse tokens: the empty slot", seq(1000, 10), 1, 0},
		{"is A's whole cache: all but its last token", slices.Concat(system, seq(1, 10)), 2, 49},
	}
	for _, tc := range cases {
		i, reuse := c.pick(free, tc.prompt)
		if free[i] != tc.slot || reuse != tc.reuse {
			t.Errorf("%s: slot %d keeping %d, want slot %d keeping %d", tc.name, free[i], reuse, tc.slot, tc.reuse)
		}
	}
	// With no empty slot, a prompt sharing too little evicts the least
	// recently freed (A), keeping what little it shares.
	release(1, seq(7000, 30))
	if i, reuse := c.pick(free, seq(1000, 10)); free[i] != 2 || reuse != 9 {
		t.Errorf("no empty slot: slot %d keeping %d, want 2 keeping 9", free[i], reuse)
	}
	off := newPromptCache(truncOnly{}, true)
	off.release(truncOnly{}, 2, system, true)
	if i, reuse := off.pick(free, system); reuse != 0 || off.held[2] != nil || i != len(free)-1 {
		t.Errorf("cache off: index %d keeping %d, held %v", i, reuse, off.held[2])
	}
}
