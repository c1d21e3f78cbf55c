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
// Tokenizer. Each Generate call:
//
//  1. takes a free slot (one KV sequence);
//  2. tokenizes the prompt as llama.cpp does (BOS when the vocab asks for
//     it, control tokens written in the text parsed), or renders chat
//     messages with the model's template;
//  3. refuses a prompt longer than the context (ErrPromptTooLong);
//  4. prefills the prompt in one Forward;
//  5. loops: the Sampler picks a token from the logits (greedy at
//     temperature 0, otherwise penalties, top-k, top-p, min-p, temperature
//     and a seeded draw), and the token's bytes go through a text stream.
//     The stream holds back split UTF-8 characters and any tail that could
//     begin a stop string. The token is emitted to the caller and fed back
//     at the next position.
//
// The loop ends on an end-of-generation token (StopEOS, unless
// IgnoreEOS), on a stop string (StopSequence; the stop string is not in
// the output), on MaxTokens (StopMaxTokens), at the end of the context
// (StopContextLength), or when ctx is cancelled (StopCancelled, which
// returns a nil error and the partial usage). Concurrent Generate calls
// each keep their own slot; their forward passes take turns under one
// lock, so requests interleave token by token.
//
// Checking. The tests compare everything against llama.cpp's outputs in
// ../shared/testdata/golden: prompt tokens, the top-10 logits at every
// teacher-forced step, and free-running greedy text.
package engine
