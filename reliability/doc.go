// Package reliability holds process-level tests of orcd's delivery
// guarantees: they build the worker binary and a nats-server binary once,
// run them as real processes, and do the bad things for real (SIGKILL a
// worker mid-job, stop and restart the server, crash a worker on every
// delivery of a job, fill the queue). README.md ("What happens when…")
// lists which test proves which guarantee.
package reliability
