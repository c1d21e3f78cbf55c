package consumer

import "time"

// SetRequestAttempt sets retryRequest's per-try bound for a test and
// returns what restores it.
func SetRequestAttempt(d time.Duration) func() {
	old := requestAttempt
	requestAttempt = d
	return func() { requestAttempt = old }
}
