package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// The whole path on the CUDA backend: `worker serve --engine cuda` with 4
// slots, three greedy jobs at once over NATS (so decode steps batch them),
// each equal to llama.cpp's golden continuation, and a heartbeat that
// reports the device and its memory. It needs the library: on the GPU
// machine cuda/gpucheck.sh sets $ORCD_CUDA_LIB, and make test points it
// at the CPU emulator's build (make cuda-emu-test).
func TestServeCUDAEngine(t *testing.T) {
	lib := os.Getenv("ORCD_CUDA_LIB")
	if lib == "" {
		t.Skip("$ORCD_CUDA_LIB is not set: this test needs liborcd_cuda.so (make cuda-emu-test builds one for the CPU emulator)")
	}
	model := sharedFile(t, "models/stories260K.gguf")
	c := readGoldenPrompts(t, "stories260K.json").Cases[0]
	url, stop := startServe(t, model, "--engine", "cuda", "--cuda-lib", lib, "--slots", "4")
	defer stop()

	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errOut := runWorker("submit", "--nats-url", url, "--model", model, "--prompt", c.Prompt,
				"--temperature", "0", "--max-tokens", "48")
			if code != 0 || out != c.GeneratedText+"\n" {
				t.Errorf("job %d: exit %d\nstdout %q\nwant   %q\nstderr %s", i, code, out, c.GeneratedText+"\n", errOut)
			}
		}()
	}
	wg.Wait()

	w := waitWorker(t, url, 3)
	if w.Engine != "cuda" || w.Device == "" || w.VRAMTotal == 0 || w.VRAMUsed == 0 || w.VRAMUsed > w.VRAMTotal ||
		w.SlotsTotal != 4 || w.TokensGenerated < 144 || !w.Healthy {
		t.Errorf("worker record %+v", w)
	}
	if strings.Contains(w.Device, "emulator") {
		t.Logf("device %q (the CPU emulator: logic, not speed)", w.Device)
	}
}

// TestGenerateCUDAExact: `generate --engine cuda --kv-type f32` on a Q4_0
// file gives llama.cpp's greedy tokens (its goldens were made with an F32
// cache), through the 8-bit matvecs that do llama.cpp's arithmetic.
func TestGenerateCUDAExact(t *testing.T) {
	if os.Getenv("ORCD_CUDA_LIB") == "" {
		t.Skip("$ORCD_CUDA_LIB is not set: this test needs liborcd_cuda.so (make cuda-emu-test builds one for the CPU emulator)")
	}
	g := readGoldenPrompts(t, "tiny-llama-gqa-q4_0-pure.json")
	model := sharedFile(t, "models/tiny-llama-gqa-q4_0-pure.gguf")
	for _, c := range g.Cases {
		code, out, errOut := runWorker("generate", "--engine", "cuda", "--kv-type", "f32", "--model", model, // the library: $ORCD_CUDA_LIB
			"--prompt", c.Prompt, "--temperature", "0", "--max-tokens", fmt.Sprint(len(c.GeneratedTokens)), "--ignore-eos", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var res generateOutput
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("--json output %q: %v", out, err)
		}
		if !equalTokens(res.PromptTokens, c.PromptTokens) || !equalTokens(res.Tokens, c.GeneratedTokens) {
			t.Fatalf("%q: tokens %v\nllama.cpp %v", c.Prompt, res.Tokens, c.GeneratedTokens)
		}
	}
}
