package consumer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeJobValid(t *testing.T) {
	body := `{"job_id":"a_B-9","prompt":"hi","max_tokens":16,"temperature":0,"top_k":5,"top_p":0.9,
		"min_p":0.1,"repetition_penalty":1.1,"presence_penalty":-1,"frequency_penalty":2,"seed":7,
		"stop":["\n\n","END"],"reply_to":"my.replies.x","deadline":"2030-01-02T03:04:05Z"}`
	j, err := DecodeJob([]byte(body), 512)
	if err != nil {
		t.Fatal(err)
	}
	req := j.Request()
	if req.Prompt != "hi" || req.MaxTokens != 16 || req.Sampling.Temperature != 0 || req.Sampling.TopK != 5 ||
		req.Sampling.Seed != 7 || len(req.Stop) != 2 || j.ReplyTo != "my.replies.x" ||
		!j.Deadline.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("decoded %+v request %+v", j, req)
	}
}

func TestJobDefaults(t *testing.T) {
	j, err := DecodeJob([]byte(`{"job_id":"x","messages":[{"role":"user","content":"hi"}]}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := j.Request(), j.Request()
	if a.Sampling.Temperature != DefaultTemperature || a.Sampling.TopK != DefaultTopK || a.Sampling.Seed == 0 ||
		a.Sampling.Seed != b.Sampling.Seed || len(a.Messages) != 1 {
		t.Errorf("defaults %+v", a)
	}
}

func TestDecodeJobInvalid(t *testing.T) {
	long := strings.Repeat("x", MaxPromptChars+1)
	cases := map[string]string{
		`not json`:                                      "malformed JSON",
		`{"job_id":"x","prompt":"p"} {}`:                "after the object",
		`{"prompt":"p"}`:                                "job_id",
		`{"job_id":"a b","prompt":"p"}`:                 "job_id",
		`{"job_id":"` + strings.Repeat("a", 129) + `"}`: "job_id",
		`{"job_id":"x"}`:                                "prompt or messages",
		`{"job_id":"x","prompt":"p","messages":[{"role":"user","content":"c"}]}`: "exclusive",
		`{"job_id":"x","prompt":"` + long + `"}`:                                 "prompt has",
		`{"job_id":"x","messages":[{"content":"c"}]}`:                            "role",
		`{"job_id":"x","prompt":"p","temperature":2.5}`:                          "temperature",
		`{"job_id":"x","prompt":"p","temperature":-0.1}`:                         "temperature",
		`{"job_id":"x","prompt":"p","top_p":1.5}`:                                "top_p",
		`{"job_id":"x","prompt":"p","min_p":-1}`:                                 "min_p",
		`{"job_id":"x","prompt":"p","top_k":-1}`:                                 "top_k",
		`{"job_id":"x","prompt":"p","presence_penalty":3}`:                       "presence_penalty",
		`{"job_id":"x","prompt":"p","max_tokens":513}`:                           "max_tokens",
		`{"job_id":"x","prompt":"p","max_tokens":-1}`:                            "max_tokens",
		`{"job_id":"x","prompt":"p","stop":["a","b","c","d","e"]}`:               "stop has 5",
		`{"job_id":"x","prompt":"p","stop":[""]}`:                                "stop[0]",
		`{"job_id":"x","prompt":"p","reply_to":"a.*"}`:                           "reply_to",
		`{"job_id":"x","prompt":"p","reply_to":"a..b"}`:                          "reply_to",
		`{"job_id":"x","prompt":"p","seed":-1}`:                                  "malformed JSON",
		`{"job_id":"x","prompt":"p","deadline":"tomorrow"}`:                      "malformed JSON",
		`{"job_id":"x","prompt":"p","colour":"red"}`:                             "colour",
	}
	for body, want := range cases {
		_, err := DecodeJob([]byte(body), 512)
		if !errors.Is(err, ErrInvalidJob) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: err = %v, want ErrInvalidJob naming %q", body, err, want)
		}
	}
}

func TestEventJSONFields(t *testing.T) {
	cases := []struct {
		ev   JobEvent
		want string
	}{
		{JobEvent{Type: EventStarted, JobID: "j", WorkerID: "w", Model: "m", Attempt: 1},
			`{"type":"started","job_id":"j","worker_id":"w","model":"m","attempt":1,"queue_ms":0}`},
		{JobEvent{Type: EventToken, JobID: "j", Attempt: 1, I: 0, T: "", ID: 5},
			`{"type":"token","job_id":"j","i":0,"t":"","id":5,"attempt":1}`},
		{JobEvent{Type: EventEnd, JobID: "j", Attempt: 2, StopReason: "eos", TokensIn: 3, TokensOut: 4},
			`{"type":"end","job_id":"j","stop_reason":"eos","tokens_in":3,"tokens_out":4,"timings":{"prefill_ms":0,"decode_ms":0,"decode_tok_s":0},"attempt":2}`},
		{JobEvent{Type: EventEnd, JobID: "j", Attempt: 1, StopReason: "max_tokens", TokensIn: 30, TokensOut: 4, TokensCached: 29},
			`{"type":"end","job_id":"j","stop_reason":"max_tokens","tokens_in":30,"tokens_out":4,"tokens_cached":29,"timings":{"prefill_ms":0,"decode_ms":0,"decode_tok_s":0},"attempt":1}`},
		{JobEvent{Type: EventError, JobID: "j", Attempt: 1, Code: CodeInvalidRequest, Message: "m"},
			`{"type":"error","job_id":"j","code":"INVALID_REQUEST","message":"m","retriable":false,"attempt":1}`},
	}
	for _, c := range cases {
		got, err := json.Marshal(c.ev)
		if err != nil || string(got) != c.want {
			t.Errorf("got %s %v\nwant %s", got, err, c.want)
		}
		var back JobEvent
		if err := json.Unmarshal(got, &back); err != nil || back.Type != c.ev.Type || back.JobID != "j" || back.TokensCached != c.ev.TokensCached {
			t.Errorf("round trip %s: %+v %v", got, back, err)
		}
	}
}

func TestSubjectsAndNames(t *testing.T) {
	s := NewSubjects("")
	if s.Jobs("Llama-3.2 1B") != "orcd.jobs.Llama-3_2_1B" || s.JobsStream() != "ORCD_JOBS" || s.EventsStream() != "ORCD_EVENTS" ||
		s.Events("j1") != "orcd.events.j1" || s.Cancel("j1") != "orcd.cancel.j1" || s.Heartbeat("w") != "orcd.workers.w.heartbeat" {
		t.Errorf("subjects %s %s %s", s.Jobs("Llama-3.2 1B"), s.JobsStream(), s.EventsStream())
	}
	if p := NewSubjects("team.a"); p.JobsStream() != "TEAM_A_JOBS" || !p.InEventsStream("team.a.events.x") || p.InEventsStream("orcd.events.x") {
		t.Errorf("prefix team.a: %s", p.JobsStream())
	}
}

// FuzzDecodeJob: every input yields a valid job or an ErrInvalidJob, never
// a panic; a job that passes survives a JSON round trip still valid.
func FuzzDecodeJob(f *testing.F) {
	f.Add([]byte(`{"job_id":"a","prompt":"p","max_tokens":3,"temperature":1,"stop":["x"]}`))
	f.Add([]byte(`{"job_id":"b","messages":[{"role":"user","content":"hi"}],"seed":1,"deadline":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"job_id":"c","prompt":"p","reply_to":"x.y","top_p":0.5,"min_p":0.1,"top_k":3}`))
	f.Add([]byte(`{"job_id":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := DecodeJob(data, 4096)
		if err != nil {
			if !errors.Is(err, ErrInvalidJob) {
				t.Fatalf("error %v does not wrap ErrInvalidJob", err)
			}
			if !namesField(err.Error()) {
				t.Fatalf("error %q names no field", err)
			}
			return
		}
		out, err := json.Marshal(j)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := DecodeJob(out, 4096); err != nil {
			t.Fatalf("valid job %s fails after a round trip: %v", out, err)
		}
		_ = j.Request()
	})
}

// namesField: an INVALID_REQUEST message says which field is wrong, or
// that the body is not JSON at all.
func namesField(msg string) bool {
	for _, f := range []string{"malformed JSON", "job_id", "prompt", "messages", "max_tokens", "temperature", "top_k", "top_p",
		"min_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "seed", "stop", "reply_to", "deadline"} {
		if strings.Contains(msg, f) {
			return true
		}
	}
	return false
}
