package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/gguf"
)

func TestSchedFlagsParse(t *testing.T) {
	fs, f := newServeFlags(io.Discard)
	if err := parseWithEnv(fs, []string{"--model", "m.gguf"}); err != nil {
		t.Fatal(err)
	}
	if f.eng.Sched != (engine.SchedOptions{}) {
		t.Fatalf("unset flags gave %+v, want the zero options (engine defaults)", f.eng.Sched)
	}

	fs, f = newServeFlags(io.Discard)
	if err := parseWithEnv(fs, []string{"--model", "m.gguf", "--prefill-chunk", "8", "--idle-prefill", "0x40", "--kv-cells", "300", "--prompt-cache=false"}); err != nil {
		t.Fatal(err)
	}
	if want := (engine.SchedOptions{PrefillChunk: 8, IdlePrefill: 64, KVCells: 300, NoPromptCache: true}); f.eng.Sched != want {
		t.Fatalf("flags gave %+v, want %+v", f.eng.Sched, want)
	}

	t.Setenv("ORCD_PREFILL_CHUNK", "12")
	t.Setenv("ORCD_KV_CELLS", "1000")
	fs, f = newServeFlags(io.Discard)
	if err := parseWithEnv(fs, []string{"--model", "m.gguf", "--kv-cells", "500"}); err != nil {
		t.Fatal(err)
	}
	if want := (engine.SchedOptions{PrefillChunk: 12, KVCells: 500}); f.eng.Sched != want {
		t.Fatalf("environment gave %+v, want %+v (the command line wins)", f.eng.Sched, want)
	}

	for env, off := range map[string]bool{"false": true, "0": true, "true": false} {
		t.Run("ORCD_PROMPT_CACHE="+env, func(t *testing.T) {
			t.Setenv("ORCD_PROMPT_CACHE", env)
			fs, f := newServeFlags(io.Discard)
			if err := parseWithEnv(fs, []string{"--model", "m.gguf"}); err != nil || f.eng.Sched.NoPromptCache != off {
				t.Fatalf("NoPromptCache %v, %v", f.eng.Sched.NoPromptCache, err)
			}
		})
	}
	fs, f = newServeFlags(io.Discard)
	if err := parseWithEnv(fs, []string{"--model", "m.gguf", "--prompt-cache"}); err != nil || f.eng.Sched.NoPromptCache {
		t.Fatalf("--prompt-cache: NoPromptCache %v, %v", f.eng.Sched.NoPromptCache, err)
	}

	g, err := parseGenerateFlags([]string{"--model", "m.gguf", "--prompt", "x", "--idle-prefill", "16"}, io.Discard)
	if err != nil || g.Sched != (engine.SchedOptions{IdlePrefill: 16}) {
		t.Fatalf("generate --idle-prefill 16: %+v %v", g.Sched, err)
	}
	if g.KVType != gguf.TypeF32 || g.KVTypeSet {
		t.Fatalf("generate: KV cache %v (given: %v) by default, want F32 not given (CUDA then keeps F16)", g.KVType, g.KVTypeSet)
	}
	t.Setenv("ORCD_KV_TYPE", "F16")
	fs, f = newServeFlags(io.Discard)
	if err := parseWithEnv(fs, []string{"--model", "m.gguf"}); err != nil || f.eng.KVType != gguf.TypeF16 || !f.eng.KVTypeSet {
		t.Fatalf("ORCD_KV_TYPE=F16: KV cache %v (given: %v), %v", f.eng.KVType, f.eng.KVTypeSet, err)
	}
}

func TestSchedFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--model", "m.gguf", "--prefill-chunk", "-1"}, "-prefill-chunk: must be 0 or more"},
		{[]string{"serve", "--model", "m.gguf", "--idle-prefill", "-512"}, "-idle-prefill: must be 0 or more"},
		{[]string{"serve", "--model", "m.gguf", "--kv-cells", "-3"}, "-kv-cells: must be 0 or more"},
		{[]string{"serve", "--model", "m.gguf", "--kv-cells", "lots"}, "-kv-cells: not a whole number"},
		{[]string{"serve", "--model", "m.gguf", "--kv-type", "q8_0"}, "-kv-type: want f32 or f16"},
		{[]string{"serve", "--model", "m.gguf", "--prompt-cache=maybe"}, "-prompt-cache: want true or false"},
		{[]string{"generate", "--model", "m.gguf", "--prompt", "x", "--kv-type", "f8"}, "-kv-type: want f32 or f16"},
		{[]string{"generate", "--model", "m.gguf", "--prompt", "x", "--idle-prefill", "-1"}, "-idle-prefill: must be 0 or more"},
		// One job never has another decoding beside it.
		{[]string{"generate", "--model", "m.gguf", "--prompt", "x", "--prefill-chunk", "8"}, "-prefill-chunk"},
	} {
		code, _, errOut := runWorker(c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 mentioning %q", c.args, code, errOut, c.want)
		}
	}
	t.Setenv("ORCD_KV_CELLS", "-1")
	if code, _, errOut := runWorker("serve", "--model", "m.gguf"); code != 2 || !strings.Contains(errOut, "ORCD_KV_CELLS") || !strings.Contains(errOut, "0 or more") {
		t.Errorf("ORCD_KV_CELLS=-1: exit %d %q", code, errOut)
	}
}

// TestKVCellsReachesScheduler goes through openEngine: a job that cannot
// fit in --kv-cells is refused with the budget the flag set.
func TestKVCellsReachesScheduler(t *testing.T) {
	fs, f := newServeFlags(io.Discard)
	model := sharedFile(t, "models/stories260K.gguf")
	if err := parseWithEnv(fs, []string{"--model", model, "--engine", "cpu", "--threads", "2", "--context", "128", "--kv-cells", "50"}); err != nil {
		t.Fatal(err)
	}
	e, err := openEngine(f.eng)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Generate(context.Background(), &engine.Request{Prompt: "Once upon a time", MaxTokens: 60}, func(engine.Token) error { return nil })
	if !errors.Is(err, engine.ErrKVCacheTooSmall) || !strings.Contains(err.Error(), "budget is 50") {
		t.Fatalf("a job over --kv-cells 50: %v", err)
	}
}

// stepRecorder counts each sequence's tokens in every forward step.
type stepRecorder struct {
	engine.Backend
	mu    sync.Mutex
	steps []map[int32]int
}

func (r *stepRecorder) Forward(ctx context.Context, b *engine.Batch, logits []float32) error {
	step := map[int32]int{}
	for _, s := range b.Seq {
		step[s]++
	}
	r.mu.Lock()
	r.steps = append(r.steps, step)
	r.mu.Unlock()
	return r.Backend.Forward(ctx, b, logits)
}

// TestPrefillChunkReachesScheduler: with --prefill-chunk 5, a long prompt
// arriving while another job decodes is prefilled 5 tokens a step (the
// default would take it in one step of 32).
func TestPrefillChunkReachesScheduler(t *testing.T) {
	const chunk = 5
	fs, fl := newServeFlags(io.Discard)
	model := sharedFile(t, "models/stories260K.gguf")
	if err := parseWithEnv(fs, []string{"--model", model, "--engine", "cpu", "--threads", "2", "--slots", "2", "--context", "256", "--prefill-chunk", "5"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := engine.LoadModel(f)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := loadTokenizer(f)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := chooseEngine(fl.eng)
	b, err := newBackend(m, fl.eng, name)
	if err != nil {
		t.Fatal(err)
	}
	rec := &stepRecorder{Backend: b}
	g := fl.eng.newGenerator(rec, tok, m.Config.NVocab, engine.Info{})
	defer g.Close()

	long, err := tok.Encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her big red ball.", true, false)
	if err != nil || len(long) < 4*chunk {
		t.Fatalf("long prompt: %d tokens, %v; want at least %d", len(long), err, 4*chunk)
	}
	// A decodes until B is done, so all of B's prefill runs beside it.
	ctx, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	var wg sync.WaitGroup
	var errB error
	n := 0
	_, errA := g.Generate(ctx, &engine.Request{Prompt: "Lily", IgnoreEOS: true}, func(engine.Token) error {
		if n++; n == 2 {
			wg.Go(func() {
				_, errB = g.Generate(context.Background(), &engine.Request{Tokens: long, MaxTokens: 1}, func(engine.Token) error { return nil })
				cancelA()
			})
		}
		return nil
	})
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("A: %v, B: %v", errA, errB)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	seqA := int32(-1)
	for s := range rec.steps[0] {
		seqA = s
	}
	most, shared := 0, 0
	for _, step := range rec.steps {
		for s, k := range step {
			if s != seqA && step[seqA] > 0 {
				most, shared = max(most, k), shared+1
			}
		}
	}
	if want := (len(long) + chunk - 1) / chunk; most != chunk || shared < want {
		t.Fatalf("B's prefill beside A: at most %d tokens a step over %d steps; want %d over at least %d", most, shared, chunk, want)
	}
}

// TestNoRepack: --no-repack and ORCD_NO_REPACK set the option that
// newBackend hands the CPU backend as KeepLayout (engine/cpu's
// TestKeepLayout checks what that does).
func TestNoRepack(t *testing.T) {
	g, err := parseGenerateFlags([]string{"--model", "m.gguf", "--prompt", "x"}, io.Discard)
	if err != nil || g.NoRepack {
		t.Fatalf("generate: NoRepack %v by default, %v", g.NoRepack, err)
	}
	g, err = parseGenerateFlags([]string{"--model", "m.gguf", "--prompt", "x", "--no-repack"}, io.Discard)
	if err != nil || !g.NoRepack {
		t.Fatalf("generate --no-repack: NoRepack %v, %v", g.NoRepack, err)
	}
	t.Setenv("ORCD_NO_REPACK", "true")
	fs, f := newServeFlags(io.Discard)
	if err := parseWithEnv(fs, []string{"--model", "m.gguf"}); err != nil || !f.eng.NoRepack {
		t.Fatalf("ORCD_NO_REPACK=true: NoRepack %v, %v", f.eng.NoRepack, err)
	}
}
