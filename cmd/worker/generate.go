package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/orcd/orcd/engine"
)

func init() {
	register("generate", "run one generation locally, without NATS", runGenerate)
}

// generateFlags are the flags of `worker generate`. Sampling defaults are
// llama.cpp's.
type generateFlags struct {
	engineOptions
	prompt    string
	maxTokens int
	sampling  engine.SamplingParams
	seed      int64
	ignoreEOS bool
	json      bool
}

func parseGenerateFlags(args []string, stderr io.Writer) (*generateFlags, error) {
	fs := newFlagSet("generate", stderr)
	g := &generateFlags{}
	fs.StringVar(&g.ModelPath, "model", "", "GGUF model `file` (required)")
	fs.StringVar(&g.prompt, "prompt", "", "prompt `text` (required); BOS is added as the vocab says, control tokens are parsed")
	fs.IntVar(&g.maxTokens, "max-tokens", 128, "stop after `N` generated tokens (0 = up to the end of the context)")
	temperature := fs.Float64("temperature", 0.8, "sampling temperature; 0 = greedy")
	fs.Int64Var(&g.seed, "seed", -1, "sampling seed; -1 = random")
	fs.IntVar(&g.sampling.TopK, "top-k", 40, "keep the `K` most likely tokens (0 = off)")
	topP := fs.Float64("top-p", 0.95, "nucleus sampling threshold (1 = off)")
	minP := fs.Float64("min-p", 0.05, "drop tokens below `P` times the best one's probability (0 = off)")
	repeat := fs.Float64("repeat-penalty", 1.0, "penalty for tokens among the last 64 (1 = off)")
	fs.IntVar(&g.Threads, "threads", 0, "worker threads (0 = all cores)")
	fs.IntVar(&g.Context, "ctx-size", 0, "context positions (0 = the model's, at most 4096)")
	fs.StringVar(&g.Engine, "engine", "auto", "engine: auto, cpu, cuda or metal")
	fs.StringVar(&g.CUDALib, "cuda-lib", "", "CUDA backend library (default $ORCD_CUDA_LIB, then liborcd_cuda.so beside the binary)")
	addIdlePrefillFlag(fs, &g.engineOptions)
	addKVTypeFlag(fs, &g.engineOptions)
	fs.BoolVar(&g.ignoreEOS, "ignore-eos", false, "keep generating through end-of-generation tokens")
	fs.BoolVar(&g.json, "json", false, "print one JSON object at the end instead of streaming text")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if g.ModelPath == "" || g.prompt == "" {
		fs.Usage()
		return nil, &exitError{code: 2, msg: "--model and --prompt are required"}
	}
	if fs.NArg() > 0 {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	g.sampling.Temperature = float32(*temperature)
	g.sampling.TopP, g.sampling.MinP = float32(*topP), float32(*minP)
	g.sampling.RepeatPenalty = float32(*repeat)
	g.sampling.Seed = uint64(g.seed)
	if g.seed < 0 {
		g.sampling.Seed = uint64(time.Now().UnixNano())
	}
	g.Slots = 1
	return g, nil
}

// generateOutput is the --json object.
type generateOutput struct {
	PromptTokens []int32         `json:"prompt_tokens"`
	Tokens       []int32         `json:"tokens"`
	Text         string          `json:"text"`
	StopReason   string          `json:"stop_reason"`
	Timings      generateTimings `json:"timings"`
}

type generateTimings struct {
	PrefillTokS float64 `json:"prefill_tok_s"`
	DecodeTokS  float64 `json:"decode_tok_s"`
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	fl, err := parseGenerateFlags(args, stderr)
	if err != nil {
		return err
	}
	g, tok, err := openGenerator(fl.engineOptions)
	if err != nil {
		return err
	}
	defer g.Close()
	prompt, err := tok.Encode(fl.prompt, true, true)
	if err != nil {
		return fmt.Errorf("tokenizing the prompt: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	out := generateOutput{PromptTokens: prompt, Tokens: []int32{}}
	if !fl.json {
		fmt.Fprint(stdout, fl.prompt)
	}
	req := &engine.Request{Tokens: prompt, MaxTokens: fl.maxTokens, Sampling: fl.sampling, IgnoreEOS: fl.ignoreEOS}
	res, err := g.Generate(ctx, req, func(t engine.Token) error {
		out.Tokens = append(out.Tokens, t.ID)
		if !fl.json {
			_, err := io.WriteString(stdout, t.Text)
			return err
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, engine.ErrPromptTooLong) {
			return fmt.Errorf("%w (raise --ctx-size)", err)
		}
		return err
	}
	out.Text, out.StopReason = res.Text, string(res.StopReason)
	if res.Prefill > 0 {
		out.Timings.PrefillTokS = float64(res.PromptTokens) / res.Prefill.Seconds()
	}
	out.Timings.DecodeTokS = res.DecodeTokPerSec()
	if fl.json {
		enc := json.NewEncoder(stdout)
		return enc.Encode(out)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stderr, "\n%d prompt tokens, %d generated (%s); prefill %.1f tok/s, decode %.1f tok/s\n",
		res.PromptTokens, res.OutputTokens, res.StopReason, out.Timings.PrefillTokS, out.Timings.DecodeTokS)
	return nil
}
