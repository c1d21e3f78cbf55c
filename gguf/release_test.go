package gguf

import (
	"bytes"
	"os"
	"testing"
)

// TestRelease checks that releasing a mapped tensor's pages keeps its
// data intact (the pages come back from the file when read again), and
// that releasing a tensor of a file held in memory, or of another file,
// changes nothing.
func TestRelease(t *testing.T) {
	const rel = "models/tiny-llama-gqa-q4_0-pure.gguf"
	f := openFixture(t, rel)
	raw, err := os.ReadFile(fixture(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	mem, err := NewFileBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Tensors {
		tm, tf := &mem.Tensors[i], &f.Tensors[i]
		before := bytes.Clone(tf.Data)
		f.Release(tf)
		mem.Release(tm)
		f.Release(tm) // not f's: ignored
		if !bytes.Equal(tf.Data, before) || !bytes.Equal(tm.Data, before) {
			t.Fatalf("tensor %s changed after Release", tf.Name)
		}
	}
	f.Release(nil)
}
