// iqgolden: llama.cpp's own IQ files and goldens for engine/cpu's
// TestIQGolden. For each type it quantizes tiny-llama-gqa-f32 with
// llama_model_quantize (pure: every matrix in the type, an importance
// matrix of ones, which the lowest-bit types require), then runs greedy
// decoding on it and on an F32 copy of its exactly dequantized weights,
// driven as ../../../../../shared/testdata/golden/README.md describes
// (F32 KV cache, no flash attention, n_ctx 512, 2 threads, the prompt as
// one batch, 32 tokens, EOS not a stop), and writes the golden-v1 fields
// the test reads. Built and run by gen.sh.
#include "ggml.h"
#include "gguf.h"
#include "llama.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

struct Case {
    std::string prompt;
    std::vector<llama_token> prompt_tokens, generated;
    std::vector<std::vector<std::pair<int, float>>> steps;
    std::vector<float> margins;
};

static std::vector<Case> run(const std::string &path, int n_predict) {
    auto mp = llama_model_default_params();
    llama_model *m = llama_model_load_from_file(path.c_str(), mp);
    if (!m) { fprintf(stderr, "cannot load %s\n", path.c_str()); exit(1); }
    auto cp = llama_context_default_params();
    cp.n_ctx = 512; cp.n_batch = 512; cp.n_ubatch = 512;
    cp.n_threads = 2; cp.n_threads_batch = 2;
    cp.type_k = GGML_TYPE_F32; cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context *c = llama_init_from_model(m, cp);
    const llama_vocab *v = llama_model_get_vocab(m);
    const int nv = llama_vocab_n_tokens(v);
    std::vector<Case> out;
    for (const char *p : {"Once upon a time", "Hello world! 123"}) {
        Case k;
        k.prompt = p;
        std::vector<llama_token> toks(64);
        int n = llama_tokenize(v, p, (int)strlen(p), toks.data(), (int)toks.size(), true, true);
        toks.resize(n);
        k.prompt_tokens = toks;
        llama_memory_clear(llama_get_memory(c), true);
        if (llama_decode(c, llama_batch_get_one(toks.data(), n))) { fprintf(stderr, "decode failed\n"); exit(1); }
        for (int step = 0; step < n_predict; step++) {
            const float *lg = llama_get_logits_ith(c, -1);
            std::vector<int> idx(nv);
            for (int i = 0; i < nv; i++) idx[i] = i;
            // Best first; ties to the lower id.
            std::partial_sort(idx.begin(), idx.begin() + 10, idx.end(), [&](int a, int b) { return lg[a] > lg[b] || (lg[a] == lg[b] && a < b); });
            std::vector<std::pair<int, float>> top;
            for (int i = 0; i < 10; i++) top.push_back({idx[i], lg[idx[i]]});
            k.steps.push_back(top);
            k.margins.push_back(lg[idx[0]] - lg[idx[1]]);
            llama_token t = idx[0];
            k.generated.push_back(t);
            if (llama_decode(c, llama_batch_get_one(&t, 1))) { fprintf(stderr, "decode failed\n"); exit(1); }
        }
        out.push_back(k);
    }
    llama_free(c);
    llama_model_free(m);
    return out;
}

// dequantize writes src with every tensor converted to F32.
static void dequantize(const std::string &src, const std::string &dst) {
    ggml_context *data = nullptr;
    gguf_context *in = gguf_init_from_file(src.c_str(), {false, &data});
    if (!in) { fprintf(stderr, "cannot read %s\n", src.c_str()); exit(1); }
    gguf_context *out = gguf_init_empty();
    gguf_set_kv(out, in);
    gguf_set_val_u32(out, "general.file_type", 0);
    size_t total = 0;
    for (int64_t i = 0; i < gguf_get_n_tensors(in); i++) total += ggml_nelements(ggml_get_tensor(data, gguf_get_tensor_name(in, i))) * 4 + 1024;
    ggml_context *f32 = ggml_init({total, nullptr, false});
    for (int64_t i = 0; i < gguf_get_n_tensors(in); i++) {
        ggml_tensor *t = ggml_get_tensor(data, gguf_get_tensor_name(in, i));
        ggml_tensor *f = ggml_new_tensor(f32, GGML_TYPE_F32, ggml_n_dims(t), t->ne);
        ggml_set_name(f, t->name);
        if (t->type == GGML_TYPE_F32) {
            memcpy(f->data, t->data, ggml_nbytes(t));
        } else {
            ggml_get_type_traits(t->type)->to_float(t->data, (float *)f->data, ggml_nelements(t));
        }
        gguf_add_tensor(out, f);
    }
    if (!gguf_write_to_file(out, dst.c_str(), false)) { fprintf(stderr, "cannot write %s\n", dst.c_str()); exit(1); }
}

static void write_cases(FILE *f, const std::vector<Case> &cases) {
    fprintf(f, "[");
    for (size_t i = 0; i < cases.size(); i++) {
        const Case &k = cases[i];
        fprintf(f, "%s\n    {\"prompt\": \"%s\", \"prompt_tokens\": [", i ? "," : "", k.prompt.c_str());
        for (size_t j = 0; j < k.prompt_tokens.size(); j++) fprintf(f, "%s%d", j ? ", " : "", k.prompt_tokens[j]);
        fprintf(f, "],\n     \"generated_tokens\": [");
        for (size_t j = 0; j < k.generated.size(); j++) fprintf(f, "%s%d", j ? ", " : "", k.generated[j]);
        fprintf(f, "],\n     \"generated_token_margins\": [");
        for (size_t j = 0; j < k.margins.size(); j++) fprintf(f, "%s%.9g", j ? ", " : "", k.margins[j]);
        fprintf(f, "],\n     \"step_top_logits\": [");
        for (size_t s = 0; s < k.steps.size(); s++) {
            fprintf(f, "%s\n      [", s ? "," : "");
            for (size_t j = 0; j < k.steps[s].size(); j++) fprintf(f, "%s[%d, %.9g]", j ? ", " : "", k.steps[s][j].first, k.steps[s][j].second);
            fprintf(f, "]");
        }
        fprintf(f, "]}");
    }
    fprintf(f, "]");
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: iqgolden src-f32.gguf outdir TYPE=ftype...\n"); return 2; }
    const std::string src = argv[1], dir = argv[2];
    llama_backend_init();
    // An importance matrix of ones for every matrix.
    std::unordered_map<std::string, std::vector<float>> imatrix;
    {
        ggml_context *meta = nullptr;
        gguf_context *g = gguf_init_from_file(src.c_str(), {true, &meta});
        for (int64_t i = 0; i < gguf_get_n_tensors(g); i++) {
            ggml_tensor *t = ggml_get_tensor(meta, gguf_get_tensor_name(g, i));
            if (ggml_n_dims(t) == 2) imatrix[t->name] = std::vector<float>(t->ne[0] * t->ne[2], 1.0f);
        }
    }
    for (int a = 3; a < argc; a++) {
        std::string spec = argv[a];
        const std::string name = spec.substr(0, spec.find('='));
        const int ftype = atoi(spec.substr(spec.find('=') + 1).c_str());
        std::string lower = name;
        for (auto &ch : lower) ch = (char)tolower(ch);
        const std::string file = "tiny-llama-gqa-" + lower + "-pure.gguf";
        auto qp = llama_model_quantize_default_params();
        qp.nthread = 2;
        qp.ftype = (llama_ftype)ftype;
        qp.pure = true;
        qp.imatrix = &imatrix;
        if (llama_model_quantize(src.c_str(), (dir + "/" + file).c_str(), &qp)) { fprintf(stderr, "quantizing to %s failed\n", name.c_str()); return 1; }
        const std::string deq = dir + "/" + file + ".f32.tmp";
        dequantize(dir + "/" + file, deq);
        auto cases = run(dir + "/" + file, 32);
        auto ref = run(deq, 32);
        remove(deq.c_str());
        FILE *f = fopen((dir + "/" + file.substr(0, file.size() - 5) + ".json").c_str(), "w");
        fprintf(f, "{\"schema\": \"golden-v1\", \"model_file\": \"%s\",\n \"generator\": \"iqgolden.cpp: llama.cpp as vendored by ollama %s, CPU backend, 2 threads\",\n \"cases\": ", file.c_str(), OLLAMA_VERSION);
        write_cases(f, cases);
        fprintf(f, ",\n \"dequantized_f32_reference\": {\"description\": \"the same prompts on an F32 copy of this file's exactly dequantized weights\", \"cases\": ");
        write_cases(f, ref);
        fprintf(f, "}}\n");
        fclose(f);
        fprintf(stderr, "wrote %s and its golden\n", file.c_str());
    }
    return 0;
}
