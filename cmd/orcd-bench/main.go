// Command orcd-bench is `make bench`: it generates 1B-shaped benchmark
// models (random weights, Llama 3 vocab) on first use, measures prefill,
// decode, time to first token and peak memory of the CPU backend on each,
// and prints one table with the ratio to the previous saved run.
//
// Each model runs in a child process (the same binary with -one), so that
// peak RSS is that model's alone.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orcd/orcd/engine/kernels"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "orcd-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	cache, vocab, quants, one string
	cpuprofile, isa           string
	threads, prompt, gen      int
}

func run(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("orcd-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cache, "cache", ".cache/bench", "directory for generated models and saved results")
	fs.StringVar(&o.vocab, "vocab", "../shared/testdata/vocab/ggml-vocab-llama-bpe.gguf", "GGUF file whose tokenizer the models carry")
	fs.StringVar(&o.quants, "quants", "Q8_0,Q4_0,Q4_K", "comma-separated model quantizations: Q8_0, Q4_0, Q4_K, F16, BF16, Q5_K, Q6_K, Q3_K, Q2_K, Q5_0, Q4_1, Q5_1, IQ4_NL, IQ4_XS, IQ3_S, IQ3_XXS, IQ2_S, IQ2_XS, IQ2_XXS, IQ1_M, IQ1_S")
	fs.IntVar(&o.threads, "threads", 2, "CPU threads")
	fs.IntVar(&o.prompt, "prompt", 512, "prompt tokens (prefill, one batch)")
	fs.IntVar(&o.gen, "gen", 128, "generated tokens (decode)")
	fs.StringVar(&o.one, "one", "", "internal: measure this model file and print JSON")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "with -one: write a CPU profile of the measurement here")
	fs.StringVar(&o.isa, "isa", "native", "CPU kernels: native (the fastest this CPU runs) or avx2 (those of a CPU with AVX2 but no AVX-512, to measure one on this machine)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.threads < 1 || o.prompt < 1 || o.gen < 1 {
		return errors.New("-threads, -prompt and -gen must be positive")
	}
	switch o.isa {
	case "native":
	case "avx2":
		if !kernels.UseAVX2Only() {
			return errors.New("-isa avx2: this CPU has no AVX2")
		}
	default:
		return fmt.Errorf("-isa %q: want native or avx2", o.isa)
	}
	if o.one != "" {
		runtime.GOMAXPROCS(o.threads)
		if o.cpuprofile != "" {
			f, err := os.Create(o.cpuprofile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		r, err := measure(o.one, o.threads, o.prompt, o.gen)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(r)
	}
	return benchAll(o, stdout, stderr)
}

func benchAll(o options, stdout, stderr io.Writer) error {
	var results []Result
	for _, name := range strings.Split(o.quants, ",") {
		q, ok := quantByName(strings.TrimSpace(name))
		if !ok {
			return fmt.Errorf("unknown quantization %q", name)
		}
		path, err := ensureModel(o, q, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "measuring %s (%d threads)...\n", q.Name, o.threads)
		r, err := measureChild(o, path)
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
		r.Model = "llama-1B " + q.Name
		results = append(results, r)
	}
	saved := filepath.Join(o.cache, "results.json")
	prev := loadResults(saved)
	printTable(stdout, results, prev)
	return saveResults(saved, results)
}

func quantByName(name string) (Quant, bool) {
	for _, q := range quants {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Quant{}, false
}

// ensureModel returns the cached file for q, generating it when missing.
func ensureModel(o options, q Quant, stderr io.Writer) (string, error) {
	path, err := modelPath(o.cache, o.vocab, q)
	if err != nil {
		return "", fmt.Errorf("vocab: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	start := time.Now()
	last := -1
	err = generate(path, o.vocab, llama1B, q, func(frac float64) {
		if pct := int(frac * 100); pct != last {
			last = pct
			bar := strings.Repeat("#", pct/4) + strings.Repeat(" ", 25-pct/4)
			fmt.Fprintf(stderr, "\rgenerating %s [%s] %3d%%", filepath.Base(path), bar, pct)
		}
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("generate %s: %w", q.Name, err)
	}
	fmt.Fprintf(stderr, "generated %s in %.1fs\n", path, time.Since(start).Seconds())
	return path, nil
}

func measureChild(o options, path string) (Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	cmd := exec.Command(exe, "-one", path, "-threads", fmt.Sprint(o.threads),
		"-prompt", fmt.Sprint(o.prompt), "-gen", fmt.Sprint(o.gen), "-isa", o.isa)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, err
	}
	var r Result
	if err := json.Unmarshal(out, &r); err != nil {
		return Result{}, fmt.Errorf("child output %q: %w", out, err)
	}
	return r, nil
}

func loadResults(path string) map[string]Result {
	m := map[string]Result{}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	var rs []Result
	if json.Unmarshal(b, &rs) == nil {
		for _, r := range rs {
			m[key(r)] = r
		}
	}
	return m
}

func saveResults(path string, rs []Result) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// key identifies comparable runs: same model, threads and sizes.
func key(r Result) string {
	return fmt.Sprintf("%s/t%d/pp%d/tg%d", r.Model, r.Threads, r.Prompt, r.Gen)
}

func printTable(w io.Writer, rs []Result, prev map[string]Result) {
	fmt.Fprintf(w, "CPU: %s, GOMAXPROCS per run = threads\n", cpuModel())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tthreads\tprefill tok/s\tdecode tok/s\tTTFT\tpeak RSS\tvs previous (prefill, decode)\t")
	if len(rs) > 0 {
		fmt.Fprintf(w, "prompt %d tokens in one batch; decode %d tokens; TTFT = the prompt's forward pass\n", rs[0].Prompt, rs[0].Gen)
	}
	for _, r := range rs {
		vs := "-"
		if p, ok := prev[key(r)]; ok && p.Prefill > 0 && p.Decode > 0 {
			vs = fmt.Sprintf("x%.2f, x%.2f", r.Prefill/p.Prefill, r.Decode/p.Decode)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2fs\t%s\t%s\t\n", r.Model, r.Threads, r.Prefill, r.Decode, r.TTFT, fmtBytes(r.PeakRSS), vs)
	}
	tw.Flush()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
