package engine

import (
	"errors"
	"math"
	"testing"
)

func ln(p float64) float32 { return float32(math.Log(p)) }

func TestSamplerGreedyTiesLowestID(t *testing.T) {
	s := NewSampler(SamplingParams{})
	if got := s.Sample([]float32{1, 3, 2, 3}); got != 1 {
		t.Fatalf("greedy = %d, want 1 (lowest id among ties)", got)
	}
}

func TestSamplerSeedReproducible(t *testing.T) {
	logits := []float32{0.1, 0.5, 0.3, 0.2, 0.9, 0.0, 0.4, 0.6}
	run := func(seed uint64) []int32 {
		s := NewSampler(SamplingParams{Temperature: 1, Seed: seed})
		var out []int32
		for i := 0; i < 50; i++ {
			out = append(out, s.Sample(append([]float32(nil), logits...)))
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	same := func(x, y []int32) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatalf("same seed gave %v and %v", a, b)
	}
	if same(a, c) {
		t.Fatalf("seeds 7 and 8 gave the same 50 draws %v", a)
	}
}

func TestSamplerDistribution(t *testing.T) {
	s := NewSampler(SamplingParams{Temperature: 1, Seed: 1})
	n, ones := 20000, 0
	for i := 0; i < n; i++ {
		if s.Sample([]float32{ln(0.25), ln(0.75)}) == 1 {
			ones++
		}
	}
	if f := float64(ones) / float64(n); math.Abs(f-0.75) > 0.015 {
		t.Fatalf("token 1 drawn with frequency %.3f, want 0.75", f)
	}
}

func TestSamplerTemperatureSharpens(t *testing.T) {
	s := NewSampler(SamplingParams{Temperature: 0.1, Seed: 3})
	// p = 0.4/0.6 at T=1 becomes ~0.017/0.983 at T=0.1.
	zeros := 0
	for i := 0; i < 2000; i++ {
		if s.Sample([]float32{ln(0.4), ln(0.6)}) == 0 {
			zeros++
		}
	}
	if zeros > 80 || zeros == 0 {
		t.Fatalf("T=0.1: token 0 drawn %d/2000 times, want about 35", zeros)
	}
}

// allowed checks that only ids in want are ever drawn, and all of them are.
func allowed(t *testing.T, p SamplingParams, logits []float32, want ...int32) {
	t.Helper()
	s := NewSampler(p)
	seen := map[int32]bool{}
	for i := 0; i < 3000; i++ {
		seen[s.Sample(append([]float32(nil), logits...))] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("%+v drew %v, want exactly %v", p, seen, want)
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("%+v drew %v, want exactly %v", p, seen, want)
		}
	}
}

func TestSamplerFilters(t *testing.T) {
	logits := []float32{ln(0.1), ln(0.4), ln(0.05), ln(0.3), ln(0.15)}
	allowed(t, SamplingParams{Temperature: 1}, logits, 0, 1, 2, 3, 4)
	allowed(t, SamplingParams{Temperature: 1, TopK: 2}, logits, 1, 3)
	allowed(t, SamplingParams{Temperature: 1, TopK: 1}, logits, 1)
	// 0.4 + 0.3 = 0.7 >= 0.65: two tokens.
	allowed(t, SamplingParams{Temperature: 1, TopP: 0.65}, logits, 1, 3)
	// p >= 0.3 * 0.4 = 0.12 keeps 0.4, 0.3, 0.15.
	allowed(t, SamplingParams{Temperature: 1, MinP: 0.3}, logits, 1, 3, 4)
	allowed(t, SamplingParams{Temperature: 5, TopK: 3, TopP: 0.99, MinP: 0.01}, logits, 1, 3, 4)
}

func TestSamplerPenalties(t *testing.T) {
	// Repetition: positive logits are divided, negative multiplied.
	s := NewSampler(SamplingParams{RepeatPenalty: 2})
	s.Accept(0)
	s.Accept(2)
	l := []float32{3, 2, -1}
	s.Sample(l)
	if l[0] != 1.5 || l[1] != 2 || l[2] != -2 {
		t.Fatalf("repeat penalty gave %v, want [1.5 2 -2]", l)
	}
	// Greedy now prefers token 1.
	if got := s.Sample([]float32{3, 2, -1}); got != 1 {
		t.Fatalf("greedy with penalty = %d, want 1", got)
	}
	// Frequency counts occurrences, presence counts once.
	s = NewSampler(SamplingParams{FrequencyPenalty: 0.5, PresencePenalty: 0.25})
	s.Accept(1)
	s.Accept(1)
	l = []float32{0, 0}
	s.Sample(l)
	if l[0] != 0 || l[1] != -1.25 {
		t.Fatalf("frequency/presence gave %v, want [0 -1.25]", l)
	}
	// The window forgets old tokens.
	s = NewSampler(SamplingParams{RepeatPenalty: 2, RepeatLastN: 2})
	for _, tok := range []int32{0, 1, 1} {
		s.Accept(tok)
	}
	l = []float32{4, 4}
	s.Sample(l)
	if l[0] != 4 || l[1] != 2 {
		t.Fatalf("window 2 gave %v, want [4 2]", l)
	}
}

func TestValidateSampling(t *testing.T) {
	for _, p := range []SamplingParams{
		{Temperature: -1}, {TopK: -1}, {TopP: 1.5}, {MinP: -0.1},
		{RepeatPenalty: -1}, {RepeatLastN: -2}, {Temperature: float32(math.NaN())},
	} {
		if err := ValidateSampling(p); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%+v: error %v, want ErrInvalidRequest", p, err)
		}
	}
	if err := ValidateSampling(SamplingParams{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1}); err != nil {
		t.Fatal(err)
	}
}
