//go:build race

package tokenizer

// raceEnabled: the race detector's runtime reports a crash in its own
// words (ThreadSanitizer failed to allocate ...).
const raceEnabled = true
