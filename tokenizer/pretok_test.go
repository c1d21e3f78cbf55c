package tokenizer

import (
	"slices"
	"testing"
)

func splitWords(passes []pass, s string) []string {
	var t cpText
	t.decode(s)
	var bufs [2][]span
	var words []string
	for _, sp := range split(&t, passes, &bufs) {
		words = append(words, t.word(sp))
	}
	return words
}

// TestPreTokenizerSplits covers pre-tokenizers that no vector file
// exercises, with splits worked out by hand from llama.cpp's regexes.
func TestPreTokenizerSplits(t *testing.T) {
	for _, tc := range []struct {
		pre, text string
		want      []string
	}{
		// [\p{P}$+<=>^~|]+, then GPT-2, then \p{N}+, then [0-9]{3}.
		{"default", "Hello, world!! 12345 $5", []string{"Hello", ",", " world", "!!", " ", "123", "45", " ", "$", "5"}},
		// \p{N} first, then GPT-2.
		{"starcoder", "abc 123 x", []string{"abc", " ", "1", "2", "3", " x"}},
		{"gpt-2", "I've  got\t\tit 42x", []string{"I", "'ve", " ", " got", "\t", "\t", "it", " 42", "x"}},
		{"llama-bpe", "I'VE 12345\r\n\n  end", []string{"I", "'VE", " ", "123", "45", "\r\n\n", " ", " end"}},
		{"qwen2", "x=12 ", []string{"x", "=", "1", "2", " "}},
		// [\r\n], \s?\p{L}+, \s?\p{P}+, CJK, \p{N}.
		{"deepseek-coder", "ab 中文x, 12\n", []string{"ab", " ", "中文", "x", ",", " ", "1", "2", "\n"}},
		// \s+$ keeps trailing spaces of a chunk together.
		{"deepseek-llm", "hi  \nok", []string{"hi", "  ", "\n", "ok"}},
	} {
		p, ok := preTokenizers[tc.pre]
		if !ok {
			t.Fatalf("no pre-tokenizer %q", tc.pre)
		}
		if got := splitWords(p.passes, tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q:\n got  %q\n want %q", tc.pre, tc.text, got, tc.want)
		}
	}
}
