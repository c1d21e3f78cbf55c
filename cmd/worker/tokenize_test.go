package main

import (
	"strings"
	"testing"
)

func TestTokenizeCommand(t *testing.T) {
	vocab := sharedFile(t, "vocab/ggml-vocab-llama-bpe.gguf")
	// "Hello world" is 9906 1917 in llama.cpp's test vectors; Llama 3 adds BOS.
	code, out, errOut := runWorker("tokenize", "--model", vocab, "Hello world")
	if code != 0 || out != "[128000,9906,1917]\n" {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	code, out, _ = runWorker("tokenize", "--model", vocab, "--no-bos", "Hello", "world")
	if code != 0 || out != "[9906,1917]\n" {
		t.Fatalf("--no-bos: exit %d out %q", code, out)
	}
	code, out, _ = runWorker("tokenize", "--model", vocab, "--special", "--no-bos", "<|eot_id|>")
	if code != 0 || out != "[128009]\n" {
		t.Fatalf("--special: exit %d out %q", code, out)
	}
	code, out, _ = runWorker("tokenize", "--model", vocab, "--decode", "9906", "1917")
	if code != 0 || out != "Hello world\n" {
		t.Fatalf("--decode: exit %d out %q", code, out)
	}
	code, out, _ = runWorker("tokenize", "--model", vocab, "--decode", "[128000,9906,1917]")
	if code != 0 || out != "Hello world\n" {
		t.Fatalf("--decode of a JSON array: exit %d out %q", code, out)
	}
}

func TestTokenizeCommandErrors(t *testing.T) {
	vocab := sharedFile(t, "vocab/ggml-vocab-gpt-2.gguf")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tokenize", "hi"}, "--model is required"},
		{[]string{"tokenize", "--model", vocab, "--decode", "99999999"}, "outside the vocabulary"},
		{[]string{"tokenize", "--model", vocab, "--decode", "x"}, "not a token id"},
		{[]string{"tokenize", "--model", "/nonexistent.gguf", "hi"}, "nonexistent"},
	} {
		code, _, errOut := runWorker(tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d stderr %q, want error containing %q", tc.args, code, errOut, tc.want)
		}
	}
}
