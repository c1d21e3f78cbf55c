// upload.cu: weights from the GGUF mapping into VRAM, repacked into planes
// (see quant.cuh), with q/k/v and gate/up fused into one matrix when they
// share a quant type so that decode runs one kernel for each group.
#include <cstring>
#include "backend.cuh"

struct Layout {
	int block_elems, block_bytes, dec_elems; // ggml block; decoder block (Dec<T>::BE)
	std::vector<std::pair<int, int>> fields; // (offset, size) per plane, in plane order
};

static bool layout_of(int type, Layout &l) {
	switch (type) {
	case GT_F32: l = {1, 4, 4, {{0, 4}}}; return true;
	case GT_F16: l = {1, 2, 4, {{0, 2}}}; return true;
	case GT_Q4_0: l = {32, 18, 32, {{2, 16}, {0, 2}}}; return true;
	case GT_Q8_0: l = {32, 34, 32, {{2, 32}, {0, 2}}}; return true;
	case GT_Q5_0: l = {32, 22, 32, {{6, 16}, {2, 4}, {0, 2}}}; return true;
	case GT_Q4_1: l = {32, 20, 32, {{4, 16}, {0, 4}}}; return true;
	case GT_Q5_1: l = {32, 24, 32, {{8, 16}, {4, 4}, {0, 4}}}; return true;
	case GT_Q2_K: l = {256, 84, 256, {{16, 64}, {0, 16}, {80, 4}}}; return true;
	case GT_Q3_K: l = {256, 110, 256, {{32, 64}, {0, 32}, {96, 12}, {108, 2}}}; return true;
	case GT_Q4_K: l = {256, 144, 256, {{16, 128}, {4, 12}, {0, 4}}}; return true;
	case GT_Q5_K: l = {256, 176, 256, {{48, 128}, {16, 32}, {4, 12}, {0, 4}}}; return true;
	case GT_IQ4_NL: l = {32, 18, 32, {{2, 16}, {0, 2}}}; return true;
	case GT_IQ4_XS: l = {256, 136, 256, {{8, 128}, {4, 4}, {0, 4}}}; return true;
	case GT_Q6_K: l = {256, 210, 256, {{0, 128}, {128, 64}, {192, 16}, {208, 2}}}; return true;
	// The grid types (quant_iq.cuh).
	case GT_IQ2_XXS: l = {256, 66, 256, {{2, 64}, {0, 2}}}; return true;
	case GT_IQ2_XS: l = {256, 74, 256, {{2, 64}, {66, 8}, {0, 2}}}; return true;
	case GT_IQ2_S: l = {256, 82, 256, {{2, 64}, {66, 16}, {0, 2}}}; return true;
	case GT_IQ3_XXS: l = {256, 98, 256, {{2, 64}, {66, 32}, {0, 2}}}; return true;
	case GT_IQ3_S: l = {256, 110, 256, {{2, 64}, {74, 36}, {66, 8}, {0, 2}}}; return true;
	case GT_IQ1_S: l = {256, 50, 256, {{2, 32}, {34, 16}, {0, 2}}}; return true;
	case GT_IQ1_M: l = {256, 56, 256, {{0, 32}, {32, 16}, {48, 8}}}; return true;
	default: return false;
	}
}

// Bytes one decoder block takes in plane k (row slicing needs it).
static long plane_stride(const Layout &l, int k) {
	return (long)l.fields[k].second * (l.dec_elems / l.block_elems);
}

static int repack(orcd_ctx *c, const char *what, const orcd_tensor *t, HostMat &h) {
	Layout l;
	if (!layout_of(t->type, l))
		return fail(c, ORCD_ERR_UNSUPPORTED, "%s: tensor type %d has no CUDA kernels (F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K to Q6_K, IQ4_NL, IQ4_XS and the IQ1 to IQ3 grid types do)", what, t->type);
	const long n_in = t->ne[0], n_out = t->ne[1];
	if (n_in % l.dec_elems != 0)
		return fail(c, ORCD_ERR_UNSUPPORTED, "%s: row length %ld is not a multiple of %d", what, n_in, l.dec_elems);
	const long nblk = n_in / l.block_elems * n_out;
	if ((uint64_t)(nblk * l.block_bytes) != t->size || !t->data)
		return fail(c, ORCD_ERR_INVALID, "%s: %llu bytes, want %ld for type %d [%ld, %ld]", what,
		            (unsigned long long)t->size, nblk * l.block_bytes, t->type, n_in, n_out);
	h.type = t->type;
	h.n_in = (int)n_in;
	h.n_out = (int)n_out;
	h.planes.assign(l.fields.size(), {});
	const uint8_t *src = static_cast<const uint8_t *>(t->data);
	for (size_t k = 0; k < l.fields.size(); k++) {
		const int off = l.fields[k].first, sz = l.fields[k].second;
		std::vector<uint8_t> &p = h.planes[k];
		p.resize((size_t)nblk * sz);
		if (l.fields.size() == 1) {
			memcpy(p.data(), src, p.size());
			continue;
		}
		for (long b = 0; b < nblk; b++) memcpy(&p[(size_t)b * sz], src + b * l.block_bytes + off, sz);
	}
	h.set = true;
	return ORCD_OK;
}

// to_device uploads the concatenation (by rows) of mats, which share a type.
static int to_device(orcd_ctx *c, const std::vector<const HostMat *> &mats, QMat &m) {
	Layout l;
	layout_of(mats[0]->type, l);
	const size_t np = l.fields.size();
	std::vector<size_t> off(np + 1, 0);
	for (size_t k = 0; k < np; k++) {
		size_t sz = 0;
		for (auto *h : mats) sz += h->planes[k].size();
		off[k + 1] = off[k] + ((sz + 255) & ~(size_t)255);
	}
	uint8_t *d = nullptr;
	cudaError_t e = cudaMalloc(&d, off[np]);
	if (e != cudaSuccess) return cuda_fail(c, e, "cudaMalloc(weights)");
	c->allocs.push_back(d);
	c->held += off[np];
	m = QMat{mats[0]->type, mats[0]->n_in, 0, mats[0]->n_in / l.dec_elems, nullptr, nullptr, nullptr, nullptr};
	const uint8_t **pp[4] = {&m.p0, &m.p1, &m.p2, &m.p3};
	for (size_t k = 0; k < np; k++) {
		size_t at = off[k];
		for (auto *h : mats) {
			e = cudaMemcpy(d + at, h->planes[k].data(), h->planes[k].size(), cudaMemcpyHostToDevice);
			if (e != cudaSuccess) return cuda_fail(c, e, "cudaMemcpy(weights)");
			at += h->planes[k].size();
		}
		*pp[k] = d + off[k];
	}
	for (auto *h : mats) m.n_out += h->n_out;
	return ORCD_OK;
}

// rows returns the view of rows [r0, r0+n) of m.
static QMat rows(const QMat &m, int r0, int n) {
	Layout l;
	layout_of(m.type, l);
	QMat s = m;
	s.n_out = n;
	const uint8_t **pp[4] = {&s.p0, &s.p1, &s.p2, &s.p3};
	for (size_t k = 0; k < l.fields.size(); k++) *pp[k] += (long)r0 * m.nb * plane_stride(l, k);
	return s;
}

static int vec_to_device(orcd_ctx *c, const char *what, const orcd_tensor *t, long want, const float **out) {
	if (t->type != GT_F32 || t->ne[0] != want || t->ne[1] != 1 || t->size != (uint64_t)want * 4 || !t->data)
		return fail(c, ORCD_ERR_UNSUPPORTED, "%s: want an F32 vector of %ld values, got type %d [%ld, %ld]", what, want,
		            t->type, (long)t->ne[0], (long)t->ne[1]);
	void *d = nullptr;
	cudaError_t e = cudaMalloc(&d, t->size);
	if (e != cudaSuccess) return cuda_fail(c, e, "cudaMalloc(vector)");
	c->allocs.push_back(d);
	c->held += t->size;
	e = cudaMemcpy(d, t->data, t->size, cudaMemcpyHostToDevice);
	if (e != cudaSuccess) return cuda_fail(c, e, "cudaMemcpy(vector)");
	*out = static_cast<const float *>(d);
	return ORCD_OK;
}

int mat_to_device(orcd_ctx *c, const char *what, const orcd_tensor *t, long n_in, long n_out, QMat &m) {
	if (t->ne[0] != n_in || t->ne[1] != n_out)
		return fail(c, ORCD_ERR_INVALID, "%s: shape [%ld, %ld], want [%ld, %ld]", what, (long)t->ne[0], (long)t->ne[1], n_in, n_out);
	HostMat h;
	int rc = repack(c, what, t, h);
	if (rc) return rc;
	return to_device(c, {&h}, m);
}

static const char *role_names[ORCD_T_COUNT] = {"token_embd", "output_norm", "output", "rope_freqs", "attn_norm", "attn_q", "attn_k",
                                                "attn_v", "attn_qkv", "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_q_norm",
                                                "attn_k_norm", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_up(gate+up)", "ffn_down"};

// group_done uploads a fusion group (q,k,v or gate,up) once all of it is set.
static int group_done(orcd_ctx *c, int layer, int first, int count, const int *cols) {
	HostMat *g = &c->pend[layer * 5 + first];
	for (int i = 0; i < count; i++)
		if (!g[i].set) return ORCD_OK;
	LayerW &w = c->L[layer];
	std::vector<Part> &parts = first == 0 ? w.qkv : w.gu;
	bool same = true;
	for (int i = 1; i < count; i++) same = same && g[i].type == g[0].type;
	int rc = ORCD_OK;
	if (same) {
		std::vector<const HostMat *> ms;
		for (int i = 0; i < count; i++) ms.push_back(&g[i]);
		QMat m;
		rc = to_device(c, ms, m);
		if (rc) return rc;
		parts.push_back({m, 0});
		if (first == 3) {
			w.glu = true;
			w.gate = rows(m, 0, g[0].n_out);
			w.up = rows(m, g[0].n_out, g[1].n_out);
		}
	} else {
		for (int i = 0; i < count; i++) {
			QMat m;
			rc = to_device(c, {&g[i]}, m);
			if (rc) return rc;
			parts.push_back({m, cols[i]});
		}
	}
	for (int i = 0; i < count; i++) g[i] = HostMat{};
	return ORCD_OK;
}

int upload_tensor(orcd_ctx *c, int role, int layer, const orcd_tensor *t) {
	const orcd_params &p = c->p;
	const long E = p.n_embd, q = (long)p.n_head * p.head_dim, kv = (long)p.n_head_kv * p.head_dim, F = p.n_ff;
	char what[96];
	if (role < 0 || role >= ORCD_T_COUNT) return fail(c, ORCD_ERR_INVALID, "tensor role %d out of range", role);
	const bool per_layer = role >= ORCD_T_ATTN_NORM;
	if (per_layer && (layer < 0 || layer >= p.n_layer)) return fail(c, ORCD_ERR_INVALID, "layer %d out of range", layer);
	if (per_layer) snprintf(what, sizeof what, "blk.%d.%s", layer, role_names[role]);
	else snprintf(what, sizeof what, "%s", role_names[role]);
	LayerW *w = per_layer ? &c->L[layer] : nullptr;
	auto pending = [&](int slot, long n_out) -> int {
		if (t->ne[0] != E || t->ne[1] != n_out)
			return fail(c, ORCD_ERR_INVALID, "%s: shape [%ld, %ld], want [%ld, %ld]", what, (long)t->ne[0], (long)t->ne[1], E, n_out);
		int rc = repack(c, what, t, c->pend[layer * 5 + slot]);
		if (rc) return rc;
		const int qcols[3] = {0, (int)q, (int)(q + kv)}, gcols[2] = {0, (int)F};
		return slot < 3 ? group_done(c, layer, 0, 3, qcols) : group_done(c, layer, 3, 2, gcols);
	};
	switch (role) {
	case ORCD_T_TOK_EMBD: return mat_to_device(c, what, t, E, p.n_vocab, c->tok);
	case ORCD_T_OUTPUT: c->have_out = true; return mat_to_device(c, what, t, E, p.n_vocab, c->out);
	case ORCD_T_OUTPUT_NORM: return vec_to_device(c, what, t, E, &c->out_norm);
	case ORCD_T_ROPE_FREQS: return vec_to_device(c, what, t, p.n_rot / 2, &c->rope_freqs);
	case ORCD_T_ATTN_NORM: return vec_to_device(c, what, t, E, &w->attn_norm);
	case ORCD_T_FFN_NORM: return vec_to_device(c, what, t, E, &w->ffn_norm);
	case ORCD_T_BQ: return vec_to_device(c, what, t, q, &w->bq);
	case ORCD_T_BK: return vec_to_device(c, what, t, kv, &w->bk);
	case ORCD_T_BV: return vec_to_device(c, what, t, kv, &w->bv);
	case ORCD_T_QNORM: return vec_to_device(c, what, t, p.head_dim, &w->qn);
	case ORCD_T_KNORM: return vec_to_device(c, what, t, p.head_dim, &w->kn);
	case ORCD_T_WQ: return pending(0, q);
	case ORCD_T_WK: return pending(1, kv);
	case ORCD_T_WV: return pending(2, kv);
	case ORCD_T_GATE: return pending(3, F);
	case ORCD_T_UP: return pending(4, F);
	case ORCD_T_WQKV: {
		QMat m;
		int rc = mat_to_device(c, what, t, E, q + 2 * kv, m);
		if (!rc) w->qkv.push_back({m, 0});
		return rc;
	}
	case ORCD_T_GATEUP: {
		QMat m;
		int rc = mat_to_device(c, what, t, E, 2 * F, m);
		if (rc) return rc;
		w->gu.push_back({m, 0});
		w->glu = true;
		w->gate = rows(m, 0, (int)F);
		w->up = rows(m, (int)F, (int)F);
		return ORCD_OK;
	}
	case ORCD_T_WO: return mat_to_device(c, what, t, q, E, w->wo);
	case ORCD_T_DOWN: return mat_to_device(c, what, t, F, E, w->down);
	}
	return fail(c, ORCD_ERR_INVALID, "tensor role %d out of range", role);
}

// finish_load checks that every layer got all it needs.
int finish_load(orcd_ctx *c) {
	if (!c->tok.p0 || !c->out_norm) return fail(c, ORCD_ERR_INVALID, "token_embd or output_norm was not set");
	for (int l = 0; l < c->p.n_layer; l++) {
		const LayerW &w = c->L[l];
		if (!w.attn_norm || !w.ffn_norm || w.qkv.empty() || !w.wo.p0 || w.gu.empty() || !w.down.p0)
			return fail(c, ORCD_ERR_INVALID, "layer %d is missing tensors", l);
		if ((w.bq != nullptr) != (w.bk != nullptr) || (w.qn != nullptr) != (w.kn != nullptr))
			return fail(c, ORCD_ERR_INVALID, "layer %d: q/k biases or norms only half set", l);
	}
	c->pend.clear();
	// Wider matvec steps only where every block matrix quantizes its
	// activations: the float matvec of 9+ tokens would lose to cuBLAS.
	bool all_q8 = true;
	auto q8 = [&](const QMat &m) { all_q8 = all_q8 && mvq_used(m.type, 8, m.n_in); };
	for (const LayerW &w : c->L) {
		for (const Part &pt : w.qkv) q8(pt.m);
		q8(w.wo);
		if (w.glu) q8(w.gate), q8(w.up);
		else
			for (const Part &pt : w.gu) q8(pt.m);
		q8(w.down);
	}
	c->mv_batch = all_q8 ? std::min(c->mv_batch_req, c->p.max_batch) : 8;
	c->loaded = true;
	return ORCD_OK;
}
