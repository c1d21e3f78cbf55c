// llamacpp-bench: llama.cpp's speed on a GGUF file, for a baseline measured
// in the same run as orcd-bench (build.sh builds it from the llama.cpp and
// ggml sources that ollama vendors). Like llama-bench -p N -n M -r R, but
// the decode runs after the prompt, as orcd-bench's does: prefill is one
// batch of n_prompt tokens, decode n_gen tokens one at a time; the best
// of reps is printed as JSON.
#include "llama.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: bench model threads n_prompt n_gen [reps]\n"); return 2; }
    int threads = atoi(argv[2]), np = atoi(argv[3]), ng = atoi(argv[4]), reps = argc > 5 ? atoi(argv[5]) : 2;
    llama_backend_init();
    auto mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model *m = llama_model_load_from_file(argv[1], mp);
    if (!m) { fprintf(stderr, "load failed\n"); return 1; }
    auto cp = llama_context_default_params();
    cp.n_ctx = np + ng + 16; cp.n_batch = np; cp.n_ubatch = np; cp.n_threads = threads; cp.n_threads_batch = threads;
    llama_context *c = llama_init_from_model(m, cp);
    const llama_vocab *v = llama_model_get_vocab(m);
    int nv = llama_vocab_n_tokens(v);
    std::vector<llama_token> toks(np);
    double bestpp = 0, besttg = 0;
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < np; i++) toks[i] = (i * 7919 + r) % nv;
        llama_memory_clear(llama_get_memory(c), true);
        double t0 = now();
        if (llama_decode(c, llama_batch_get_one(toks.data(), np))) { fprintf(stderr, "decode failed\n"); return 1; }
        double t1 = now();
        llama_token t = toks[np - 1];
        for (int i = 0; i < ng; i++) {
            if (llama_decode(c, llama_batch_get_one(&t, 1))) { fprintf(stderr, "decode failed\n"); return 1; }
            t = (t * 31 + 7) % nv;
        }
        double t2 = now();
        double pp = np / (t1 - t0), tg = ng / (t2 - t1);
        if (pp > bestpp) bestpp = pp;
        if (tg > besttg) besttg = tg;
    }
    printf("{\"pp\": %.2f, \"tg\": %.2f}\n", bestpp, besttg);
    return 0;
}
