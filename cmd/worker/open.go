package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/orcd/orcd/cuda"
	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/cpu"
	"github.com/orcd/orcd/gguf"
	"github.com/orcd/orcd/tokenizer"
)

// engineOptions choose and configure the engine behind serve and generate.
type engineOptions struct {
	ModelPath string
	Engine    string              // auto, cpu, cuda, metal
	Threads   int                 // 0 = all cores
	Slots     int                 // concurrent sequences
	Context   int                 // 0 = the model's training context, capped
	CUDALib   string              // explicit path to the CUDA library
	KVType    gguf.Type           // KV cache: F32 (zero) or F16
	KVTypeSet bool                // --kv-type was given: CUDA's default is F16, not F32
	NoRepack  bool                // CPU: weights stay in the file's layout
	Sched     engine.SchedOptions // zero fields: the scheduler's defaults
}

// openEngine loads the model and starts the chosen backend.
func openEngine(opts engineOptions) (engine.Engine, error) {
	g, _, err := openGenerator(opts)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// openGenerator is openEngine that also returns the tokenizer, for
// commands that report token ids.
func openGenerator(opts engineOptions) (*modelGenerator, engine.Tokenizer, error) {
	switch opts.Engine {
	case "", "auto", "cpu", "cuda":
	case "metal":
		return nil, nil, fmt.Errorf("engine %q is not available in this build (use -engine cpu)", opts.Engine)
	default:
		return nil, nil, fmt.Errorf("unknown engine %q (want auto, cpu, cuda or metal)", opts.Engine)
	}
	if opts.ModelPath == "" {
		return nil, nil, errors.New("no model file given")
	}
	f, err := gguf.Open(opts.ModelPath)
	if err != nil {
		return nil, nil, err
	}
	g, tok, err := newCPUGenerator(f, opts)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", opts.ModelPath, err)
	}
	return g, tok, nil
}

func newCPUGenerator(f *gguf.File, opts engineOptions) (*modelGenerator, engine.Tokenizer, error) {
	m, err := engine.LoadModel(f)
	if err != nil {
		return nil, nil, err
	}
	tok, err := loadTokenizer(f)
	if err != nil {
		return nil, nil, err
	}
	engineName, cudaSkipped := chooseEngine(opts)
	b, err := newBackend(m, opts, engineName)
	if err != nil {
		return nil, nil, err
	}
	info := engine.Info{
		Model:  strings.TrimSuffix(filepath.Base(opts.ModelPath), ".gguf"),
		Arch:   m.Config.Arch,
		Quant:  m.Quant(),
		Engine: engineName,
	}
	return &modelGenerator{opts.newGenerator(b, tok, m.Config.NVocab, info), f, cudaSkipped}, tok, nil
}

// newGenerator serves b, whichever backend newBackend chose, with the
// scheduler options of opts.
func (opts engineOptions) newGenerator(b engine.Backend, tok engine.Tokenizer, nVocab int, info engine.Info) *engine.Generator {
	return engine.NewGeneratorWith(b, tok, nVocab, info, opts.Sched)
}

// chooseEngine resolves opts.Engine to "cuda" or "cpu". auto takes CUDA
// when its library (--cuda-lib, $ORCD_CUDA_LIB, or beside the binary)
// loads and sees a GPU, and the CPU otherwise, returning why CUDA was not
// taken: a user with a GPU should learn that the worker is not using it.
func chooseEngine(opts engineOptions) (string, error) {
	switch opts.Engine {
	case "cuda":
		return "cuda", nil
	case "auto", "":
		if err := cuda.Available(opts.CUDALib); err != nil {
			return "cpu", err
		}
		return "cuda", nil
	}
	return "cpu", nil
}

// newBackend starts the backend chooseEngine named; cuda without a
// library or a device is an error.
func newBackend(m *engine.Model, opts engineOptions, name string) (engine.Backend, error) {
	if name == "cuda" {
		return cuda.Open(m, cuda.Options{LibPath: opts.CUDALib, MaxSeqs: opts.Slots, Context: opts.Context,
			KVF32: opts.KVTypeSet && opts.KVType == gguf.TypeF32})
	}
	return cpu.New(m, cpu.Options{Threads: opts.Threads, MaxSeqs: opts.Slots, Context: opts.Context, KVType: opts.KVType, KeepLayout: opts.NoRepack})
}

// modelGenerator closes the model's mapping after the generator (and with
// it the backend), since the weights live in it. It wraps the generator
// rather than the backend so that every optional capability of the backend
// (engine.Argmaxer, engine.SeqTruncater) stays visible to the scheduler.
type modelGenerator struct {
	*engine.Generator
	f           *gguf.File
	cudaSkipped error // why --engine auto chose the CPU, nil otherwise
}

func (g *modelGenerator) Close() error {
	return errors.Join(g.Generator.Close(), g.f.Close())
}

// loadTokenizer builds the engine's tokenizer from the model's vocab.
func loadTokenizer(f *gguf.File) (engine.Tokenizer, error) {
	t, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	return vocab{t}, nil
}

// vocab adapts tokenizer.Tokenizer to engine.Tokenizer.
type vocab struct{ *tokenizer.Tokenizer }

// chatRenderer renders the chat templates of this process in a child
// process: a template comes from the model file, and one that recurses or
// allocates without end would otherwise take the worker down on every
// redelivery of the job (tokenizer.ChatRenderer). The child starts on the
// first chat job.
var chatRenderer = tokenizer.NewChatRenderer(tokenizer.ChatRendererOptions{})

func (v vocab) ApplyChatTemplate(msgs []engine.Message, addGeneration bool) (string, error) {
	tm := make([]tokenizer.Message, len(msgs))
	for i, m := range msgs {
		tm[i] = tokenizer.Message(m)
	}
	s, err := chatRenderer.Apply(v.Tokenizer, tm, addGeneration)
	if errors.Is(err, tokenizer.ErrNoChatTemplate) {
		err = fmt.Errorf("%w: %w", engine.ErrNoChatTemplate, err)
	}
	if errors.Is(err, tokenizer.ErrChatRendererUnavailable) {
		err = fmt.Errorf("%w: %w", engine.ErrTemplateUnavailable, err)
	}
	return s, err
}
