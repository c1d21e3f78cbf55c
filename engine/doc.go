// Package engine turns a GGUF model into generated text.
//
// Loading. LoadModel reads a memory-mapped gguf.File: the hyperparameters
// come from general.architecture and the "<arch>." keys (Config), and the
// tensors become views into the mapping (Weights, one Layer per block).
// Nothing is copied and nothing is converted. Every shape and tensor type
// is checked here, and so are the rope scaling and any tensor the forward
// pass would ignore. A model the engine cannot run exactly fails at load
// time with an error that names the reason (ErrUnsupportedModel). It
// never produces wrong text later. The supported architectures are llama
// (Llama 2/3, Mistral, TinyLlama, stories), qwen2, qwen3 and phi3.
//
// Running. A Backend owns the weights on its device and the KV cache of
// MaxSeqs sequences. Its Forward takes a Batch: a list of (token,
// position, sequence) triples that may mix several sequences. It appends
// them to their caches and returns logits for the rows that asked for
// them. The CPU backend (package engine/cpu) keeps weights quantized in
// the mapping and dequantizes one row at a time inside its matmul. It runs
// a whole prompt as one batch, so every weight row is expanded once per
// batch, not once per token. It spreads rows, and (token, head) pairs in
// attention, over all cores. A GPU backend implements the same interface
// with whole forward passes on the device.
//
// Generating. A Generator implements Engine on top of a Backend and a
// Tokenizer. Each Generate call tokenizes the prompt as llama.cpp does
// (BOS when the vocab asks for it, control tokens written in the text
// parsed), or renders chat messages with the model's template, refuses a
// prompt longer than the context (ErrPromptTooLong), and hands the job to
// the Generator's scheduler.
//
// Scheduling (continuous batching). One goroutine owns the backend. Each
// step it builds one batch out of the next token of every decoding
// sequence plus chunks of prompts still being prefilled (at most
// SchedOptions.PrefillChunk prompt tokens while anyone decodes, so a long
// prompt cannot stall the running jobs), runs one Forward, and samples
// each sequence that got logits with its own Sampler: greedy at
// temperature 0, otherwise penalties, top-k, top-p, min-p, temperature
// and a draw seeded per job. Jobs join between steps in arrival order when
// a slot (one KV sequence) and their KV reservation (SchedOptions.KVCells)
// are free; one that could never fit is refused (ErrKVCacheTooSmall).
// A slot keeps its cache when its job ends (the prompt cache, on a
// backend that is a SeqTruncater, unless SchedOptions.NoPromptCache): a
// new job takes the free slot whose cache shares the longest prefix with
// its prompt and prefills only the rest (Result.PromptCached); a job still
// prefilling copies the longest prefix another slot holds (a SeqCopier),
// so that jobs arriving together with one system prompt prefill it once.
// The token's bytes go through a text stream that holds back split UTF-8
// characters and any tail that could begin a stop string, and the token
// is queued to the job's own goroutine, which calls emit: a slow caller
// delays only itself.
//
// A job ends on an end-of-generation token (StopEOS, unless IgnoreEOS),
// on a stop string (StopSequence; the stop string is not in the output),
// on MaxTokens (StopMaxTokens), at the end of the context
// (StopContextLength), or when ctx is cancelled or emit fails
// (StopCancelled with a nil error and the partial usage, or emit's error);
// it leaves the batch at the next step. On the CPU, a row of a batched
// forward pass is bit-identical to the same sequence run alone (except
// with the Q4_0 kernels, whose four-token kernel rounds differently), so
// batching does not change greedy output.
//
// Checking. The tests compare everything against llama.cpp's outputs in
// ../shared/testdata/golden: prompt tokens, the top-10 logits at every
// teacher-forced step, and free-running greedy text.
package engine
