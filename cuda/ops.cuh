// ops.cuh: the kernels that do not depend on the weight type.
#pragma once
#include "quant.cuh"

// x[t] -> xn[t] = x[t] * w and sumsq[t] = sum x[t]^2 (one block per token).
void resid_finish(const float *x, const float *w, float *xn, float *sumsq, int n, int E, cudaStream_t st);
// out[t] = xn[t] * rsqrt(sumsq[t]/E + eps), as float or half.
void stage_norm(const float *xn, const float *sumsq, int n, int E, float eps, float *outf, __half *outh, cudaStream_t st);
void to_half(const float *in, __half *out, long count, cudaStream_t st);
// act[t][i] = silu(gu[t][i]) * gu[t][F+i]; gu rows are 2F wide.
void swiglu(const float *gu, int n, int F, float *outf, __half *outh, cudaStream_t st);
// gather rows sel[i] of xn (width E) and their sumsq.
void gather_rows(const float *xn, const float *sumsq, const int *sel, int nsel, int E, float *xo, float *so, cudaStream_t st);

struct QKVPost {
	float *qkv; int ldq;
	const int *pos, *seq;
	const float *bq, *bk, *bv; // qwen2 biases (or null)
	const float *qn, *kn;      // qwen3 per-head q/k RMSNorm weights (or null)
	float eps;
	const float *freqs;        // llama3 rope divisors (or null)
	int n_rot; float base; int neox;
	void *kc, *vc;             // this layer's cache: [n_seq][n_ctx][n_head_kv*head_dim]
	int n_ctx, H, Hkv, hd;
	int kv_f32;                // cache elements are float (else half)
};
// Biases, q/k norm, RoPE on Q and K in place; K and V into the cache.
void qkv_post(const QKVPost &a, int n, cudaStream_t st);

struct AttnArgs {
	const float *q; int ldq;   // Q of token t at q + t*ldq
	const int *pos, *seq;
	const void *kc, *vc;       // half, or float when kv_f32
	float *out; int ldo;
	int n_ctx, H, Hkv, hd;
	float scale;
	// Split over positions (flash-decoding), for batches of up to
	// ATTN_SPLIT_N tokens: token t's positions 0..pos go in nsplit chunks
	// of ch = max(ATTN_MIN_CHUNK, ceil((pos+1)/nsplit)), which the device
	// works out from pos; block (h, t, s) attends to chunk s and leaves its
	// max, sum and unnormalized output in part[((t*H + h)*nsplit + s)*(hd
	// + 2)], and a second kernel merges them. part null or nsplit 1: one
	// block per (h, t) walks every position.
	float *part; int nsplit;
	int kv_f32;
};
// The F32 cache's attention tiles take twice the shared memory of F16's,
// so it takes head_dim up to 128 (F16: 256).
#define ATT_F32_MAX_HD 128
#define ATTN_SPLIT_N 8
#define ATTN_SPLIT_MAX 16
#define ATTN_MIN_CHUNK 64
// attn_splits picks nsplit for a batch of n tokens: enough blocks for two
// per SM, at most ATTN_SPLIT_MAX. Since chunks follow the positions, every
// split has work once a sequence is past ATTN_MIN_CHUNK * nsplit positions.
int attn_splits(int sms, int H, int n);
// Causal GQA attention of each token over its sequence's cache 0..pos.
void attention(const AttnArgs &a, int n, cudaStream_t st);
// attention_init raises the kernels' shared-memory limit (once per device).
cudaError_t attention_init();
