package main

import (
	"errors"
	"flag"
	"strconv"
	"strings"

	"github.com/orcd/orcd/gguf"
)

// addSchedFlags binds the scheduler's knobs (engine.SchedOptions) to fs.
// Each is a count where 0 keeps the engine's default, so that an unset
// flag (or ORCD_* variable) changes nothing.
func addSchedFlags(fs *flag.FlagSet, o *engineOptions) {
	fs.Var((*countValue)(&o.Sched.PrefillChunk), "prefill-chunk",
		"most prompt `tokens` one step takes while other jobs decode; bounds their time between tokens (0: 32)")
	addIdlePrefillFlag(fs, o)
	fs.Var(promptCacheValue{&o.Sched.NoPromptCache}, "prompt-cache",
		"keep a slot's KV cache when its job ends, so that a later prompt starting with the same tokens (a system prompt, earlier chat turns) skips their prefill; the end event's tokens_cached counts them (false: clear slots)")
	fs.Var((*countValue)(&o.Sched.KVCells), "kv-cells",
		"KV cache `positions` running jobs may reserve together (prompt + max_tokens each): a job waits for room, one that never fits is refused (0: every slot's whole context)")
}

// addIdlePrefillFlag is the one knob that matters with a single job.
func addIdlePrefillFlag(fs *flag.FlagSet, o *engineOptions) {
	fs.Var((*countValue)(&o.Sched.IdlePrefill), "idle-prefill",
		"most prompt `tokens` one step takes when no job is decoding; at least --prefill-chunk (0: 512)")
}

// promptCacheValue is --prompt-cache, a bool flag (default true) stored
// as the engine's NoPromptCache, whose zero value is the default.
type promptCacheValue struct{ off *bool }

func (v promptCacheValue) IsBoolFlag() bool { return true }

func (v promptCacheValue) String() string {
	if v.off == nil {
		return "true"
	}
	return strconv.FormatBool(!*v.off)
}

func (v promptCacheValue) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v.off = !on
	return nil
}

// countValue is an int flag that refuses negative values, so the error
// names the flag (or its ORCD_* variable) before anything is loaded.
type countValue int

func (c *countValue) String() string { return strconv.Itoa(int(*c)) }

func (c *countValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < 0 {
		return errors.New("must be 0 or more (0 keeps the default)")
	}
	*c = countValue(n)
	return nil
}

// addKVTypeFlag binds --kv-type, the KV cache element type, and
// --no-repack, which keeps the CPU's weights in the file's layout.
func addKVTypeFlag(fs *flag.FlagSet, o *engineOptions) {
	fs.BoolVar(&o.NoRepack, "no-repack", false,
		"CPU: keep the weights as the file has them instead of repacking them for the kernels at load "+
			"(as llama.cpp's --no-repack): slower, and for the IQ1, IQ2 and IQ3 types less memory (without it they are repacked only where memory allows)")
	fs.Var(kvTypeValue{&o.KVType, &o.KVTypeSet}, "kv-type",
		"KV cache `type`: f32 (the goldens' cache) or f16 (llama.cpp's default: half the memory, and faster decode at long contexts, for keys and values rounded to f16). "+
			"Default f32 on the CPU, f16 on CUDA, where f32 (head_dim up to 128) makes decode llama.cpp's arithmetic step for step")
}

// kvTypeValue is a gguf.Type flag that takes f32 or f16, and notes that
// it was given (the engines' defaults differ).
type kvTypeValue struct {
	t   *gguf.Type
	set *bool
}

func (k kvTypeValue) String() string {
	if k.t != nil && *k.t == gguf.TypeF16 {
		return "f16"
	}
	return "f32"
}

func (k kvTypeValue) Set(s string) error {
	switch strings.ToLower(s) {
	case "f32":
		*k.t = gguf.TypeF32
	case "f16":
		*k.t = gguf.TypeF16
	default:
		return errors.New("want f32 or f16")
	}
	*k.set = true
	return nil
}
