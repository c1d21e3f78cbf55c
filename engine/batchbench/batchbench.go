// Package batchbench drives any engine.Backend the way the scheduler does
// with N jobs decoding at once, without the scheduler: each sequence is
// prefilled on its own, then every decode step is one batch holding the
// next token of every sequence. It measures batched decode (aggregate
// tokens/s and the time of each step, which is every job's time between
// tokens) and checks that greedy decoding gives every sequence the same
// tokens batched as alone. The CPU tests and the CUDA checks on the GPU
// machine (cuda/gpucheck.sh) share it.
package batchbench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/orcd/orcd/engine"
)

// Prompt is sequence s's prompt of n tokens: ids spread over the vocab.
func Prompt(s, n, nVocab int) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32((s*7919 + i*104729 + 13) % nVocab)
	}
	return p
}

// Stats is one batched decode run.
type Stats struct {
	Seqs, Steps int
	AggTokPerS  float64       // tokens of all sequences per second of decode steps
	StepP50     time.Duration // median step: each sequence's time between tokens
	StepP99     time.Duration
}

// Decode prefills seqs sequences with prompts of prompt tokens, then runs
// steps decode steps of one token per sequence, greedy, and times the
// steps. The backend needs seqs sequences of prompt+steps positions.
func Decode(ctx context.Context, be engine.Backend, nVocab, seqs, prompt, steps int) (Stats, error) {
	if seqs < 1 || steps < 1 || prompt < 1 {
		return Stats{}, errors.New("batchbench: seqs, prompt and steps must be positive")
	}
	if seqs > be.MaxSeqs() || prompt+steps > be.Context() {
		return Stats{}, fmt.Errorf("batchbench: %d sequences of %d positions do not fit the backend (%d of %d)",
			seqs, prompt+steps, be.MaxSeqs(), be.Context())
	}
	s := stepper{be: be, nv: nVocab}
	next := make([]int32, seqs)
	for q := range seqs {
		if err := be.ClearSeq(int32(q)); err != nil {
			return Stats{}, err
		}
		tok, _, err := s.prefill(ctx, int32(q), Prompt(q, prompt, nVocab))
		if err != nil {
			return Stats{}, err
		}
		next[q] = tok
	}
	times := make([]time.Duration, steps)
	var total time.Duration
	for i := range steps {
		t0 := time.Now()
		if err := s.step(ctx, next, prompt+i, nil); err != nil {
			return Stats{}, err
		}
		times[i] = time.Since(t0)
		total += times[i]
	}
	slices.Sort(times)
	return Stats{Seqs: seqs, Steps: steps, AggTokPerS: float64(seqs*steps) / total.Seconds(),
		StepP50: times[len(times)/2], StepP99: times[len(times)*99/100]}, nil
}

// Divergence is where a sequence's batched greedy tokens first differ from
// its tokens alone, with the top-two logit margin at that step alone (a
// near-tie that float rounding may flip).
type Divergence struct {
	Seq, Step int
	Margin    float32
}

// Greedy decodes each prompt alone for steps tokens, then all of them in
// batches, and returns the tokens alone and every sequence whose batched
// tokens differ. It needs logits (nVocab each), not argmax, to report
// margins.
func Greedy(ctx context.Context, be engine.Backend, nVocab int, prompts [][]int32, steps int) ([][]int32, []Divergence, error) {
	s := stepper{be: be, nv: nVocab, logits: true}
	alone := make([][]int32, len(prompts))
	margins := make([][]float32, len(prompts))
	for q, p := range prompts {
		if err := be.ClearSeq(int32(q)); err != nil {
			return nil, nil, err
		}
		tok, m, err := s.prefill(ctx, int32(q), p)
		if err != nil {
			return nil, nil, err
		}
		alone[q], margins[q] = []int32{tok}, []float32{m}
		for i := 1; i < steps; i++ {
			one := []int32{tok}
			mg := make([]float32, 1)
			if err := s.stepSeqs(ctx, one, []int32{int32(q)}, []int32{int32(len(p) + i - 1)}, mg); err != nil {
				return nil, nil, err
			}
			tok = one[0]
			alone[q], margins[q] = append(alone[q], tok), append(margins[q], mg[0])
		}
	}
	batched := make([][]int32, len(prompts))
	next := make([]int32, len(prompts))
	for q, p := range prompts {
		if err := be.ClearSeq(int32(q)); err != nil {
			return nil, nil, err
		}
		tok, _, err := s.prefill(ctx, int32(q), p)
		if err != nil {
			return nil, nil, err
		}
		next[q], batched[q] = tok, []int32{tok}
	}
	seqs, pos := make([]int32, len(prompts)), make([]int32, len(prompts))
	for i := 1; i < steps; i++ {
		for q, p := range prompts {
			seqs[q], pos[q] = int32(q), int32(len(p)+i-1)
		}
		if err := s.stepSeqs(ctx, next, seqs, pos, nil); err != nil {
			return nil, nil, err
		}
		for q := range prompts {
			batched[q] = append(batched[q], next[q])
		}
	}
	var div []Divergence
	for q := range prompts {
		for i := range alone[q] {
			if alone[q][i] != batched[q][i] {
				div = append(div, Divergence{Seq: q, Step: i, Margin: margins[q][i]})
				break
			}
		}
	}
	return alone, div, nil
}

// stepper runs prefills and decode steps, with the backend's argmax when
// it has one and logits are not needed.
type stepper struct {
	be     engine.Backend
	nv     int
	logits bool // always compute logits (for margins)
	buf    []float32
}

// prefill runs prompt into seq and returns the greedy next token and its
// top-two margin (0 when only the argmax was computed).
func (s *stepper) prefill(ctx context.Context, seq int32, prompt []int32) (int32, float32, error) {
	bt := &engine.Batch{Tokens: prompt, Pos: make([]int32, len(prompt)), Seq: make([]int32, len(prompt)), Logits: make([]bool, len(prompt))}
	for i := range prompt {
		bt.Pos[i], bt.Seq[i] = int32(i), seq
	}
	bt.Logits[len(prompt)-1] = true
	toks := make([]int32, 1)
	mg := make([]float32, 1)
	if err := s.forward(ctx, bt, toks, mg); err != nil {
		return 0, 0, err
	}
	return toks[0], mg[0], nil
}

// step advances sequences 0..len(next)-1, all at position pos, by next
// and replaces next with their greedy successors.
func (s *stepper) step(ctx context.Context, next []int32, pos int, margins []float32) error {
	seqs, ps := make([]int32, len(next)), make([]int32, len(next))
	for q := range next {
		seqs[q], ps[q] = int32(q), int32(pos)
	}
	return s.stepSeqs(ctx, next, seqs, ps, margins)
}

func (s *stepper) stepSeqs(ctx context.Context, next, seqs, pos []int32, margins []float32) error {
	bt := &engine.Batch{Tokens: slices.Clone(next), Pos: pos, Seq: seqs, Logits: make([]bool, len(next))}
	for i := range bt.Logits {
		bt.Logits[i] = true
	}
	return s.forward(ctx, bt, next, margins)
}

// forward runs bt and writes each logit row's argmax to toks and, when
// margins is not nil, its top-two margin.
func (s *stepper) forward(ctx context.Context, bt *engine.Batch, toks []int32, margins []float32) error {
	if am, ok := s.be.(engine.Argmaxer); ok && margins == nil && !s.logits {
		return am.ForwardArgmax(ctx, bt, toks)
	}
	n := bt.NumLogits()
	if cap(s.buf) < n*s.nv {
		s.buf = make([]float32, n*s.nv)
	}
	out := s.buf[:n*s.nv]
	if err := s.be.Forward(ctx, bt, out); err != nil {
		return err
	}
	for r := range n {
		row := out[r*s.nv : (r+1)*s.nv]
		best, second := 0, -1
		for i, v := range row {
			if v > row[best] {
				best, second = i, best
			} else if i != best && (second < 0 || v > row[second]) {
				second = i
			}
		}
		toks[r] = int32(best)
		if margins != nil && second >= 0 {
			margins[r] = row[best] - row[second]
		}
	}
	return nil
}
