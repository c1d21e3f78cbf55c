// Package consumer is the NATS side of orcd: the wire protocol (jobs and
// their events), the JetStream streams and buckets behind it, and the
// Worker that takes jobs from a durable pull consumer and runs them on an
// engine.Engine.
//
// The protocol is plain JSON on documented subjects so that the nats CLI
// alone can drive a worker; README.md ("Protocol") is its public contract.
package consumer

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// DefaultPrefix is the first token of every orcd subject.
const DefaultPrefix = "orcd"

// Event types. An end, or an error with retriable false, is terminal: a job
// has exactly one. An error with retriable true only closes one attempt;
// the job is redelivered and a new started event follows.
const (
	EventStarted = "started"
	EventToken   = "token"
	EventEnd     = "end"
	EventError   = "error"
)

// Error codes carried by error events.
const (
	CodeInvalidRequest   = "INVALID_REQUEST"   // never retried
	CodeEngine           = "ENGINE_ERROR"      // transient, retried
	CodeVRAMOOM          = "VRAM_OOM"          // the device ran out of memory; retried
	CodeWorkerShutdown   = "WORKER_SHUTDOWN"   // the worker stopped; retried at once elsewhere
	CodeDeadlineExceeded = "DEADLINE_EXCEEDED" // the job's deadline passed; not retried
	CodeMaxDeliveries    = "MAX_DELIVERIES"    // failed on its last allowed delivery
)

// Subjects derives every subject and JetStream name from one prefix, so
// that several orcd deployments can share a NATS account.
type Subjects struct {
	Prefix string
}

// NewSubjects returns the subjects for prefix ("" means DefaultPrefix).
func NewSubjects(prefix string) Subjects {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return Subjects{Prefix: prefix}
}

// Jobs is where jobs for model are published.
func (s Subjects) Jobs(model string) string { return s.Prefix + ".jobs." + ModelToken(model) }

// AllJobs is the jobs stream's subject filter.
func (s Subjects) AllJobs() string { return s.Prefix + ".jobs.>" }

// Events is the default reply subject of a job.
func (s Subjects) Events(jobID string) string { return s.Prefix + ".events." + jobID }

// AllEvents is the events stream's subject filter.
func (s Subjects) AllEvents() string { return s.Prefix + ".events.>" }

// Cancel is where a cancel request for jobID is published.
func (s Subjects) Cancel(jobID string) string { return s.Prefix + ".cancel." + jobID }

// Heartbeat is where worker id publishes its heartbeats.
func (s Subjects) Heartbeat(workerID string) string {
	return s.Prefix + ".workers." + workerID + ".heartbeat"
}

// InEventsStream reports whether subj is captured by the events stream (and
// so can be replayed and deduplicated).
func (s Subjects) InEventsStream(subj string) bool {
	return strings.HasPrefix(subj, s.Prefix+".events.")
}

// name turns the prefix into an upper-case JetStream name part: orcd -> ORCD.
func (s Subjects) name(suffix string) string {
	return strings.ToUpper(ModelToken(s.Prefix)) + "_" + suffix
}

// JobsStream, EventsStream and the bucket names; ORCD_* for the default prefix.
func (s Subjects) JobsStream() string    { return s.name("JOBS") }
func (s Subjects) EventsStream() string  { return s.name("EVENTS") }
func (s Subjects) CancelBucket() string  { return s.name("CANCEL") }
func (s Subjects) StateBucket() string   { return s.name("JOB_STATE") }
func (s Subjects) WorkersBucket() string { return s.name("WORKERS") }

// Durable is the name of the pull consumer shared by every worker of model.
func (s Subjects) Durable(model string) string { return s.name("MODEL_" + ModelToken(model)) }

// ModelToken makes a model name usable as one subject token: every
// character outside [A-Za-z0-9_-] becomes '_' ("Llama-3.2-1B" -> "Llama-3_2-1B").
func ModelToken(model string) string {
	if model == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, model)
}

// Timings is the speed report of an end event.
type Timings struct {
	PrefillMS  float64 `json:"prefill_ms"`
	DecodeMS   float64 `json:"decode_ms"`
	DecodeTokS float64 `json:"decode_tok_s"`
}

// JobEvent is one message on a job's reply subject. Which fields are set
// depends on Type; MarshalJSON writes exactly the fields of that type.
type JobEvent struct {
	Type    string `json:"type"`
	JobID   string `json:"job_id"`
	Attempt int    `json:"attempt"` // JetStream delivery count of the job message

	// started
	WorkerID string `json:"worker_id,omitempty"`
	Model    string `json:"model,omitempty"`
	QueueMS  int64  `json:"queue_ms,omitempty"`

	// token: I is the index of the first token carried, ID its id and T the
	// text of all of them. A coalesced event also lists every id in IDs, so
	// it covers indexes I .. I+len(IDs)-1.
	I   int     `json:"i"`
	T   string  `json:"t"`
	ID  int32   `json:"id"`
	IDs []int32 `json:"ids,omitempty"`

	// end
	StopReason string `json:"stop_reason,omitempty"`
	TokensIn   int    `json:"tokens_in,omitempty"`
	TokensOut  int    `json:"tokens_out,omitempty"`
	// TokensCached is how many of TokensIn the worker's prompt cache
	// supplied instead of prefilling them.
	TokensCached int      `json:"tokens_cached,omitempty"`
	Timings      *Timings `json:"timings,omitempty"`

	// error
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	Retriable bool   `json:"retriable,omitempty"`
}

// NumTokens is how many tokens a token event carries.
func (e *JobEvent) NumTokens() int {
	if len(e.IDs) > 0 {
		return len(e.IDs)
	}
	return 1
}

// Terminal reports whether e ends the job.
func (e *JobEvent) Terminal() bool {
	return e.Type == EventEnd || e.Type == EventError && !e.Retriable
}

// MarshalJSON writes the fields of e's type and no others, with zero
// values kept (a first token has "i":0).
func (e JobEvent) MarshalJSON() ([]byte, error) {
	switch e.Type {
	case EventStarted:
		return json.Marshal(struct {
			Type     string `json:"type"`
			JobID    string `json:"job_id"`
			WorkerID string `json:"worker_id"`
			Model    string `json:"model"`
			Attempt  int    `json:"attempt"`
			QueueMS  int64  `json:"queue_ms"`
		}{e.Type, e.JobID, e.WorkerID, e.Model, e.Attempt, e.QueueMS})
	case EventToken:
		return json.Marshal(struct {
			Type    string  `json:"type"`
			JobID   string  `json:"job_id"`
			I       int     `json:"i"`
			T       string  `json:"t"`
			ID      int32   `json:"id"`
			IDs     []int32 `json:"ids,omitempty"`
			Attempt int     `json:"attempt"`
		}{e.Type, e.JobID, e.I, e.T, e.ID, e.IDs, e.Attempt})
	case EventEnd:
		t := e.Timings
		if t == nil {
			t = &Timings{}
		}
		return json.Marshal(struct {
			Type         string   `json:"type"`
			JobID        string   `json:"job_id"`
			StopReason   string   `json:"stop_reason"`
			TokensIn     int      `json:"tokens_in"`
			TokensOut    int      `json:"tokens_out"`
			TokensCached int      `json:"tokens_cached,omitempty"`
			Timings      *Timings `json:"timings"`
			Attempt      int      `json:"attempt"`
		}{e.Type, e.JobID, e.StopReason, e.TokensIn, e.TokensOut, e.TokensCached, t, e.Attempt})
	case EventError:
		return json.Marshal(struct {
			Type      string `json:"type"`
			JobID     string `json:"job_id"`
			Code      string `json:"code"`
			Message   string `json:"message"`
			Retriable bool   `json:"retriable"`
			Attempt   int    `json:"attempt"`
		}{e.Type, e.JobID, e.Code, e.Message, e.Retriable, e.Attempt})
	}
	return nil, fmt.Errorf("consumer: unknown event type %q", e.Type)
}

// ms converts a duration to float milliseconds for timings.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
