// ops.cu: type-independent kernels (norms, RoPE, attention, SwiGLU) and
// the dispatch from a ggml type number to its kernels.
#include "ops.cuh"
#include "mv.cuh"

#define DISPATCH(FN, ...)                                                  \
	switch (m_type) {                                                      \
	case GT_F32: FN##_f32(__VA_ARGS__); return true;                       \
	case GT_F16: FN##_f16(__VA_ARGS__); return true;                       \
	case GT_Q4_0: FN##_q4_0(__VA_ARGS__); return true;                     \
	case GT_Q8_0: FN##_q8_0(__VA_ARGS__); return true;                     \
	case GT_Q4_K: FN##_q4_k(__VA_ARGS__); return true;                     \
	case GT_Q6_K: FN##_q6_k(__VA_ARGS__); return true;                     \
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
bool embed_any(const QMat &m, const int *tok, int n, float *x, int E, cudaStream_t st) {
	const int m_type = m.type;
	DISPATCH(embed, m, tok, n, x, E, st)
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
	k_resid_finish<<<n, 256, 0, st>>>(x, w, xn, sumsq, E);
}

__global__ void k_stage(const float *xn, const float *sumsq, int E, float eps, float *of, __half *oh) {
	const long b = (long)blockIdx.x * E;
	const float sc = rsqrtf(sumsq[blockIdx.x] / (float)E + eps);
	for (int i = threadIdx.x; i < E; i += blockDim.x) {
		const float v = xn[b + i] * sc;
		if (of) of[b + i] = v;
		else oh[b + i] = __float2half_rn(v);
	}
}
void stage_norm(const float *xn, const float *sumsq, int n, int E, float eps, float *of, __half *oh, cudaStream_t st) {
	k_stage<<<n, 256, 0, st>>>(xn, sumsq, E, eps, of, oh);
}

__global__ void k_to_half(const float *in, __half *out, long count) {
	const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < count) out[i] = __float2half_rn(in[i]);
}
void to_half(const float *in, __half *out, long count, cudaStream_t st) {
	k_to_half<<<(unsigned)((count + 255) / 256), 256, 0, st>>>(in, out, count);
}

__global__ void k_swiglu(const float *gu, int F, float *of, __half *oh) {
	const long t = blockIdx.y;
	const int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= F) return;
	const float g = gu[t * 2 * F + i], u = gu[t * 2 * F + F + i];
	const float v = g / (1.f + expf(-g)) * u;
	if (of) of[t * F + i] = v;
	else oh[t * F + i] = __float2half_rn(v);
}
void swiglu(const float *gu, int n, int F, float *of, __half *oh, cudaStream_t st) {
	k_swiglu<<<dim3((F + 255) / 256, n), 256, 0, st>>>(gu, F, of, oh);
}

__global__ void k_gather(const float *xn, const float *sumsq, const int *sel, int E, float *xo, float *so) {
	const int i = blockIdx.x, r = sel[i];
	for (int j = threadIdx.x; j < E; j += blockDim.x) xo[(long)i * E + j] = xn[(long)r * E + j];
	if (threadIdx.x == 0) so[i] = sumsq[r];
}
void gather_rows(const float *xn, const float *sumsq, const int *sel, int nsel, int E, float *xo, float *so, cudaStream_t st) {
	k_gather<<<nsel, 256, 0, st>>>(xn, sumsq, sel, E, xo, so);
}

// k_qkv_post: one block per token, one warp per head (Q heads, then K, then V).
__global__ void k_qkv_post(QKVPost a) {
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
			__half *c = (kind == 1 ? a.kc : a.vc) + ((long)s * a.n_ctx + p) * kvd + h * a.hd;
			for (int i = lane; i < a.hd; i += 32) c[i] = __float2half_rn(v[i]);
		}
		__syncwarp();
	}
}
void qkv_post(const QKVPost &a, int n, cudaStream_t st) { k_qkv_post<<<n, 256, 0, st>>>(a); }

// k_attention: block (head, token), 128 threads. Positions go in tiles of
// 128 with an online softmax: thread i scores position p0+i, then groups of
// head_dim threads accumulate V over the tile. Only hd <= 256.
#define ATT_T 128
__global__ void __launch_bounds__(ATT_T) k_attention(AttnArgs a) {
	__shared__ float qs[256], ps[ATT_T], sh[32], red[ATT_T];
	const int h = blockIdx.x, t = blockIdx.y, tid = threadIdx.x;
	const int hd = a.hd, kvd = a.Hkv * hd, kvh = h / (a.H / a.Hkv);
	const int last = a.pos[t];
	const long base = (long)a.seq[t] * a.n_ctx * kvd + (long)kvh * hd;
	for (int i = tid; i < hd; i += ATT_T) qs[i] = a.q[(long)t * a.ldq + (long)h * hd + i] * a.scale;
	__syncthreads();
	const int G = hd <= ATT_T ? ATT_T / hd : 1, g = hd <= ATT_T ? tid / hd : 0;
	const int d0 = hd <= ATT_T ? tid % hd : tid, nd = hd <= ATT_T ? 1 : 2;
	float o[2] = {0.f, 0.f}, m = -INFINITY, l = 0.f;
	for (int p0 = 0; p0 <= last; p0 += ATT_T) {
		const int p = p0 + tid;
		float sc = -INFINITY;
		if (p <= last) {
			const __half2 *k = reinterpret_cast<const __half2 *>(a.kc + base + (long)p * kvd);
			float s = 0.f;
			for (int i = 0; i < hd / 2; i++) {
				const float2 kf = __half22float2(k[i]);
				s += qs[2 * i] * kf.x + qs[2 * i + 1] * kf.y;
			}
			sc = s;
		}
		const float mt = fmaxf(m, block_max(sc, sh));
		const float e = p <= last ? __expf(sc - mt) : 0.f;
		ps[tid] = e;
		const float lt = block_sum(e, sh); // its barriers also publish ps
		const float corr = __expf(m - mt);
		l = l * corr + lt;
		m = mt;
		o[0] *= corr;
		o[1] *= corr;
		if (g < G) {
			const int n = min(ATT_T, last - p0 + 1);
			for (int j = g; j < n; j += G) {
				const __half *v = a.vc + base + (long)(p0 + j) * kvd;
				for (int c = 0; c < nd; c++) {
					const int d = d0 + c * ATT_T;
					if (d < hd) o[c] += ps[j] * __half2float(v[d]);
				}
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
			a.out[(long)t * a.ldo + (long)h * hd + d] = s / l;
		}
		__syncthreads();
	}
}
void attention(const AttnArgs &a, int n, cudaStream_t st) {
	k_attention<<<dim3(a.H, n), ATT_T, 0, st>>>(a);
}
