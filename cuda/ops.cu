// ops.cu: type-independent kernels (norms, RoPE, attention, SwiGLU) and
// the dispatch from a ggml type number to its kernels.
#include <algorithm>
#include "ops.cuh"
#include "mv.cuh"

#define DISPATCH(FN, ...)                                                  \
	switch (m_type) {                                                      \
	case GT_F32: FN##_f32(__VA_ARGS__); return true;                       \
	case GT_F16: FN##_f16(__VA_ARGS__); return true;                       \
	case GT_Q4_0: FN##_q4_0(__VA_ARGS__); return true;                     \
	case GT_Q5_0: FN##_q5_0(__VA_ARGS__); return true;                     \
	case GT_Q4_1: FN##_q4_1(__VA_ARGS__); return true;                     \
	case GT_Q5_1: FN##_q5_1(__VA_ARGS__); return true;                     \
	case GT_Q2_K: FN##_q2_k(__VA_ARGS__); return true;                     \
	case GT_Q3_K: FN##_q3_k(__VA_ARGS__); return true;                     \
	case GT_Q8_0: FN##_q8_0(__VA_ARGS__); return true;                     \
	case GT_Q4_K: FN##_q4_k(__VA_ARGS__); return true;                     \
	case GT_Q5_K: FN##_q5_k(__VA_ARGS__); return true;                     \
	case GT_Q6_K: FN##_q6_k(__VA_ARGS__); return true;                     \
	case GT_IQ4_NL: FN##_iq4_nl(__VA_ARGS__); return true;                 \
	case GT_IQ4_XS: FN##_iq4_xs(__VA_ARGS__); return true;                 \
	case GT_IQ2_XXS: FN##_iq2_xxs(__VA_ARGS__); return true;               \
	case GT_IQ2_XS: FN##_iq2_xs(__VA_ARGS__); return true;                 \
	case GT_IQ2_S: FN##_iq2_s(__VA_ARGS__); return true;                   \
	case GT_IQ3_XXS: FN##_iq3_xxs(__VA_ARGS__); return true;               \
	case GT_IQ3_S: FN##_iq3_s(__VA_ARGS__); return true;                   \
	case GT_IQ1_S: FN##_iq1_s(__VA_ARGS__); return true;                   \
	case GT_IQ1_M: FN##_iq1_m(__VA_ARGS__); return true;                   \
	default: return false;                                                 \
	}

bool mv_any(const MVArgs &a, int n, int mode, cudaStream_t st) {
	const int m_type = a.A.type;
	if (mode == MV_GLU && a.B.type != a.A.type) return false;
	DISPATCH(mv, a, n, mode, st)
}
bool dequant_f16_any(const QMat &m, __half *out, cudaStream_t st) {
	const int m_type = m.type;
	DISPATCH(dequant_f16, m, out, st)
}
bool qgemm_any(const QGemmArgs &a, cudaStream_t st) {
	const int m_type = a.W.type;
	DISPATCH(qgemm, a, st)
}
bool embed_any(const QMat &m, const int *tok, int n, float *x, int E, cudaStream_t st) {
	const int m_type = m.type;
	DISPATCH(embed, m, tok, n, x, E, st)
}
cudaError_t mvq_init_all() {
	cudaError_t e = mvq_init_q4_0();
	if (e == cudaSuccess) e = mvq_init_q8_0();
	if (e == cudaSuccess) e = mvq_init_q5_0();
	if (e == cudaSuccess) e = mvq_init_q4_1();
	if (e == cudaSuccess) e = mvq_init_q5_1();
	if (e == cudaSuccess) e = mvq_init_q2_k();
	if (e == cudaSuccess) e = mvq_init_q3_k();
	if (e == cudaSuccess) e = mvq_init_q4_k();
	if (e == cudaSuccess) e = mvq_init_q5_k();
	if (e == cudaSuccess) e = mvq_init_q6_k();
	if (e == cudaSuccess) e = mvq_init_iq4_nl();
	if (e == cudaSuccess) e = mvq_init_iq4_xs();
	if (e == cudaSuccess) e = mvq_init_iq2_xxs();
	if (e == cudaSuccess) e = mvq_init_iq2_xs();
	if (e == cudaSuccess) e = mvq_init_iq2_s();
	if (e == cudaSuccess) e = mvq_init_iq3_xxs();
	if (e == cudaSuccess) e = mvq_init_iq3_s();
	if (e == cudaSuccess) e = mvq_init_iq1_s();
	if (e == cudaSuccess) e = mvq_init_iq1_m();
	return e;
}
bool mvq_used(int type, int n, int K) {
	switch (type) {
	case GT_Q4_0: return mvq_used_q4_0(n, K);
	case GT_Q8_0: return mvq_used_q8_0(n, K);
	case GT_Q5_0: return mvq_used_q5_0(n, K);
	case GT_Q4_1: return mvq_used_q4_1(n, K);
	case GT_Q5_1: return mvq_used_q5_1(n, K);
	case GT_Q2_K: return mvq_used_q2_k(n, K);
	case GT_Q3_K: return mvq_used_q3_k(n, K);
	case GT_Q4_K: return mvq_used_q4_k(n, K);
	case GT_Q5_K: return mvq_used_q5_k(n, K);
	case GT_Q6_K: return mvq_used_q6_k(n, K);
	case GT_IQ4_NL: return mvq_used_iq4_nl(n, K);
	case GT_IQ4_XS: return mvq_used_iq4_xs(n, K);
	case GT_IQ2_XXS: return mvq_used_iq2_xxs(n, K);
	case GT_IQ2_XS: return mvq_used_iq2_xs(n, K);
	case GT_IQ2_S: return mvq_used_iq2_s(n, K);
	case GT_IQ3_XXS: return mvq_used_iq3_xxs(n, K);
	case GT_IQ3_S: return mvq_used_iq3_s(n, K);
	case GT_IQ1_S: return mvq_used_iq1_s(n, K);
	case GT_IQ1_M: return mvq_used_iq1_m(n, K);
	default: return false;
	}
}

// block_sum: sum over a block of up to 1024 threads; every thread gets it.
__device__ float block_sum(float v, float *sh) {
	v = warp_sum(v);
	const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
	__syncthreads();
	if (lane == 0) sh[w] = v;
	__syncthreads();
	float s = 0.f;
	for (int i = 0; i < nw; i++) s += sh[i];
	return s;
}
__device__ float block_max(float v, float *sh) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
	__syncthreads();
	if (lane == 0) sh[w] = v;
	__syncthreads();
	float s = -INFINITY;
	for (int i = 0; i < nw; i++) s = fmaxf(s, sh[i]);
	return s;
}

__global__ void k_resid_finish(const float *x, const float *w, float *xn, float *sumsq, int E) {
	pdl_enter();
	__shared__ float sh[32];
	const long b = (long)blockIdx.x * E;
	float s = 0.f;
	for (int i = threadIdx.x; i < E; i += blockDim.x) {
		const float v = x[b + i];
		xn[b + i] = v * w[i];
		s += v * v;
	}
	s = block_sum(s, sh);
	if (threadIdx.x == 0) sumsq[blockIdx.x] = s;
}
void resid_finish(const float *x, const float *w, float *xn, float *sumsq, int n, int E, cudaStream_t st) {
	LAUNCH((n, 256, 0, st), k_resid_finish)(x, w, xn, sumsq, E);
}

__global__ void k_stage(const float *xn, const float *sumsq, int E, float eps, float *of, __half *oh) {
	pdl_enter();
	const long b = (long)blockIdx.x * E;
	const float sc = rsqrtf(sumsq[blockIdx.x] / (float)E + eps);
	for (int i = threadIdx.x; i < E; i += blockDim.x) {
		const float v = xn[b + i] * sc;
		if (of) of[b + i] = v;
		else oh[b + i] = __float2half_rn(v);
	}
}
void stage_norm(const float *xn, const float *sumsq, int n, int E, float eps, float *of, __half *oh, cudaStream_t st) {
	LAUNCH((n, 256, 0, st), k_stage)(xn, sumsq, E, eps, of, oh);
}

__global__ void k_to_half(const float *in, __half *out, long count) {
	pdl_enter();
	const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < count) out[i] = __float2half_rn(in[i]);
}
void to_half(const float *in, __half *out, long count, cudaStream_t st) {
	LAUNCH(((unsigned)((count + 255) / 256), 256, 0, st), k_to_half)(in, out, count);
}

__global__ void k_swiglu(const float *gu, int F, float *of, __half *oh) {
	pdl_enter();
	const long t = blockIdx.y;
	const int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= F) return;
	const float g = gu[t * 2 * F + i], u = gu[t * 2 * F + F + i];
	const float v = g / (1.f + expf(-g)) * u;
	if (of) of[t * F + i] = v;
	else oh[t * F + i] = __float2half_rn(v);
}
void swiglu(const float *gu, int n, int F, float *of, __half *oh, cudaStream_t st) {
	LAUNCH((dim3((F + 255) / 256, n), 256, 0, st), k_swiglu)(gu, F, of, oh);
}

__global__ void k_gather(const float *xn, const float *sumsq, const int *sel, int E, float *xo, float *so) {
	pdl_enter();
	const int i = blockIdx.x, r = sel[i];
	for (int j = threadIdx.x; j < E; j += blockDim.x) xo[(long)i * E + j] = xn[(long)r * E + j];
	if (threadIdx.x == 0) so[i] = sumsq[r];
}
void gather_rows(const float *xn, const float *sumsq, const int *sel, int nsel, int E, float *xo, float *so, cudaStream_t st) {
	LAUNCH((nsel, 256, 0, st), k_gather)(xn, sumsq, sel, E, xo, so);
}

// k_qkv_post: one block per token, one warp per head (Q heads, then K, then V).
__global__ void k_qkv_post(QKVPost a) {
	pdl_enter();
	const int t = blockIdx.x, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
	const int p = a.pos[t], s = a.seq[t], kvd = a.Hkv * a.hd;
	float *row = a.qkv + (long)t * a.ldq;
	for (int hh = threadIdx.x >> 5; hh < a.H + 2 * a.Hkv; hh += nw) {
		const int kind = hh < a.H ? 0 : hh < a.H + a.Hkv ? 1 : 2; // Q, K, V
		const int h = kind == 0 ? hh : kind == 1 ? hh - a.H : hh - a.H - a.Hkv;
		float *v = row + (kind == 0 ? 0 : kind == 1 ? a.H * a.hd : a.H * a.hd + kvd) + h * a.hd;
		const float *bias = kind == 0 ? a.bq : kind == 1 ? a.bk : a.bv;
		const float *nw_ = kind == 0 ? a.qn : kind == 1 ? a.kn : nullptr;
		float ss = 0.f;
		for (int i = lane; i < a.hd; i += 32) {
			float x = v[i];
			if (bias) x += bias[h * a.hd + i];
			v[i] = x;
			ss += x * x;
		}
		if (nw_) {
			ss = warp_sum(ss);
			const float sc = rsqrtf(ss / (float)a.hd + a.eps);
			for (int i = lane; i < a.hd; i += 32) v[i] = v[i] * sc * nw_[i];
		}
		__syncwarp();
		if (kind < 2) {
			const int half = a.n_rot / 2;
			for (int i = lane; i < half; i += 32) {
				float theta = (float)p * powf(a.base, -2.f * (float)i / (float)a.n_rot);
				if (a.freqs) theta /= a.freqs[i];
				float sn, cs;
				sincosf(theta, &sn, &cs);
				const int i0 = a.neox ? i : 2 * i, i1 = a.neox ? i + half : 2 * i + 1;
				const float x0 = v[i0], x1 = v[i1];
				v[i0] = x0 * cs - x1 * sn;
				v[i1] = x0 * sn + x1 * cs;
			}
			__syncwarp();
		}
		if (kind > 0) {
			const long at = ((long)s * a.n_ctx + p) * kvd + h * a.hd;
			void *c = kind == 1 ? a.kc : a.vc;
			if (a.kv_f32)
				for (int i = lane; i < a.hd; i += 32) static_cast<float *>(c)[at + i] = v[i];
			else
				for (int i = lane; i < a.hd; i += 32) static_cast<__half *>(c)[at + i] = __float2half_rn(v[i]);
		}
		__syncwarp();
	}
}
void qkv_post(const QKVPost &a, int n, cudaStream_t st) { LAUNCH((n, 256, 0, st), k_qkv_post)(a); }

// k_attention: block (head, token, split), 128 threads. The block's
// positions (all of them, or one split's: see AttnArgs) go in tiles of
// 128 with an online softmax. Each tile of K and V is first copied into
// shared memory by all threads at once (independent, coalesced loads);
// then thread i scores position p0+i from it, and groups of head_dim
// threads accumulate V. K rows are padded by one pair so that threads
// reading the same column of different rows hit different banks. The cache
// holds half (E = __half) or, for exact comparisons, float elements.
#define ATT_T 128
static size_t attn_smem(int hd, size_t es) { return (size_t)ATT_T * (hd + 2) * es + (size_t)ATT_T * hd * es + (size_t)hd * 4; }

__device__ __forceinline__ float2 kv2f(__half2 v) { return __half22float2(v); }
__device__ __forceinline__ float2 kv2f(float2 v) { return v; }
__device__ __forceinline__ float kvf(__half v) { return __half2float(v); }
__device__ __forceinline__ float kvf(float v) { return v; }

template <class E, class E2>
__global__ void __launch_bounds__(ATT_T) k_attention(AttnArgs a) {
	pdl_enter();
	DYN_SHARED(unsigned char, smem);
	__shared__ float ps[ATT_T], sh[32], red[ATT_T];
	const int h = blockIdx.x, t = blockIdx.y, tid = threadIdx.x;
	const int hd = a.hd, h2 = hd / 2, kr = h2 + 1, kvd = a.Hkv * hd, kvh = h / (a.H / a.Hkv);
	E2 *Ks = reinterpret_cast<E2 *>(smem);          // [ATT_T][h2 + 1]
	E *Vs = reinterpret_cast<E *>(Ks + ATT_T * kr); // [ATT_T][hd]
	float *qs = reinterpret_cast<float *>(Vs + ATT_T * hd); // [hd]
	const int last = a.pos[t], len = last + 1;
	const int ch = a.part ? max(ATTN_MIN_CHUNK, (len + a.nsplit - 1) / a.nsplit) : len;
	const int s_lo = blockIdx.z * ch;
	if (s_lo > last) return; // the whole block: this split is past the token
	const int s_hi = min(last, s_lo + ch - 1);
	const bool partial = a.part && len > ch; // more than one split holds positions
	const long base = (long)a.seq[t] * a.n_ctx * kvd + (long)kvh * hd;
	for (int i = tid; i < hd; i += ATT_T) qs[i] = a.q[(long)t * a.ldq + (long)h * hd + i] * a.scale;
	float *pp = a.part ? a.part + ((long)(t * a.H + h) * a.nsplit + blockIdx.z) * (hd + 2) : nullptr;
	const int G = hd <= ATT_T ? ATT_T / hd : 1, g = hd <= ATT_T ? tid / hd : 0;
	const int d0 = hd <= ATT_T ? tid % hd : tid, nd = hd <= ATT_T ? 1 : 2;
	float o[2] = {0.f, 0.f}, m = -INFINITY, l = 0.f;
	for (int p0 = s_lo; p0 <= s_hi; p0 += ATT_T) {
		const int n = min(ATT_T, s_hi - p0 + 1);
		const E2 *K = reinterpret_cast<const E2 *>(static_cast<const E *>(a.kc) + base + (long)p0 * kvd);
		const E2 *V = reinterpret_cast<const E2 *>(static_cast<const E *>(a.vc) + base + (long)p0 * kvd);
		E2 *V2 = reinterpret_cast<E2 *>(Vs);
#pragma unroll 4
		for (int i = tid; i < n * h2; i += ATT_T) {
			const int r = i / h2, c = i - r * h2;
			Ks[r * kr + c] = K[(long)r * (kvd / 2) + c];
			V2[r * h2 + c] = V[(long)r * (kvd / 2) + c];
		}
		__syncthreads();
		float sc = -INFINITY;
		if (tid < n) {
			float s = 0.f;
			const E2 *k = Ks + tid * kr;
#pragma unroll 8
			for (int i = 0; i < h2; i++) {
				const float2 kf = kv2f(k[i]);
				s += qs[2 * i] * kf.x + qs[2 * i + 1] * kf.y;
			}
			sc = s;
		}
		const float mt = fmaxf(m, block_max(sc, sh));
		const float e = tid < n ? __expf(sc - mt) : 0.f;
		ps[tid] = e;
		const float lt = block_sum(e, sh); // its barriers also publish ps
		const float corr = __expf(m - mt);
		l = l * corr + lt;
		m = mt;
		o[0] *= corr;
		o[1] *= corr;
		if (g < G) {
			for (int c = 0; c < nd; c++) {
				const int d = d0 + c * ATT_T;
				if (d >= hd) continue;
				float acc = 0.f;
#pragma unroll 8
				for (int j = g; j < n; j += G) acc += ps[j] * kvf(Vs[j * hd + d]);
				o[c] += acc;
			}
		}
		__syncthreads();
	}
	for (int c = 0; c < nd; c++) {
		red[tid] = (g < G) ? o[c] : 0.f;
		__syncthreads();
		const int d = d0 + c * ATT_T;
		if (g == 0 && d < hd) {
			float s = 0.f;
			for (int j = 0; j < G; j++) s += red[j * hd + (hd <= ATT_T ? d : 0)];
			if (hd > ATT_T) s = o[c];
			if (partial) pp[2 + d] = s;
			else a.out[(long)t * a.ldo + (long)h * hd + d] = s / l;
		}
		__syncthreads();
	}
	if (partial && tid == 0) pp[0] = m, pp[1] = l;
}

// k_attn_merge: block (head, token) combines the splits of k_attention:
// out = sum_s e^(m_s - M) o_s / sum_s e^(m_s - M) l_s, M the largest m_s.
__global__ void k_attn_merge(AttnArgs a) {
	pdl_enter();
	const int h = blockIdx.x, t = blockIdx.y, len = a.pos[t] + 1, w = a.hd + 2;
	const int ch = max(ATTN_MIN_CHUNK, (len + a.nsplit - 1) / a.nsplit), ns = (len + ch - 1) / ch;
	if (ns == 1) return; // k_attention wrote the output itself
	const float *pp = a.part + (long)(t * a.H + h) * a.nsplit * w;
	float M = -INFINITY, L = 0.f;
	for (int s = 0; s < ns; s++) M = fmaxf(M, pp[(long)s * w]);
	for (int s = 0; s < ns; s++) L += pp[(long)s * w + 1] * __expf(pp[(long)s * w] - M);
	for (int d = threadIdx.x; d < a.hd; d += blockDim.x) {
		float acc = 0.f;
		for (int s = 0; s < ns; s++) acc += pp[(long)s * w + 2 + d] * __expf(pp[(long)s * w] - M);
		a.out[(long)t * a.ldo + (long)h * a.hd + d] = acc / L;
	}
}
int attn_splits(int sms, int H, int n) {
	const int s = 2 * sms / std::max(1, H * n);
	return std::min(ATTN_SPLIT_MAX, std::max(1, s));
}
template <class E, class E2> static void attention_t(const AttnArgs &a, int n, cudaStream_t st) {
	const size_t smem = attn_smem(a.hd, sizeof(E));
	if (a.part && n <= ATTN_SPLIT_N && a.nsplit > 1) {
		// The positions live on the device (and change under replayed
		// graphs), so the grid is fixed and each block works out its chunk;
		// below ATTN_MIN_CHUNK * nsplit positions some return at once.
		LAUNCH((dim3(a.H, n, a.nsplit), ATT_T, smem, st), k_attention<E, E2>)(a);
		LAUNCH((dim3(a.H, n), 128, 0, st), k_attn_merge)(a);
		return;
	}
	AttnArgs one = a;
	one.part = nullptr, one.nsplit = 1;
	LAUNCH((dim3(a.H, n), ATT_T, smem, st), k_attention<E, E2>)(one);
}
void attention(const AttnArgs &a, int n, cudaStream_t st) {
	if (a.kv_f32) attention_t<float, float2>(a, n, st);
	else attention_t<__half, __half2>(a, n, st);
}
cudaError_t attention_init() {
	// Past the 48 KB default: head_dim up to 256 with F16 (~130 KB), up to
	// 128 with F32 (~130 KB).
	const cudaFuncAttribute at = cudaFuncAttributeMaxDynamicSharedMemorySize;
	cudaError_t e = cudaFuncSetAttribute(k_attention<__half, __half2>, at, (int)attn_smem(256, 2));
	if (e == cudaSuccess) e = cudaFuncSetAttribute(k_attention<float, float2>, at, (int)attn_smem(ATT_F32_MAX_HD, 4));
	return e;
}
