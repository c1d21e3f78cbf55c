package engine

import (
	"strings"
	"unicode/utf8"
)

// textStream turns token pieces (raw bytes) into releasable text. It holds
// back two things: the bytes of a UTF-8 character split across tokens, and
// any tail of the text that could be the start of a stop string. Released
// text therefore never contains a stop string, and the stop string itself
// is never released.
type textStream struct {
	stops   []string
	pending []byte // bytes not yet released
}

func newTextStream(stops []string) *textStream {
	ts := &textStream{}
	for _, s := range stops {
		if s != "" {
			ts.stops = append(ts.stops, s)
		}
	}
	return ts
}

// add appends a piece and returns the text that may now be released, and
// whether a stop string was completed (the text then ends just before it).
func (ts *textStream) add(piece []byte) (text string, stopped bool) {
	ts.pending = append(ts.pending, piece...)
	complete := len(ts.pending) - incompleteTail(ts.pending)
	s := string(ts.pending[:complete])
	if i, _ := firstStop(s, ts.stops); i >= 0 {
		ts.pending = ts.pending[:0]
		return strings.ToValidUTF8(s[:i], "\uFFFD"), true
	}
	keep := stopPrefixLen(s, ts.stops)
	out := s[:len(s)-keep]
	ts.pending = append(ts.pending[:0], ts.pending[len(out):]...)
	return strings.ToValidUTF8(out, "\uFFFD"), false
}

// flush releases everything held (an unfinished character becomes U+FFFD).
func (ts *textStream) flush() string {
	s := strings.ToValidUTF8(string(ts.pending), "\uFFFD")
	ts.pending = ts.pending[:0]
	return s
}

// incompleteTail is the length of a trailing UTF-8 sequence that more
// bytes could still complete (0 to 3).
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0 // ASCII: nothing pending
		}
		if c >= 0xC0 { // a lead byte: is its sequence longer than what we have?
			need := 2
			if c >= 0xF0 {
				need = 4
			} else if c >= 0xE0 {
				need = 3
			}
			if need > n && !utf8.FullRune(b[len(b)-n:]) {
				return n
			}
			return 0
		}
	}
	return 0
}

// firstStop finds the earliest occurrence of any stop string in s.
func firstStop(s string, stops []string) (int, string) {
	best, which := -1, ""
	for _, stop := range stops {
		if i := strings.Index(s, stop); i >= 0 && (best < 0 || i < best) {
			best, which = i, stop
		}
	}
	return best, which
}

// stopPrefixLen is the length of the longest suffix of s that is a proper
// prefix of some stop string (it must be held back).
func stopPrefixLen(s string, stops []string) int {
	keep := 0
	for _, stop := range stops {
		for n := min(len(stop)-1, len(s)); n > keep; n-- {
			if strings.HasSuffix(s, stop[:n]) {
				keep = n
				break
			}
		}
	}
	return keep
}
