package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/gguf"
)

func sharedFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("../../../shared/testdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("missing ground-truth file %s: %v", p, err)
	}
	return p
}

func runWorker(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInspectSummary(t *testing.T) {
	code, out, errOut := runWorker("inspect", sharedFile(t, "models/stories260K.gguf"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Values from ../shared/testdata/models/README.md.
	for _, want := range []string{
		"architecture:    llama", "parameters:      292.8K (292800)", "quant mix:       F32 x48 (100.0% of bytes)",
		"context length:  2048", "embedding:       64", "layers:          5", "heads:           8",
		"kv heads:        4", "feed-forward:    172", "vocab size:      512 (llama)",
		"blk.4.ffn_down.weight", "[172, 64]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runWorker("inspect", sharedFile(t, "models/stories260K.gguf"), "--json")
	if code != 0 || !strings.HasPrefix(out, `{"version":3,`) {
		t.Errorf("flag after the file: exit %d, output %.40q", code, out)
	}
	_, out, _ = runWorker("inspect", sharedFile(t, "models/tiny-llama-gqa-q4_k_m.gguf"))
	if !strings.Contains(out, "Q4_K x13") || !strings.Contains(out, "Q6_K x3") || !strings.Contains(out, "F32 x5") {
		t.Errorf("quant mix of the Q4_K_M fixture is wrong:\n%s", out)
	}
}

func TestInspectJSON(t *testing.T) {
	path := sharedFile(t, "models/tiny-llama3-q8_0.gguf")
	code, out, errOut := runWorker("inspect", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Version  int                        `json:"version"`
		Metadata map[string]json.RawMessage `json:"metadata"`
		Tensors  []struct {
			Name   string   `json:"name"`
			Type   string   `json:"type"`
			Dims   []uint64 `json:"dims"`
			Offset *uint64  `json:"offset"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, out)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if doc.Version != 3 || len(doc.Metadata) != len(f.Metadata) || len(doc.Tensors) != len(f.Tensors) {
		t.Fatalf("version %d, %d keys (want %d), %d tensors (want %d)", doc.Version, len(doc.Metadata), len(f.Metadata), len(doc.Tensors), len(f.Tensors))
	}
	for i, tj := range doc.Tensors {
		ti := f.Tensors[i]
		if tj.Name != ti.Name || tj.Type != ti.Type.String() || tj.Offset == nil || *tj.Offset != ti.Offset || len(tj.Dims) != len(ti.Dims) {
			t.Errorf("tensor %d: %+v does not match %s %s %v %d", i, tj, ti.Name, ti.Type, ti.Dims, ti.Offset)
		}
	}
	var tokens struct {
		Type string   `json:"type"`
		Elem string   `json:"elem"`
		Len  int      `json:"len"`
		Head []string `json:"head"`
	}
	if err := json.Unmarshal(doc.Metadata["tokenizer.ggml.tokens"], &tokens); err != nil {
		t.Fatal(err)
	}
	if tokens.Type != "array" || tokens.Elem != "string" || tokens.Len != 128256 || len(tokens.Head) == 0 || len(tokens.Head) >= 128256 {
		t.Errorf("long token array shown as %+v", tokens)
	}
	var freq float64
	if err := json.Unmarshal(doc.Metadata["llama.rope.freq_base"], &freq); err != nil || freq != 500000 {
		t.Errorf("llama.rope.freq_base = %s", doc.Metadata["llama.rope.freq_base"])
	}
	if tokens.Head[0] != "!" {
		t.Errorf("first llama-bpe token is %q, want \"!\"", tokens.Head[0])
	}
}

// Short arrays are shown whole; every value type encodes.
func TestInspectJSONValueTypes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v.gguf")
	meta := []gguf.KV{
		{Key: "f", Value: gguf.MustValue(float32(0.1))},
		{Key: "nan", Value: gguf.MustValue(float32(math.NaN()))},
		{Key: "short", Value: gguf.MustValue([]int32{1, 2, 3})},
		{Key: "nested", Value: gguf.MustValue([]gguf.Array{{Elem: gguf.ValueString, Values: []string{"<a>"}}})},
		{Key: "b", Value: gguf.MustValue(true)},
	}
	if err := gguf.WriteFile(p, meta, nil); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runWorker("inspect", "--json", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{`"f":0.1`, `"short":[1,2,3]`, `"nested":[["<a>"]]`, `"b":true`, `"nan":"NaN"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// Unreadable input: one line on stderr, non-zero status, no panic.
func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.gguf")
	b, err := os.ReadFile(sharedFile(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(trunc, b[:5000], 0o644)
	garbage := filepath.Join(dir, "garbage.gguf")
	os.WriteFile(garbage, []byte("hello world, not a model"), 0o644)
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inspect", filepath.Join(dir, "missing.gguf")}, 1, "no such file"},
		{[]string{"inspect", trunc}, 1, "byte offset"},
		{[]string{"inspect", "--json", garbage}, 1, "not a GGUF file"},
		{[]string{"inspect", empty}, 1, "empty file"},
		{[]string{"inspect", dir}, 1, "inspect"},
		{[]string{"inspect"}, 2, "exactly one"},
		{[]string{"inspect", garbage, empty}, 2, "exactly one"},
		{[]string{"inspect", "--bogus", garbage}, 2, "bogus"},
	} {
		code, out, errOut := runWorker(c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
		if c.code == 1 && (strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "") {
			t.Errorf("%v: want one line on stderr and nothing on stdout, got %q / %q", c.args, errOut, out)
		}
	}
}
