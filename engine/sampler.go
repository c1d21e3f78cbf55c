package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// defaultRepeatLastN is the penalty window when RepeatLastN is 0 (as
// llama.cpp's default).
const defaultRepeatLastN = 64

// Sampler picks the next token from a row of logits. The chain follows
// llama.cpp's default order: penalties, top-k, top-p, min-p, temperature,
// then a draw from the remaining distribution with a seeded generator, so
// the same seed and logits give the same tokens. At temperature 0 it is
// greedy: the highest (penalized) logit, ties going to the lowest id.
type Sampler struct {
	p       SamplingParams
	rng     *rand.Rand
	history []int32       // the last RepeatLastN accepted tokens
	counts  map[int32]int // occurrences of each token in history
	cand    []candidate   // scratch, reused across calls
	keys    [2][]uint64   // sortCandidates' scratch
	sorted  []candidate   // sortCandidates' scratch
}

type candidate struct {
	id    int32
	logit float32
	prob  float32
}

// ValidateSampling reports parameters no sampler can honour.
func ValidateSampling(p SamplingParams) error {
	bad := func(name string, v any) error {
		return fmt.Errorf("%w: sampling %s = %v", ErrInvalidRequest, name, v)
	}
	switch {
	case !(p.Temperature >= 0) || math.IsInf(float64(p.Temperature), 0):
		return bad("temperature", p.Temperature)
	case p.TopK < 0:
		return bad("top_k", p.TopK)
	case !(p.TopP >= 0 && p.TopP <= 1):
		return bad("top_p", p.TopP)
	case !(p.MinP >= 0 && p.MinP <= 1):
		return bad("min_p", p.MinP)
	case !(p.RepeatPenalty >= 0) || math.IsInf(float64(p.RepeatPenalty), 0):
		return bad("repeat_penalty", p.RepeatPenalty)
	case p.RepeatLastN < 0:
		return bad("repeat_last_n", p.RepeatLastN)
	case math.IsNaN(float64(p.PresencePenalty)) || math.IsNaN(float64(p.FrequencyPenalty)):
		return bad("presence/frequency penalty", "NaN")
	}
	return nil
}

// NewSampler returns a sampler for p (which should pass ValidateSampling).
func NewSampler(p SamplingParams) *Sampler {
	if p.RepeatLastN == 0 {
		p.RepeatLastN = defaultRepeatLastN
	}
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)),
		counts: map[int32]int{}}
}

// Accept records a token (prompt or generated) for the penalties.
func (s *Sampler) Accept(tok int32) {
	s.history = append(s.history, tok)
	s.counts[tok]++
	if len(s.history) > s.p.RepeatLastN {
		old := s.history[0]
		s.history = s.history[1:]
		if s.counts[old]--; s.counts[old] == 0 {
			delete(s.counts, old)
		}
	}
}

// Sample chooses a token from logits, which it modifies (penalties).
func (s *Sampler) Sample(logits []float32) int32 {
	s.penalize(logits)
	if s.p.Temperature <= 0 {
		return greedy(logits)
	}
	c := s.candidates(logits)
	c = topK(c, s.p.TopK)
	c = topP(c, s.p.TopP)
	c = minP(c, s.p.MinP)
	for i := range c {
		c[i].logit /= s.p.Temperature
	}
	softmaxCand(c)
	r := s.rng.Float32()
	var cum float32
	for _, x := range c {
		cum += x.prob
		if r < cum {
			return x.id
		}
	}
	return c[len(c)-1].id // r landed in the rounding gap above cum
}

// penalize applies the repetition (divide positive logits, multiply
// negative ones), frequency (per occurrence) and presence penalties.
func (s *Sampler) penalize(logits []float32) {
	rep := s.p.RepeatPenalty
	if (rep == 0 || rep == 1) && s.p.FrequencyPenalty == 0 && s.p.PresencePenalty == 0 {
		return
	}
	for tok, n := range s.counts {
		if tok < 0 || int(tok) >= len(logits) {
			continue
		}
		l := logits[tok]
		if rep != 0 && rep != 1 {
			if l > 0 {
				l /= rep
			} else {
				l *= rep
			}
		}
		logits[tok] = l - float32(float32(n)*s.p.FrequencyPenalty) - s.p.PresencePenalty
	}
}

// greedy is the argmax, ties going to the lowest id.
func greedy(logits []float32) int32 {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return int32(best)
}

// candidates lists every token sorted by logit, best first (ties: lower
// id first, so the order, and hence the draw, is deterministic).
func (s *Sampler) candidates(logits []float32) []candidate {
	c := s.cand[:0]
	for i, l := range logits {
		c = append(c, candidate{id: int32(i), logit: l})
	}
	s.cand = c
	if s.p.TopK > 0 && s.p.TopK < len(c) {
		// Partial selection: the k best, already in order.
		return selectTop(c, s.p.TopK)
	}
	if cap(s.sorted) < len(c) {
		s.sorted = make([]candidate, len(c))
		s.keys = [2][]uint64{make([]uint64, len(c)), make([]uint64, len(c))}
	}
	sortCandidates(c, s.keys[0], s.keys[1], s.sorted)
	return c
}

// selectTop returns the k best candidates, best first, keeping a sorted
// buffer of k: linear in the vocabulary for the usual small k. c is in id
// order, so a later equal logit never displaces an earlier one.
func selectTop(c []candidate, k int) []candidate {
	top := make([]candidate, 0, k+1)
	for _, x := range c {
		if len(top) == k && x.logit <= top[k-1].logit {
			continue
		}
		j := sort.Search(len(top), func(j int) bool { return top[j].logit < x.logit })
		top = append(top, candidate{})
		copy(top[j+1:], top[j:])
		top[j] = x
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

func topK(c []candidate, k int) []candidate {
	if k > 0 && k < len(c) {
		return c[:k]
	}
	return c
}

// topP keeps the smallest prefix whose probability reaches p.
func topP(c []candidate, p float32) []candidate {
	if p <= 0 || p >= 1 {
		return c
	}
	softmaxCand(c)
	var cum float32
	for i, x := range c {
		cum += x.prob
		if cum >= p {
			return c[:i+1]
		}
	}
	return c
}

// minP keeps tokens whose probability is at least p times the best one's.
func minP(c []candidate, p float32) []candidate {
	if p <= 0 || len(c) == 0 {
		return c
	}
	cut := c[0].logit + float32(math.Log(float64(p)))
	for i, x := range c {
		if x.logit < cut {
			return c[:max(i, 1)]
		}
	}
	return c
}

// softmaxCand sets prob from logit over sorted candidates (best first).
func softmaxCand(c []candidate) {
	var sum float64
	for i := range c {
		e := math.Exp(float64(c[i].logit - c[0].logit))
		c[i].prob = float32(e)
		sum += e
	}
	for i := range c {
		c[i].prob = float32(float64(c[i].prob) / sum)
	}
}
