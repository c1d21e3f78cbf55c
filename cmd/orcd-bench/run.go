package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
)

// Result is one model's measurement, as saved between runs.
type Result struct {
	Model   string  `json:"model"`
	Threads int     `json:"threads"`
	Prompt  int     `json:"prompt_tokens"`
	Gen     int     `json:"gen_tokens"`
	Prefill float64 `json:"prefill_tok_s"` // prompt tokens per second, one batch
	Decode  float64 `json:"decode_tok_s"`  // generated tokens per second
	TTFT    float64 `json:"ttft_s"`        // prompt submitted -> first token's logits
	PeakRSS uint64  `json:"peak_rss_bytes"`
}

// measure loads path and runs a prompt of nPrompt tokens as one batch, then
// nGen greedy decode steps, like llama-bench's pp and tg tests.
func measure(path string, threads, nPrompt, nGen int) (Result, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	m, err := engine.LoadModel(f)
	if err != nil {
		return Result{}, err
	}
	b, err := cpu.New(m, cpu.Options{Threads: threads, Context: nPrompt + nGen + 1, MaxBatch: nPrompt})
	if err != nil {
		return Result{}, err
	}
	defer b.Close()
	nVocab := m.Config.NVocab
	logits := make([]float32, nVocab)
	ctx := context.Background()

	// Warm-up: one token pages every weight in from the file.
	if err := forward(ctx, b, []int32{1}, 0, logits); err != nil {
		return Result{}, err
	}
	b.ClearSeq(0)

	prompt := make([]int32, nPrompt)
	for i := range prompt {
		prompt[i] = int32((i*7919 + 13) % nVocab)
	}
	t0 := time.Now()
	if err := forward(ctx, b, prompt, 0, logits); err != nil {
		return Result{}, err
	}
	ttft := time.Since(t0)

	tok := argmax(logits)
	t1 := time.Now()
	for i := 0; i < nGen; i++ {
		if err := forward(ctx, b, []int32{tok}, nPrompt+i, logits); err != nil {
			return Result{}, err
		}
		tok = argmax(logits)
	}
	dec := time.Since(t1)
	return Result{
		Threads: threads,
		Prompt:  nPrompt,
		Gen:     nGen,
		Prefill: float64(nPrompt) / ttft.Seconds(),
		Decode:  float64(nGen) / dec.Seconds(),
		TTFT:    ttft.Seconds(),
		PeakRSS: peakRSS(),
	}, nil
}

// forward runs toks at positions pos.. of sequence 0, logits for the last.
func forward(ctx context.Context, b *cpu.Backend, toks []int32, pos int, logits []float32) error {
	n := len(toks)
	batch := &engine.Batch{Tokens: toks, Pos: make([]int32, n), Seq: make([]int32, n), Logits: make([]bool, n)}
	for i := range batch.Pos {
		batch.Pos[i] = int32(pos + i)
	}
	batch.Logits[n-1] = true
	return b.Forward(ctx, batch, logits)
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

// peakRSS is the process's high-water resident set (VmHWM), 0 if unknown.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func fmtBytes(n uint64) string {
	if n == 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}
