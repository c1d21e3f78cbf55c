// forward.cu: one forward pass, read top to bottom. Up to c->mv_batch
// tokens (8; 32 when every matrix takes the 8-bit matvecs) go through the
// matvec kernels, 8 tokens a launch (weights read once per launch); longer
// batches through cuBLAS on F16 tiles dequantized per matrix. Those matvec
// steps are captured once per shape into CUDA graphs and replayed.
#include "backend.cuh"

#define MV_MAX 8

static int cublas_fail(orcd_ctx *c, cublasStatus_t s, const char *what) {
	if (s == CUBLAS_STATUS_ALLOC_FAILED) return fail(c, ORCD_ERR_OOM, "%s: cuBLAS out of memory", what);
	c->broken = true;
	return fail(c, ORCD_ERR_DEVICE, "%s: cuBLAS status %d", what, (int)s);
}

// gemm: Y[n][n_out] (ldy) = X[n][n_in] W^T + beta Y. X is dense.
static int gemm(orcd_ctx *c, const QMat &W, const float *X, int n, float *Y, int ldy, float beta) {
	const float one = 1.f;
	cublasStatus_t s;
	if (W.type != GT_F32 && orcd_qgemm) {
		const QGemmArgs q{W, X, W.n_in, Y, ldy, n, beta};
		if (!qgemm_any(q, c->st)) return fail(c, ORCD_ERR_UNSUPPORTED, "no tensor-core kernel for type %d", W.type);
		return ORCD_OK;
	}
	if (W.type == GT_F32) {
		s = cublasSgemm(c->cub, CUBLAS_OP_T, CUBLAS_OP_N, W.n_out, n, W.n_in, &one, reinterpret_cast<const float *>(W.p0), W.n_in,
		                X, W.n_in, &beta, Y, ldy);
	} else {
		to_half(X, c->h_in, (long)n * W.n_in, c->st);
		if (!dequant_f16_any(W, c->h_w, c->st)) return fail(c, ORCD_ERR_UNSUPPORTED, "no dequantizer for type %d", W.type);
		s = cublasGemmEx(c->cub, CUBLAS_OP_T, CUBLAS_OP_N, W.n_out, n, W.n_in, &one, c->h_w, CUDA_R_16F, W.n_in, c->h_in,
		                 CUDA_R_16F, W.n_in, &beta, Y, CUDA_R_32F, ldy, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
	}
	return s == CUBLAS_STATUS_SUCCESS ? ORCD_OK : cublas_fail(c, s, "gemm");
}

static MVArgs mv_args(const QMat &A, const float *x, int ldx, const float *ss, int norm_n, float eps, float *y, int ldy) {
	MVArgs a{};
	a.A = A;
	a.B = A;
	a.x = x;
	a.ldx = ldx;
	a.in_sumsq = ss;
	a.norm_n = norm_n;
	a.eps = eps;
	a.y = y;
	a.ldy = ldy;
	return a;
}

static int mv(orcd_ctx *c, const MVArgs &a, int n, int mode) {
	MVArgs b = a;
	b.qbuf = c->qbuf, b.qbuf_bytes = c->qbuf_bytes;
	if (!mv_any(b, n, mode, c->st)) return fail(c, ORCD_ERR_UNSUPPORTED, "no matvec kernel for type %d", a.A.type);
	return ORCD_OK;
}

// layer enqueues one transformer block for n tokens whose normalized
// input is xn / sumsq slot 2l; it leaves x updated and xn / slot 2l+2
// ready for the next block (or the output norm).
static int layer(orcd_ctx *c, int l, int n) {
	const orcd_params &p = c->p;
	const LayerW &w = c->L[l];
	const int E = p.n_embd, hd = p.head_dim, q = p.n_head * hd, kvd = p.n_head_kv * hd, F = p.n_ff, qkvd = q + 2 * kvd;
	const int mb = p.max_batch;
	float *ss_attn = c->sumsq + (size_t)(2 * l) * mb, *ss_ffn = ss_attn + mb, *ss_next = ss_ffn + mb;
	const float *next_norm = l + 1 < p.n_layer ? c->L[l + 1].attn_norm : c->out_norm;
	const bool small = n <= c->mv_batch;
	int rc = ORCD_OK;

	// Attention: qkv = W_qkv rmsnorm(x); rope; cache; attend; x += W_o att.
	if (!small) stage_norm(c->xn, ss_attn, n, E, p.rms_eps, c->xs, nullptr, c->st);
	for (const Part &pt : w.qkv) {
		if (small) rc = mv(c, mv_args(pt.m, c->xn, E, ss_attn, E, p.rms_eps, c->qkv + pt.col, qkvd), n, MV_STORE);
		else rc = gemm(c, pt.m, c->xs, n, c->qkv + pt.col, qkvd, 0.f);
		if (rc) return rc;
	}
	prof_mark(c, small ? "q/k/v matvec" : "q/k/v gemm");
	const size_t cache_off = (size_t)l * p.n_seq * p.n_ctx * kvd * (p.kv_f32 ? 4 : 2); // bytes
	QKVPost qp{c->qkv, qkvd, c->d_pos, c->d_seq, w.bq, w.bk, w.bv, w.qn, w.kn, p.rms_eps, c->rope_freqs, p.n_rot,
	           p.rope_base, p.rope_neox, c->kc + cache_off, c->vc + cache_off, p.n_ctx, p.n_head, p.n_head_kv, hd, p.kv_f32};
	qkv_post(qp, n, c->st);
	prof_mark(c, small ? "rope + kv store" : "rope + kv store (batch > 8)");
	AttnArgs aa{c->qkv, qkvd, c->d_pos, c->d_seq, c->kc + cache_off, c->vc + cache_off, c->att, q,
	            p.n_ctx, p.n_head, p.n_head_kv, hd, 1.f / sqrtf((float)hd), c->attn_part,
	            c->attn_split ? attn_splits(c->prop.multiProcessorCount, p.n_head, n) : 1, p.kv_f32};
	attention(aa, n, c->st);
	prof_mark(c, small ? "attention" : "attention (gemm batch)");
	if (small) {
		MVArgs a = mv_args(w.wo, c->att, q, nullptr, 0, 0.f, c->x, E);
		a.wnext = w.ffn_norm;
		a.xn_out = c->xn;
		a.sumsq_out = ss_ffn;
		if ((rc = mv(c, a, n, MV_ADD))) return rc;
	} else {
		if ((rc = gemm(c, w.wo, c->att, n, c->x, E, 1.f))) return rc;
		resid_finish(c->x, w.ffn_norm, c->xn, ss_ffn, n, E, c->st);
	}
	prof_mark(c, small ? "attn_output matvec + residual" : "attn_output gemm + residual");

	// FFN: x += W_down (silu(W_gate h) * W_up h), h = rmsnorm(x).
	if (small) {
		if (w.glu) {
			MVArgs a = mv_args(w.gate, c->xn, E, ss_ffn, E, p.rms_eps, c->act, F);
			a.B = w.up;
			if ((rc = mv(c, a, n, MV_GLU))) return rc;
		} else {
			for (const Part &pt : w.gu)
				if ((rc = mv(c, mv_args(pt.m, c->xn, E, ss_ffn, E, p.rms_eps, c->gu + pt.col, 2 * F), n, MV_STORE))) return rc;
			swiglu(c->gu, n, F, c->act, nullptr, c->st);
		}
		prof_mark(c, "ffn gate/up matvec + swiglu");
		MVArgs a = mv_args(w.down, c->act, F, nullptr, 0, 0.f, c->x, E);
		a.wnext = next_norm;
		a.xn_out = c->xn;
		a.sumsq_out = ss_next;
		rc = mv(c, a, n, MV_ADD);
		prof_mark(c, "ffn_down matvec + residual");
		return rc;
	}
	stage_norm(c->xn, ss_ffn, n, E, p.rms_eps, c->xs, nullptr, c->st);
	for (const Part &pt : w.gu)
		if ((rc = gemm(c, pt.m, c->xs, n, c->gu + pt.col, 2 * F, 0.f))) return rc;
	swiglu(c->gu, n, F, c->act, nullptr, c->st);
	prof_mark(c, "ffn gate/up gemm + swiglu");
	if ((rc = gemm(c, w.down, c->act, n, c->x, E, 1.f))) return rc;
	resid_finish(c->x, next_norm, c->xn, ss_next, n, E, c->st);
	prof_mark(c, "ffn_down gemm + residual");
	return ORCD_OK;
}

// body enqueues embedding and every block; for a decode step (head1) also
// the LM head with its argmax, so that the graph holds the whole step.
static int body(orcd_ctx *c, int n, bool head1) {
	const orcd_params &p = c->p;
	const int mb = p.max_batch;
	cudaMemsetAsync(c->sumsq, 0, (size_t)(2 * p.n_layer + 1) * mb * sizeof(float), c->st);
	cudaMemsetAsync(c->d_amax, 0, 8 * sizeof(unsigned long long), c->st);
	if (!embed_any(c->tok, c->d_tok, n, c->x, p.n_embd, c->st)) return fail(c, ORCD_ERR_UNSUPPORTED, "no embedding kernel");
	resid_finish(c->x, c->L[0].attn_norm, c->xn, c->sumsq, n, p.n_embd, c->st);
	prof_mark(c, n <= c->mv_batch ? "embedding" : "embedding (gemm batch)");
	for (int l = 0; l < p.n_layer; l++) {
		int rc = layer(c, l, n);
		if (rc) return rc;
	}
	if (!head1) return ORCD_OK;
	const float *ss_out = c->sumsq + (size_t)(2 * p.n_layer) * mb;
	MVArgs a = mv_args(c->have_out ? c->out : c->tok, c->xn, p.n_embd, ss_out, p.n_embd, p.rms_eps, c->logits, p.n_vocab);
	a.amax = c->d_amax;
	int rc = mv(c, a, 1, MV_ARGMAX);
	prof_mark(c, "lm_head + argmax");
	return rc;
}

static int sync_check(orcd_ctx *c, const char *what) {
	cudaError_t e = cudaGetLastError();
	if (e == cudaSuccess) e = cudaStreamSynchronize(c->st);
	return e == cudaSuccess ? ORCD_OK : cuda_fail(c, e, what);
}

static int32_t unpack_row(unsigned long long v) { return (int32_t)(0xffffffffu - (uint32_t)(v & 0xffffffffu)); }

// fetch copies k rows of logits / argmax from the device.
static int fetch(orcd_ctx *c, int k, float *logits, int32_t *argmax) {
	cudaError_t e = cudaSuccess;
	if (logits) e = cudaMemcpyAsync(logits, c->logits, (size_t)k * c->p.n_vocab * 4, cudaMemcpyDeviceToHost, c->st);
	if (e == cudaSuccess) e = cudaMemcpyAsync(c->pin_amax, c->d_amax, k * 8, cudaMemcpyDeviceToHost, c->st);
	if (e != cudaSuccess) return cuda_fail(c, e, "copy logits");
	int rc = sync_check(c, "forward");
	if (rc) return rc;
	if (argmax)
		for (int i = 0; i < k; i++) argmax[i] = unpack_row(c->pin_amax[i]);
	return ORCD_OK;
}

// gather_selected copies the nsel rows that want logits, after the last
// block, into xs and their sums of squares into gu (both free by then).
static void gather_selected(orcd_ctx *c, int nsel) {
	const orcd_params &p = c->p;
	const float *ss_out = c->sumsq + (size_t)(2 * p.n_layer) * p.max_batch;
	gather_rows(c->xn, ss_out, c->d_sel, nsel, p.n_embd, c->xs, c->gu, c->st);
}

// head_rows enqueues the LM head with its argmax for gathered rows
// i..i+k-1 (k <= 8) into logits rows 0..k-1 and d_amax[at..at+k).
static int head_rows(orcd_ctx *c, int i, int k, int at = 0) {
	const orcd_params &p = c->p;
	cudaMemsetAsync(c->d_amax + at, 0, 8 * sizeof(unsigned long long), c->st);
	MVArgs a = mv_args(c->have_out ? c->out : c->tok, c->xs + (size_t)i * p.n_embd, p.n_embd, c->gu + i, p.n_embd, p.rms_eps,
	                   c->logits, p.n_vocab);
	a.amax = c->d_amax + at;
	const int rc = mv(c, a, k, MV_ARGMAX);
	prof_mark(c, "lm_head + argmax");
	return rc;
}

// enqueue_small enqueues a whole step of n <= mv_batch tokens with nsel <= 8
// rows of logits: the blocks, then the LM head with its argmax.
static int enqueue_small(orcd_ctx *c, int n, int nsel) {
	if (n == 1 && nsel == 1) return body(c, 1, true);
	int rc = body(c, n, false);
	if (rc || nsel == 0) return rc;
	gather_selected(c, nsel);
	return head_rows(c, 0, nsel);
}

// step_small runs enqueue_small as a CUDA graph, captured the first time
// each (n, nsel) comes: at ~80 kernels a step the launch overhead would
// rival the bandwidth. Everything that changes between steps (tokens,
// positions, sequences, selected rows) is read from device memory.
static int step_small(orcd_ctx *c, int n, int nsel) {
	cudaGraphExec_t &x = c->graphs[n][nsel];
	cudaError_t e;
	if (!x) {
		cudaGraph_t g = nullptr;
		e = cudaStreamBeginCapture(c->st, cudaStreamCaptureModeThreadLocal);
		if (e != cudaSuccess) return cuda_fail(c, e, "begin graph capture");
		int rc = enqueue_small(c, n, nsel);
		e = cudaStreamEndCapture(c->st, &g);
		if (rc) {
			if (g) cudaGraphDestroy(g);
			return rc;
		}
		if (e == cudaSuccess) e = cudaGraphInstantiateWithFlags(&x, g, 0);
		if (g) cudaGraphDestroy(g);
		if (e != cudaSuccess) {
			x = nullptr;
			return cuda_fail(c, e, "graph capture");
		}
	}
	e = cudaGraphLaunch(x, c->st);
	return e == cudaSuccess ? ORCD_OK : cuda_fail(c, e, "graph launch");
}

int run_forward(orcd_ctx *c, int n, int nsel, float *logits, int32_t *argmax) {
	const orcd_params &p = c->p;
	cudaError_t e = cudaMemcpyAsync(c->d_tok, c->pin, 4 * (size_t)p.max_batch * 4, cudaMemcpyHostToDevice, c->st);
	if (e != cudaSuccess) return cuda_fail(c, e, "copy batch");
	prof_mark(c, "start");
	if (n <= MV_MAX && nsel <= 8) {
		// Profiling needs the kernels launched one by one, between events.
		int rc = c->prof ? enqueue_small(c, n, nsel) : step_small(c, n, nsel);
		if (!rc) rc = nsel ? fetch(c, nsel, logits, argmax) : sync_check(c, "forward");
		prof_collect(c);
		return rc;
	}
	// A wider matvec step replays its blocks as a graph too (~20 kernels
	// a layer at 32 tokens); the head follows 8 rows at a time.
	int rc = n <= c->mv_batch && !c->prof ? step_small(c, n, 0) : body(c, n, false);
	if (rc) return rc;
	if (nsel == 0) {
		rc = sync_check(c, "forward");
		prof_collect(c);
		return rc;
	}
	gather_selected(c, nsel);
	if (!logits && argmax) {
		// Argmax only: the head's 8-row chunks run back to back, their
		// argmaxes fetched AMAX_ROWS at a time, not a sync a chunk.
		for (int i = 0; i < nsel; i += AMAX_ROWS) {
			const int k = std::min(AMAX_ROWS, nsel - i);
			for (int j = 0; j < k; j += 8)
				if ((rc = head_rows(c, i + j, std::min(8, k - j), j))) return rc;
			if ((rc = fetch(c, k, nullptr, argmax + i))) return rc;
			prof_collect(c);
			if (i + AMAX_ROWS < nsel) prof_mark(c, "start");
		}
		return ORCD_OK;
	}
	// The head runs 8 rows at a time, each chunk fetched before the next.
	for (int i = 0; i < nsel; i += 8) {
		const int k = std::min(8, nsel - i);
		if ((rc = head_rows(c, i, k))) return rc;
		if ((rc = fetch(c, k, logits ? logits + (size_t)i * p.n_vocab : nullptr, argmax ? argmax + i : nullptr))) return rc;
		prof_collect(c);
		if (i + 8 < nsel) prof_mark(c, "start");
	}
	return ORCD_OK;
}
