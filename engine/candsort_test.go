package engine

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestSortCandidates checks the radix sort against the comparator it
// replaces (logit descending, ties by lower id) on random logits with many
// ties, both zeros, negatives, infinities and subnormals.
func TestSortCandidates(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-45, -1e-45, math.MaxFloat32, -math.MaxFloat32}
	for _, n := range []int{0, 1, 2, 7, 300, 5000} {
		c := make([]candidate, n)
		for i := range c {
			var l float32
			switch r.IntN(4) {
			case 0:
				l = float32(r.IntN(5) - 2) // many ties
			case 1:
				l = special[r.IntN(len(special))]
			default:
				l = float32(r.NormFloat64() * 10)
			}
			c[i] = candidate{id: int32(i), logit: l}
		}
		want := append([]candidate(nil), c...)
		sort.SliceStable(want, func(a, b int) bool { return want[a].logit > want[b].logit })
		sortCandidates(c, make([]uint64, n), make([]uint64, n), make([]candidate, n))
		for i := range c {
			if c[i].id != want[i].id {
				t.Fatalf("n=%d: position %d holds id %d (%v), want id %d (%v)", n, i, c[i].id, c[i].logit, want[i].id, want[i].logit)
			}
		}
	}
}

// BenchmarkSample draws from a Llama 3 sized vocabulary with the
// parameters clients send most: llama.cpp's defaults (top_k 40) and
// OpenAI-style top_p alone, which sorts every candidate.
func BenchmarkSample(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, 128256)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 3)
	}
	buf := make([]float32, len(logits))
	for _, c := range []struct {
		name string
		p    SamplingParams
	}{
		{"topk40-topp0.95", SamplingParams{Temperature: 0.8, TopK: 40, TopP: 0.95, Seed: 1}},
		{"topp0.9", SamplingParams{Temperature: 0.8, TopP: 0.9, Seed: 1}},
		{"temperature", SamplingParams{Temperature: 1, Seed: 1}},
		{"greedy", SamplingParams{}},
	} {
		s := NewSampler(c.p)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				copy(buf, logits)
				s.Sample(buf)
			}
		})
	}
}
