package client

import (
	"testing"

	"github.com/orcd/orcd/consumer"
)

// The filter sees what a replaying subscriber sees after a redelivery:
// attempt 1's events, a retriable error, attempt 2 from the start, stale
// tokens of attempt 1 arriving late, duplicates and two terminal events.
func TestFilterRedeliveryAndDuplicates(t *testing.T) {
	tok := func(attempt, i int, text string) Event {
		return Event{Type: consumer.EventToken, Attempt: attempt, I: i, T: text}
	}
	in := []Event{
		{Type: consumer.EventStarted, Attempt: 1},
		tok(1, 0, "a"), tok(1, 1, "b"),
		tok(1, 1, "b"), // duplicate
		{Type: consumer.EventError, Attempt: 1, Retriable: true, Code: consumer.CodeWorkerShutdown},
		{Type: consumer.EventStarted, Attempt: 2},
		tok(1, 2, "stale"),                        // late token of the old attempt
		{Type: consumer.EventStarted, Attempt: 1}, // replayed started
		tok(2, 0, "A"), {Type: consumer.EventToken, Attempt: 2, I: 1, T: "BC", IDs: []int32{1, 2}},
		tok(2, 2, "C"), // covered by the coalesced event
		tok(2, 3, "D"),
		{Type: consumer.EventEnd, Attempt: 2, StopReason: "eos"},
		{Type: consumer.EventEnd, Attempt: 2, StopReason: "eos"}, // second terminal
		tok(2, 4, "after"),
	}
	var f filter
	var got []string
	text := ""
	for i := range in {
		if !f.accept(&in[i]) {
			continue
		}
		ev := in[i]
		got = append(got, ev.Type)
		switch ev.Type {
		case consumer.EventStarted:
			text = ""
		case consumer.EventToken:
			text += ev.T
		}
	}
	want := []string{"started", "token", "token", "error", "started", "token", "token", "token", "end"}
	if len(got) != len(want) {
		t.Fatalf("accepted %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("accepted %v, want %v", got, want)
		}
	}
	if text != "ABCD" {
		t.Errorf("text %q, want ABCD", text)
	}
}
