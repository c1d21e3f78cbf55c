package consumer

import "time"

// SetLookupAttempt sets retryLookup's per-request bound for a test and
// returns what restores it.
func SetLookupAttempt(d time.Duration) func() {
	old := lookupAttempt
	lookupAttempt = d
	return func() { lookupAttempt = old }
}
