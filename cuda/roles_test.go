//go:build cgo

package cuda

import (
	"path/filepath"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

// TestTensorRoles checks, without a GPU, which tensors Open hands to the
// library under which role: fused phi3 tensors, qwen2 biases, qwen3 q/k
// norms, llama3 rope_freqs, and no separate LM head for tied models.
func TestTensorRoles(t *testing.T) {
	cases := []struct {
		model       string
		want, avoid []int // roles (ORCD_T_*) that must / must not appear
	}{
		{"stories260K.gguf", []int{roleOutput, roleWq, roleGate}, []int{roleWqkv, roleGateUp, roleBq, roleRopeFreqs}},
		{"tiny-phi3-q8_0.gguf", []int{roleOutput, roleWqkv, roleGateUp}, []int{roleWq, roleGate, roleUp}},
		{"tiny-qwen2-q8_0.gguf", []int{roleBq, roleBk, roleBv}, []int{roleOutput, roleQNorm}},
		{"tiny-qwen3-q8_0.gguf", []int{roleQNorm, roleKNorm}, []int{roleOutput, roleBq}},
		{"tiny-llama3-q8_0.gguf", []int{roleRopeFreqs}, []int{roleOutput}},
	}
	for _, c := range cases {
		f, err := gguf.Open(filepath.Join(testdata(t), "models", c.model))
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		m, err := engine.LoadModel(f)
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		seen := map[int]int{}
		var bytes uint64
		for _, r := range (&Backend{}).tensors(m) {
			seen[int(r.role)]++
			bytes += r.t.Size
		}
		for _, r := range c.want {
			if seen[r] == 0 {
				t.Errorf("%s: role %d not passed", c.model, r)
			}
		}
		for _, r := range c.avoid {
			if seen[r] != 0 {
				t.Errorf("%s: role %d passed %d times", c.model, r, seen[r])
			}
		}
		// Every tensor of the file but a tied model's absent head is uploaded once.
		var total uint64
		for _, ti := range f.Tensors {
			total += ti.Size
		}
		if bytes != total {
			t.Errorf("%s: %d bytes passed, the file's tensors hold %d", c.model, bytes, total)
		}
		f.Close()
	}
}
