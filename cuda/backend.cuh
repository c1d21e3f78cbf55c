// backend.cuh: the context behind the C ABI.
#pragma once
#include <algorithm>
#include <atomic>
#include <string>
#include <vector>
#include <cublas_v2.h>
#include "include/orcd_backend.h"
#include "ops.cuh"
#include "qgemm.cuh"
#include "quant.cuh"

// Matrix parts: a projection may be one fused matrix or several pieces
// (when q, k, v have different quant types), each writing at a column
// offset of the same output rows.
struct Part {
	QMat m;
	int col;
};

struct LayerW {
	const float *attn_norm = nullptr, *ffn_norm = nullptr;
	const float *bq = nullptr, *bk = nullptr, *bv = nullptr, *qn = nullptr, *kn = nullptr;
	std::vector<Part> qkv;   // output width (H + 2 Hkv) * hd
	QMat wo{};
	std::vector<Part> gu;    // output width 2 F: gate then up
	bool glu = false;        // gu is one [gate; up] matrix or two of one type
	QMat gate{}, up{};       // the GLU halves when glu
	QMat down{};
};

// Host copy of a repacked matrix waiting for the rest of its fusion group.
struct HostMat {
	int type = -1, n_in = 0, n_out = 0;
	std::vector<std::vector<uint8_t>> planes;
	bool set = false;
};

struct Profile;

#define MV_BATCH_MAX 64
// An argmax-only step fetches its rows' argmaxes this many at a time.
#define AMAX_ROWS 64

struct orcd_ctx {
	int dev = 0;
	cudaDeviceProp prop{};
	std::string err;
	cudaStream_t st = nullptr;
	cublasHandle_t cub = nullptr;
	orcd_params p{};
	bool loaded = false, broken = false;
	std::vector<void *> allocs;
	std::atomic<uint64_t> held{0};
	std::atomic<int64_t> kv_used{0};

	QMat tok{}, out{};
	bool have_out = false;
	const float *out_norm = nullptr, *rope_freqs = nullptr;
	std::vector<LayerW> L;
	std::vector<HostMat> pend; // [layer][5]: q, k, v, gate, up

	unsigned char *kc = nullptr, *vc = nullptr; // [layer][seq][ctx][kvd] of half, or float (p.kv_f32)
	float *x = nullptr, *xn = nullptr, *qkv = nullptr, *att = nullptr, *gu = nullptr, *act = nullptr;
	float *xs = nullptr, *sumsq = nullptr, *logits = nullptr;
	float *attn_part = nullptr; // split attention's partial results (ops.cuh)
	bool attn_split = true;
	__half *h_in = nullptr, *h_w = nullptr;
	long h_w_elems = 0;
	int *d_tok = nullptr, *d_pos = nullptr, *d_seq = nullptr, *d_sel = nullptr;
	unsigned long long *d_amax = nullptr;
	unsigned char *qbuf = nullptr; // quantized matvec inputs (MVArgs::qbuf)
	size_t qbuf_bytes = 0;
	int32_t *pin = nullptr; // pinned staging: tokens, pos, seq, sel (4 * max_batch)
	unsigned long long *pin_amax = nullptr;
	std::vector<int> seq_len;
	Profile *prof = nullptr; // ORCD_CUDA_PROFILE=1 (profile.cu)
	// Steps of up to mv_batch tokens take the matvec kernels (8 at a time)
	// instead of cuBLAS: 8, or MV_BATCH_MAX when every block matrix has the
	// 8-bit path, whose per-token arithmetic is the same in any batch
	// (ORCD_CUDA_MV_BATCH=8..64 sets it; finish_load decides).
	int mv_batch = 8, mv_batch_req = 32;
	// [n tokens][n logit rows] of a matvec step (forward.cu): up to 8 rows
	// in the graph; past 8 tokens, the blocks only (rows 0).
	cudaGraphExec_t graphs[MV_BATCH_MAX + 1][9] = {};
};

int fail(orcd_ctx *c, int code, const char *fmt, ...);
int cuda_fail(orcd_ctx *c, cudaError_t e, const char *what);
int upload_tensor(orcd_ctx *c, int role, int layer, const orcd_tensor *t);
int finish_load(orcd_ctx *c);
// mat_to_device repacks and uploads one matrix (also used by the kernel checks).
int mat_to_device(orcd_ctx *c, const char *what, const orcd_tensor *t, long n_in, long n_out, QMat &m);
int run_forward(orcd_ctx *c, int n, int nsel, float *logits, int32_t *argmax);
// profile.cu: prof_mark records an event naming the kernels enqueued since
// the previous mark; all four do nothing unless ORCD_CUDA_PROFILE=1.
Profile *prof_new();
void prof_mark(orcd_ctx *c, const char *label);
void prof_collect(orcd_ctx *c);
void prof_report(orcd_ctx *c);
