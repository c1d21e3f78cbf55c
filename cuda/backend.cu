// backend.cu: the C ABI of orcd_backend.h on CUDA: contexts, the VRAM
// budget, loading, and error reporting as codes plus messages.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include "backend.cuh"

int fail(orcd_ctx *c, int code, const char *fmt, ...) {
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (c) c->err = buf;
	return code;
}

// cuda_fail maps a CUDA error to a status. Anything but an allocation
// failure may leave the context corrupt (sticky errors), so it is marked
// broken and refuses further work.
int cuda_fail(orcd_ctx *c, cudaError_t e, const char *what) {
	if (e == cudaErrorMemoryAllocation) {
		cudaGetLastError();
		return fail(c, ORCD_ERR_OOM, "%s: out of device memory", what);
	}
	c->broken = true;
	return fail(c, ORCD_ERR_DEVICE, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

static void set_err(char *err, size_t n, const char *fmt, ...) {
	if (!err || n == 0) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

bool orcd_pdl = false, orcd_qgemm = false, orcd_mvq = true, orcd_mvq_pre = true;
int orcd_mvq_smem = MVQ_SMEM_MAX, orcd_mvq_tokens = 8;

// The ABI functions get C linkage from their declarations in the header.

int orcd_abi_version(void) { return ORCD_ABI_VERSION; }

int orcd_device_count(int *n, char *err, size_t errlen) {
	*n = 0;
	cudaError_t e = cudaGetDeviceCount(n);
	if (e != cudaSuccess) {
		*n = 0;
		set_err(err, errlen, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
		return ORCD_ERR_NO_DEVICE;
	}
	if (*n == 0) {
		set_err(err, errlen, "no CUDA device");
		return ORCD_ERR_NO_DEVICE;
	}
	return ORCD_OK;
}

int orcd_create(int device, orcd_ctx **out, char *err, size_t errlen) {
	*out = nullptr;
	int n = 0;
	int rc = orcd_device_count(&n, err, errlen);
	if (rc) return rc;
	if (device < 0 || device >= n) {
		set_err(err, errlen, "CUDA device %d does not exist (%d devices)", device, n);
		return ORCD_ERR_NO_DEVICE;
	}
	const char *pdl = getenv("ORCD_CUDA_PDL");
	orcd_pdl = pdl && strcmp(pdl, "1") == 0; // opt-in until measured on the H100
	const char *qg = getenv("ORCD_CUDA_QGEMM");
	orcd_qgemm = qg && strcmp(qg, "1") == 0; // likewise
	const char *mq = getenv("ORCD_CUDA_MVQ");
	orcd_mvq = !(mq && strcmp(mq, "0") == 0); // 8-bit activations, as the CPU backend and llama.cpp
	const char *mp = getenv("ORCD_CUDA_MVQ_PRE");
	orcd_mvq_pre = !(mp && strcmp(mp, "0") == 0); // the same quants, made once a call
	const char *mt = getenv("ORCD_CUDA_MVQ_TOKENS");
	orcd_mvq_tokens = mt && strcmp(mt, "16") == 0 ? 16 : 8; // opt-in until measured on the H100
	orcd_ctx *c = new orcd_ctx();
	c->dev = device;
	if (const char *mb = getenv("ORCD_CUDA_MV_BATCH")) c->mv_batch_req = std::max(8, std::min(MV_BATCH_MAX, atoi(mb)));
	cudaError_t e = cudaSetDevice(device);
	if (e == cudaSuccess) e = cudaFree(nullptr); // creates the context now
	if (e == cudaSuccess) e = cudaGetDeviceProperties(&c->prop, device);
	if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&c->st, cudaStreamNonBlocking);
	if (e == cudaSuccess) e = attention_init();
	// Static shared memory (a few hundred bytes) comes on top.
	if (e == cudaSuccess) orcd_mvq_smem = std::max(0, std::min(MVQ_SMEM_MAX, (int)c->prop.sharedMemPerBlockOptin - 1024));
	if (e == cudaSuccess) e = mvq_init_all();
	c->prof = prof_new();
	if (e != cudaSuccess) {
		set_err(err, errlen, "CUDA device %d: %s", device, cudaGetErrorString(e));
		orcd_destroy(c);
		return ORCD_ERR_NO_DEVICE;
	}
	if (cublasCreate(&c->cub) != CUBLAS_STATUS_SUCCESS || cublasSetStream(c->cub, c->st) != CUBLAS_STATUS_SUCCESS) {
		set_err(err, errlen, "cublasCreate failed on device %d", device);
		orcd_destroy(c);
		return ORCD_ERR_DEVICE;
	}
	*out = c;
	return ORCD_OK;
}

const char *orcd_last_error(orcd_ctx *c) { return c ? c->err.c_str() : "no context"; }

// qbuf_bytes: the quantized matvec inputs of the widest matvec step.
static uint64_t qbuf_bytes(const orcd_params &p) {
	const uint64_t wide = std::max(std::max((uint64_t)p.n_embd, (uint64_t)p.n_head * p.head_dim), (uint64_t)p.n_ff);
	return MVQ_QBUF_BYTES(std::min<uint64_t>(p.max_batch, MV_BATCH_MAX), wide);
}

// scratch_bytes: activations for max_batch tokens plus the F16 tiles of the
// cuBLAS path; KV: keys and values (F16, or F32) for every layer, sequence,
// position.
static void budget(const orcd_params &p, uint64_t &scratch, uint64_t &kv) {
	const uint64_t mb = p.max_batch, E = p.n_embd, q = (uint64_t)p.n_head * p.head_dim;
	const uint64_t kvd = (uint64_t)p.n_head_kv * p.head_dim, F = p.n_ff, V = p.n_vocab;
	const uint64_t qkvd = q + 2 * kvd, wide = std::max(std::max(E, q), F);
	uint64_t f = mb * (2 * E + qkvd + q + 2 * F + F + wide) + (2 * p.n_layer + 1) * mb + 8 * E + 8 + 8 * V;
	uint64_t maxw = std::max(std::max(qkvd * E, q * E), 2 * F * E);
	f += (uint64_t)ATTN_SPLIT_N * p.n_head * ATTN_SPLIT_MAX * (p.head_dim + 2);
	scratch = f * 4 + (mb * wide + maxw) * 2 + 4 * mb * 4 + AMAX_ROWS * 8 + (64u << 20); // + cuBLAS workspace
	scratch += qbuf_bytes(p);
	kv = 2ull * p.n_layer * p.n_seq * p.n_ctx * kvd * (p.kv_f32 ? 4 : 2);
}

template <class T> static int alloc(orcd_ctx *c, T **ptr, uint64_t count) {
	void *d = nullptr;
	cudaError_t e = cudaMalloc(&d, std::max<uint64_t>(count * sizeof(T), 16));
	if (e != cudaSuccess) return cuda_fail(c, e, "cudaMalloc(scratch)");
	c->allocs.push_back(d);
	c->held += count * sizeof(T);
	*ptr = static_cast<T *>(d);
	return ORCD_OK;
}

int orcd_load_begin(orcd_ctx *c, const orcd_params *pp, uint64_t weight_bytes) {
	if (c->loaded || !c->L.empty()) return fail(c, ORCD_ERR_INVALID, "a model is already loaded");
	const orcd_params p = *pp;
	if (p.n_vocab <= 0 || p.n_embd <= 0 || p.n_layer <= 0 || p.n_ff <= 0 || p.n_head <= 0 || p.n_head_kv <= 0 ||
	    p.n_head % p.n_head_kv || p.head_dim <= 0 || p.head_dim % 2 || p.head_dim > 256 || p.n_rot <= 0 || p.n_rot > p.head_dim ||
	    p.n_ctx <= 0 || p.n_seq <= 0 || p.max_batch <= 0 || p.n_embd % 4 || p.n_ff % 4 || (p.n_head * p.head_dim) % 4)
		return fail(c, ORCD_ERR_UNSUPPORTED,
		            "unsupported shape: n_embd %d n_ff %d heads %d/%d head_dim %d (even, <= 256) n_rot %d n_ctx %d n_seq %d max_batch %d",
		            p.n_embd, p.n_ff, p.n_head, p.n_head_kv, p.head_dim, p.n_rot, p.n_ctx, p.n_seq, p.max_batch);
	if (p.kv_f32 && p.head_dim > ATT_F32_MAX_HD)
		return fail(c, ORCD_ERR_UNSUPPORTED, "an F32 KV cache takes head_dim up to %d, not %d (use F16)", ATT_F32_MAX_HD, p.head_dim);
	cudaSetDevice(c->dev);
	uint64_t scratch, kv;
	budget(p, scratch, kv);
	const uint64_t overhead = (uint64_t)(p.n_layer * 12 + 8) * 4 * 256;
	const uint64_t need = weight_bytes + overhead + scratch + kv;
	size_t fr = 0, tot = 0;
	cudaError_t e = cudaMemGetInfo(&fr, &tot);
	if (e != cudaSuccess) return cuda_fail(c, e, "cudaMemGetInfo");
	if (need > fr)
		return fail(c, ORCD_ERR_OOM,
		            "model needs %llu bytes of VRAM (weights %llu, KV cache %llu for %d x %d positions, scratch %llu) but %s has %llu free of %llu",
		            (unsigned long long)need, (unsigned long long)weight_bytes, (unsigned long long)kv, p.n_seq, p.n_ctx,
		            (unsigned long long)scratch, c->prop.name, (unsigned long long)fr, (unsigned long long)tot);
	c->p = p;
	c->L.assign(p.n_layer, LayerW{});
	c->pend.assign((size_t)p.n_layer * 5, HostMat{});
	c->seq_len.assign(p.n_seq, 0);
	const uint64_t mb = p.max_batch, E = p.n_embd, q = (uint64_t)p.n_head * p.head_dim;
	const uint64_t kvd = (uint64_t)p.n_head_kv * p.head_dim, F = p.n_ff;
	const uint64_t wide = std::max(std::max(E, q), F);
	c->h_w_elems = (long)std::max(std::max((q + 2 * kvd) * E, q * E), 2 * F * E);
	const uint64_t kvn = (uint64_t)p.n_layer * p.n_seq * p.n_ctx * kvd * (p.kv_f32 ? 4 : 2); // bytes
	int rc = ORCD_OK;
	int *io = nullptr;
	if (!rc) rc = alloc(c, &c->kc, kvn);
	if (!rc) rc = alloc(c, &c->vc, kvn);
	if (!rc) rc = alloc(c, &c->x, mb * E);
	if (!rc) rc = alloc(c, &c->xn, mb * E);
	if (!rc) rc = alloc(c, &c->qkv, mb * (q + 2 * kvd));
	if (!rc) rc = alloc(c, &c->att, mb * q);
	if (!rc) rc = alloc(c, &c->gu, mb * 2 * F);
	if (!rc) rc = alloc(c, &c->act, mb * F);
	if (!rc) rc = alloc(c, &c->xs, mb * wide);
	if (!rc) rc = alloc(c, &c->sumsq, (2 * p.n_layer + 1) * mb);
	if (!rc) rc = alloc(c, &c->logits, 8 * (uint64_t)p.n_vocab);
	if (!rc) rc = alloc(c, &c->h_in, mb * wide);
	if (!rc) rc = alloc(c, &c->h_w, (uint64_t)c->h_w_elems);
	// ORCD_CUDA_ATTN_SPLIT=0 turns the split off, for the benchmark's A/B.
	const char *sp = getenv("ORCD_CUDA_ATTN_SPLIT");
	c->attn_split = !(sp && strcmp(sp, "0") == 0);
	if (!rc) rc = alloc(c, &c->attn_part, (uint64_t)ATTN_SPLIT_N * p.n_head * ATTN_SPLIT_MAX * (p.head_dim + 2));
	if (!rc) rc = alloc(c, &io, 4 * mb);
	if (!rc) rc = alloc(c, &c->d_amax, AMAX_ROWS);
	c->qbuf_bytes = qbuf_bytes(p);
	if (!rc) rc = alloc(c, &c->qbuf, c->qbuf_bytes);
	if (rc) return rc;
	c->d_tok = io;
	c->d_pos = io + mb;
	c->d_seq = io + 2 * mb;
	c->d_sel = io + 3 * mb;
	e = cudaMallocHost(&c->pin, 4 * mb * sizeof(int32_t));
	if (e == cudaSuccess) e = cudaMallocHost(&c->pin_amax, AMAX_ROWS * sizeof(unsigned long long));
	if (e != cudaSuccess) return cuda_fail(c, e, "cudaMallocHost");
	return ORCD_OK;
}

int orcd_set_tensor(orcd_ctx *c, int role, int layer, int32_t type, int64_t ne0, int64_t ne1, const void *data, uint64_t size) {
	const orcd_tensor t{type, {ne0, ne1}, data, size};
	if (c->L.empty() || c->loaded) return fail(c, ORCD_ERR_INVALID, "orcd_set_tensor outside orcd_load_begin/end");
	if (c->broken) return fail(c, ORCD_ERR_DEVICE, "context is unusable after an earlier device error: %s", c->err.c_str());
	cudaSetDevice(c->dev);
	return upload_tensor(c, role, layer, &t);
}

int orcd_load_end(orcd_ctx *c) {
	if (c->L.empty() || c->loaded) return fail(c, ORCD_ERR_INVALID, "orcd_load_end without orcd_load_begin");
	// Uploads from pageable memory may still be in flight on the legacy
	// stream, which our non-blocking stream does not wait for.
	cudaSetDevice(c->dev);
	cudaError_t e = cudaDeviceSynchronize();
	if (e != cudaSuccess) return cuda_fail(c, e, "upload");
	return finish_load(c);
}

int orcd_forward(orcd_ctx *c, int n, const int32_t *tokens, const int32_t *pos, const int32_t *seq, const uint8_t *want,
                 float *logits, int32_t *argmax) {
	if (!c->loaded) return fail(c, ORCD_ERR_INVALID, "no model loaded");
	if (c->broken) return fail(c, ORCD_ERR_DEVICE, "context is unusable after an earlier device error");
	const orcd_params &p = c->p;
	if (n <= 0 || n > p.max_batch) return fail(c, ORCD_ERR_INVALID, "batch of %d tokens (1..%d)", n, p.max_batch);
	std::vector<int> len = c->seq_len;
	int nsel = 0;
	for (int i = 0; i < n; i++) {
		if (tokens[i] < 0 || tokens[i] >= p.n_vocab) return fail(c, ORCD_ERR_INVALID, "token %d: id %d outside the vocabulary", i, tokens[i]);
		if (seq[i] < 0 || seq[i] >= p.n_seq) return fail(c, ORCD_ERR_INVALID, "token %d: sequence %d out of range [0, %d)", i, seq[i], p.n_seq);
		if (pos[i] >= p.n_ctx) return fail(c, ORCD_ERR_CONTEXT_FULL, "sequence %d: position %d is past the %d-position KV cache", seq[i], pos[i], p.n_ctx);
		if (pos[i] != len[seq[i]])
			return fail(c, ORCD_ERR_INVALID, "token %d: position %d does not continue sequence %d (which holds %d)", i, pos[i], seq[i], len[seq[i]]);
		len[seq[i]]++;
		if (want[i]) c->pin[3 * p.max_batch + nsel++] = i;
	}
	memcpy(c->pin, tokens, n * 4);
	memcpy(c->pin + p.max_batch, pos, n * 4);
	memcpy(c->pin + 2 * p.max_batch, seq, n * 4);
	cudaSetDevice(c->dev);
	int rc = run_forward(c, n, nsel, logits, argmax);
	if (rc) return rc;
	int64_t added = 0;
	for (int s = 0; s < p.n_seq; s++) added += len[s] - c->seq_len[s];
	c->seq_len = len;
	c->kv_used += added;
	return ORCD_OK;
}

int orcd_clear_seq(orcd_ctx *c, int seq) {
	if (!c->loaded || seq < 0 || seq >= c->p.n_seq) return fail(c, ORCD_ERR_INVALID, "clear: sequence %d out of range", seq);
	c->kv_used -= c->seq_len[seq];
	c->seq_len[seq] = 0;
	return ORCD_OK;
}

int orcd_copy_seq(orcd_ctx *c, int dst, int src, int n) {
	const orcd_params &p = c->p;
	if (!c->loaded || dst < 0 || dst >= p.n_seq || src < 0 || src >= p.n_seq || n < 0 || n > c->seq_len[src])
		return fail(c, ORCD_ERR_INVALID, "copy %d positions of sequence %d to %d: out of range", n, src, dst);
	if (c->broken) return fail(c, ORCD_ERR_DEVICE, "context is unusable after an earlier device error");
	cudaSetDevice(c->dev);
	const size_t es = p.kv_f32 ? 4 : 2, kvd = (size_t)p.n_head_kv * p.head_dim * es, per_seq = (size_t)p.n_ctx * kvd;
	for (int l = 0; l < p.n_layer && dst != src; l++) {
		const size_t base = (size_t)l * p.n_seq * per_seq;
		for (unsigned char *cache : {c->kc, c->vc}) {
			cudaError_t e = cudaMemcpyAsync(cache + base + dst * per_seq, cache + base + src * per_seq, n * kvd,
			                                cudaMemcpyDeviceToDevice, c->st);
			if (e != cudaSuccess) return cuda_fail(c, e, "copy sequence");
		}
	}
	cudaError_t e = cudaStreamSynchronize(c->st);
	if (e != cudaSuccess) return cuda_fail(c, e, "copy sequence");
	c->kv_used += n - c->seq_len[dst];
	c->seq_len[dst] = n;
	return ORCD_OK;
}

int orcd_memory(orcd_ctx *c, orcd_meminfo *m) {
	memset(m, 0, sizeof *m);
	snprintf(m->device, sizeof m->device, "%.120s", c->prop.name);
	m->model_bytes = c->held;
	m->kv_used = c->kv_used;
	cudaSetDevice(c->dev);
	size_t fr = 0, tot = 0;
	cudaError_t e = cudaMemGetInfo(&fr, &tot);
	if (e != cudaSuccess) return fail(nullptr, ORCD_ERR_DEVICE, "");
	m->total = tot;
	m->free_ = fr;
	return ORCD_OK;
}

void orcd_destroy(orcd_ctx *c) {
	if (!c) return;
	cudaSetDevice(c->dev);
	if (c->st) cudaStreamSynchronize(c->st);
	prof_report(c);
	for (auto &row : c->graphs)
		for (cudaGraphExec_t x : row)
			if (x) cudaGraphExecDestroy(x);
	for (void *p : c->allocs) cudaFree(p);
	if (c->pin) cudaFreeHost(c->pin);
	if (c->pin_amax) cudaFreeHost(c->pin_amax);
	if (c->cub) cublasDestroy(c->cub);
	if (c->st) cudaStreamDestroy(c->st);
	delete c;
}

