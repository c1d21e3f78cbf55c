package engine

import (
	"strings"
	"testing"
)

// streamAll feeds pieces and returns the released text and the index of
// the piece that completed a stop string (-1 if none).
func streamAll(stops []string, pieces ...string) (string, int) {
	ts := newTextStream(stops)
	var out strings.Builder
	for i, p := range pieces {
		text, stopped := ts.add([]byte(p))
		out.WriteString(text)
		if stopped {
			return out.String(), i
		}
	}
	out.WriteString(ts.flush())
	return out.String(), -1
}

func TestTextStreamStops(t *testing.T) {
	cases := []struct {
		stops  []string
		pieces []string
		want   string
		at     int
	}{
		{nil, []string{"Hello", " world"}, "Hello world", -1},
		{[]string{"\n\n"}, []string{"a", "\n", "\nb"}, "a", 2},
		{[]string{"END"}, []string{"x E", "N", "Dy"}, "x ", 2},
		{[]string{"END"}, []string{"x E", "N", "o"}, "x ENo", -1},
		{[]string{"b", "ab"}, []string{"xab"}, "x", 0}, // earliest match wins
		{[]string{""}, []string{"a", "b"}, "ab", -1},   // empty stop strings are ignored
		{[]string{"é!"}, []string{"\xc3", "\xa9", "!"}, "", 2},
	}
	for _, c := range cases {
		got, at := streamAll(c.stops, c.pieces...)
		if got != c.want || at != c.at {
			t.Errorf("stops %q pieces %q: got %q at %d, want %q at %d", c.stops, c.pieces, got, at, c.want, c.at)
		}
	}
}

func TestTextStreamHoldsBackPartialStopAndUTF8(t *testing.T) {
	ts := newTextStream([]string{"STOP"})
	if text, _ := ts.add([]byte("go ST")); text != "go " {
		t.Fatalf("released %q, want %q (\"ST\" may start the stop string)", text, "go ")
	}
	// "€" is E2 82 AC: nothing is released until the character is whole.
	ts = newTextStream(nil)
	for i, b := range []string{"\xe2", "\x82"} {
		if text, _ := ts.add([]byte(b)); text != "" {
			t.Fatalf("piece %d released %q before the character was complete", i, text)
		}
	}
	if text, _ := ts.add([]byte("\xac")); text != "€" {
		t.Fatalf("released %q, want €", text)
	}
	// An invalid byte is released as U+FFFD, an unfinished one at flush.
	if text, _ := ts.add([]byte("a\xffb\xe2")); text != "a\uFFFDb" {
		t.Fatalf("released %q", text)
	}
	if rest := ts.flush(); rest != "\uFFFD" {
		t.Fatalf("flush = %q, want U+FFFD", rest)
	}
}
