// mv.cuh: the kernels templated on weight type, instantiated once per type
// by the mv_<type>.cu files (so that nvcc builds them in parallel).
#pragma once
#include "mvq_k.cuh"
#include "qgemm.cuh"
#include "quant.cuh"

#define MV_WARPS 4
#define MVQ_WARPS 8

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// Order-preserving float -> uint, then (value, lowest row wins ties).
__device__ __forceinline__ unsigned long long pack_argmax(float v, int row) {
	uint32_t u = __float_as_uint(v);
	u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
	return ((unsigned long long)u << 32) | (0xffffffffu - (uint32_t)row);
}

// prefetch_rows asks L2 for row r's bytes in every plane (a 128-byte line
// per lane and step), before the kernel may read its input.
template <int T> __device__ __forceinline__ void prefetch_rows(const QMat &m, long r, int lane) {
	using D = Dec<T>;
	const uint8_t *pl[4] = {m.p0, m.p1, m.p2, m.p3};
	const int pb[4] = {D::PB0, D::PB1, D::PB2, D::PB3};
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (!pb[i]) continue;
		const long bytes = (long)m.nb * pb[i];
		const uintptr_t lo = reinterpret_cast<uintptr_t>(pl[i] + r * bytes), hi = lo + bytes;
		for (uintptr_t a = (lo & ~(uintptr_t)127) + 128 * (uintptr_t)lane; a < hi; a += 32 * 128)
			prefetch_l2(reinterpret_cast<const void *>(a));
	}
}

// MVRows is a matvec warp's share: two rows (one of each matrix in GLU
// mode) of the block's `warps` warps. Making it also starts the kernel:
// the weights are the step's constants, so they may be fetched into L2
// while the kernel before (under PDL) still computes this one's input.
template <int T, int MODE> struct MVRows {
	int lane, wid, r0, r1;
	bool ok0, ok1;
	const QMat *M1; // the second row's matrix
	__device__ MVRows(const MVArgs &a, int warps) {
		lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
		const int gw = blockIdx.x * warps + wid;
		r0 = MODE == MV_GLU ? gw : 2 * gw, r1 = MODE == MV_GLU ? gw : 2 * gw + 1;
		ok0 = r0 < a.A.n_out, ok1 = r1 < a.A.n_out;
		M1 = MODE == MV_GLU ? &a.B : &a.A;
		pdl_launch_next();
		if (a.prefetch) {
			if (ok0) prefetch_rows<T>(a.A, r0, lane);
			if (ok1) prefetch_rows<T>(*M1, r1, lane);
		}
		pdl_wait();
	}
};

// mv_finish reduces each warp's two rows per token and writes them as
// MODE says: store, residual add (with the next norm's input and sum of
// squares), SwiGLU of the gate and up rows, or store with the argmax.
template <int N, int MODE, int WARPS>
__device__ __forceinline__ void mv_finish(const MVArgs &a, const float *acc0, const float *acc1, int r0, int r1, bool ok0, bool ok1, int lane, int wid) {
	__shared__ float part[WARPS][N];
#pragma unroll
	for (int t = 0; t < N; t++) {
		float s0 = warp_sum(acc0[t]), s1 = warp_sum(acc1[t]);
		if (a.in_sumsq) {
			const float sc = rsqrtf(a.in_sumsq[t] / (float)a.norm_n + a.eps);
			s0 *= sc;
			s1 *= sc;
		}
		float *y = a.y + (long)t * a.ldy;
		if (MODE == MV_STORE || MODE == MV_ARGMAX) {
			if (lane == 0 && ok0) y[r0] = s0;
			if (lane == 0 && ok1) y[r1] = s1;
			if (MODE == MV_ARGMAX && lane == 0 && ok0) {
				unsigned long long p = pack_argmax(s0, r0);
				if (ok1) p = max(p, pack_argmax(s1, r1));
				// Most warps lose: read first, so few reach the atomic.
				if (p > *(volatile unsigned long long *)&a.amax[t]) atomicMax(&a.amax[t], p);
			}
		} else if (MODE == MV_GLU) {
			if (lane == 0 && ok0) y[r0] = s0 / (1.f + __expf(-s0)) * s1;
		} else { // MV_ADD: residual, next norm's input and its sum of squares
			float sq = 0.f;
			if (lane == 0 && ok0) {
				const float v = y[r0] + s0;
				y[r0] = v;
				a.xn_out[(long)t * a.ldy + r0] = v * a.wnext[r0];
				sq += v * v;
			}
			if (lane == 0 && ok1) {
				const float v = y[r1] + s1;
				y[r1] = v;
				a.xn_out[(long)t * a.ldy + r1] = v * a.wnext[r1];
				sq += v * v;
			}
			if (lane == 0) part[wid][t] = sq;
		}
	}
	if (MODE == MV_ADD) {
		__syncthreads();
		if (threadIdx.x < N) {
			float s = 0.f;
#pragma unroll
			for (int w = 0; w < WARPS; w++) s += part[w][threadIdx.x];
			atomicAdd(&a.sumsq_out[threadIdx.x], s);
		}
	}
}

// k_mv: one warp computes two rows for N tokens. The lanes stride over the
// units of a row, so each weight byte is read once per launch; the input
// chunk a unit needs is read once for both rows. Decode is bandwidth bound,
// so that is all there is to it besides enough loads in flight.
template <int T, int N, int MODE>
__global__ void __launch_bounds__(MV_WARPS * 32) k_mv(MVArgs a) {
	using D = Dec<T>;
	const MVRows<T, MODE> rw(a, MV_WARPS);
	const int lane = rw.lane, wid = rw.wid, r0 = rw.r0, r1 = rw.r1;
	const bool ok0 = rw.ok0, ok1 = rw.ok1;
	const QMat &M1 = *rw.M1;
	float acc0[N], acc1[N];
#pragma unroll
	for (int t = 0; t < N; t++) acc0[t] = acc1[t] = 0.f;
	const int upr = a.A.nb * D::UPB;
#pragma unroll (D::UE == 64 ? 1 : 2)
	for (int u = lane; u < upr; u += 32) {
		const int bi = u / D::UPB, sub = u % D::UPB;
		// RAW decoders leave the values unscaled, with a scale per group of
		// SG values; the others scale them here (one group, scale 1).
		constexpr int G = D::UE / D::SG;
		float v0[D::UE], v1[D::UE], c0[G], c1[G];
#pragma unroll
		for (int g = 0; g < G; g++) c0[g] = c1[g] = 1.f;
		if (ok0) {
			if constexpr (D::RAW) D::load_raw(a.A, (long)r0 * a.A.nb + bi, sub, v0, c0);
			else D::load(a.A, (long)r0 * a.A.nb + bi, sub, v0);
		} else
#pragma unroll
			for (int k = 0; k < D::UE; k++) v0[k] = 0.f;
		if (ok1) {
			if constexpr (D::RAW) D::load_raw(M1, (long)r1 * M1.nb + bi, sub, v1, c1);
			else D::load(M1, (long)r1 * M1.nb + bi, sub, v1);
		} else
#pragma unroll
			for (int k = 0; k < D::UE; k++) v1[k] = 0.f;
		const float *xb = a.x + (long)bi * D::BE;
#pragma unroll
		for (int t = 0; t < N; t++) {
#pragma unroll
			for (int g = 0; g < G; g++) {
				float s0 = 0.f, s1 = 0.f;
#pragma unroll
				for (int k = g * D::SG; k < (g + 1) * D::SG; k += 4) {
					const float4 xv = __ldg(reinterpret_cast<const float4 *>(xb + (long)t * a.ldx + D::off(sub, k)));
					s0 += v0[k] * xv.x + v0[k + 1] * xv.y + v0[k + 2] * xv.z + v0[k + 3] * xv.w;
					s1 += v1[k] * xv.x + v1[k + 1] * xv.y + v1[k + 2] * xv.z + v1[k + 3] * xv.w;
				}
				if constexpr (D::RAW) {
					acc0[t] += c0[g] * s0;
					acc1[t] += c1[g] * s1;
				} else {
					acc0[t] += s0;
					acc1[t] += s1;
				}
			}
		}
	}
	mv_finish<N, MODE, MV_WARPS>(a, acc0, acc1, r0, r1, ok0, ok1, lane, wid);
}

// k_mvq is k_mv with 8-bit activations (mvq.cuh): two rows a warp, after
// the block has quantized the N input rows into shared memory. Its blocks
// are twice k_mv's, so that the quantizing, which every block repeats, is
// spread over twice the rows.
template <int T, int N, int MODE>
__global__ void __launch_bounds__(MVQ_WARPS * 32) k_mvq(MVArgs a) {
	using D = DecQ<T>;
	DYN_SHARED(int4, xq_smem);
	const MVRows<T, MODE> rw(a, MVQ_WARPS);
	const int lane = rw.lane, wid = rw.wid, r0 = rw.r0, r1 = rw.r1;
	const bool ok0 = rw.ok0, ok1 = rw.ok1;
	const QMat &M1 = *rw.M1;
	// The input is normalized before it is quantized, so mv_finish must
	// not scale it again.
	const Act<D::ACT> x(xq_smem, N, a.A.n_in);
	const int upr = a.A.nb * D::UPB;
	// A row past the matrix gets zero weights (and scales): it adds 0.
	auto load = [&](int u, typename D::W &w0, typename D::W &w1) {
		if (ok0) D::load(a.A, (long)r0 * a.A.nb + u / D::UPB, u % D::UPB, w0);
		if (ok1) D::load(M1, (long)r1 * M1.nb + u / D::UPB, u % D::UPB, w1);
	};
	// The lane's first unit is loaded before the activations are ready,
	// so that the block's first DRAM latency passes under the quantizing
	// (or copying) rather than after it: in a one-token decode most
	// matvecs are a single wave of blocks, each with only a few units a
	// lane, and that latency is a good part of each kernel.
	typename D::W f0{}, f1{};
	if (lane < upr) load(lane, f0, f1);
	if (a.qpre) copy_acts<D::ACT>(Act<D::ACT>(const_cast<void *>(a.qpre), a.n_pre, a.A.n_in), a.t_pre, N, x);
	else quantize_acts<D::ACT>(a.x, a.ldx, N, a.in_sumsq, a.norm_n, a.eps, x);
	__syncthreads();
	float acc0[N], acc1[N];
#pragma unroll
	for (int t = 0; t < N; t++) acc0[t] = acc1[t] = 0.f;
	auto unit = [&](int u, const typename D::W &w0, const typename D::W &w1) {
		const int bi = u / D::UPB, sub = u % D::UPB;
#pragma unroll
		for (int t = 0; t < N; t++) {
			// Both rows meet one read of the token's activations.
			const typename D::X xu = D::acts(x, t, bi, sub);
			acc0[t] += D::dot(w0, xu) * xu.d;
			acc1[t] += D::dot(w1, xu) * xu.d;
		}
	};
	if (lane < upr) unit(lane, f0, f1);
#pragma unroll 2
	for (int u = lane + 32; u < upr; u += 32) {
		typename D::W w0{}, w1{};
		load(u, w0, w1);
		unit(u, w0, w1);
	}
	MVArgs b = a;
	b.in_sumsq = nullptr;
	mv_finish<N, MODE, MVQ_WARPS>(b, acc0, acc1, r0, r1, ok0, ok1, lane, wid);
}

// k_dequant_f16: one thread per unit, for the cuBLAS prefill path.
template <int T>
__global__ void k_dequant_f16(QMat m, __half *out) {
	pdl_enter();
	using D = Dec<T>;
	const int upr = m.nb * D::UPB;
	const long idx = (long)blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= (long)m.n_out * upr) return;
	const int row = (int)(idx / upr), u = (int)(idx % upr);
	const int bi = u / D::UPB, sub = u % D::UPB;
	float v[D::UE];
	D::load(m, (long)row * m.nb + bi, sub, v);
	__half *o = out + (long)row * m.n_in + (long)bi * D::BE;
#pragma unroll
	for (int k = 0; k < D::UE; k++) o[D::off(sub, k - k % 4) + k % 4] = __float2half_rn(v[k]);
}

// k_embed: row tok[t] of the embedding matrix into x[t].
template <int T>
__global__ void k_embed(QMat m, const int *tok, float *x, int E) {
	pdl_enter();
	using D = Dec<T>;
	const int t = blockIdx.x, upr = m.nb * D::UPB;
	const long row = tok[t];
	for (int u = threadIdx.x; u < upr; u += blockDim.x) {
		const int bi = u / D::UPB, sub = u % D::UPB;
		float v[D::UE];
		D::load(m, row * m.nb + bi, sub, v);
		float *o = x + (long)t * E + (long)bi * D::BE;
#pragma unroll
		for (int k = 0; k < D::UE; k++) o[D::off(sub, k - k % 4) + k % 4] = v[k];
	}
}

template <int T, int N, int MODE>
static void launch_mv(const MVArgs &a, cudaStream_t st) {
	const int rows_per_warp = MODE == MV_GLU ? 1 : 2;
	const int warps = (a.A.n_out + rows_per_warp - 1) / rows_per_warp;
	MVArgs b = a;
	b.prefetch = orcd_pdl;
	if constexpr (DecQ<T>::OK) {
		if (mvq_applies<T>(N, a.A.n_in)) {
			LAUNCH(((warps + MVQ_WARPS - 1) / MVQ_WARPS, MVQ_WARPS * 32, mvq_smem<T>(N, a.A.n_in), st), k_mvq<T, N, MODE>)(b);
			return;
		}
	}
	LAUNCH(((warps + MV_WARPS - 1) / MV_WARPS, MV_WARPS * 32, 0, st), k_mv<T, N, MODE>)(b);
}

// launch_mvq16 runs 16 tokens through one k_mvq (the caller has checked
// mvq_applies<T>(16, K)): a step of 32 sequences then reads each weight
// twice instead of four times. There is no float twin at 16; the argmax
// (LM head) mode stays at 8 rows, as its logits buffer.
template <int T>
static void launch_mvq16(const MVArgs &a, int mode, cudaStream_t st) {
	if constexpr (DecQ<T>::OK) {
		const int warps = mode == MV_GLU ? a.A.n_out : (a.A.n_out + 1) / 2;
		const dim3 grid((warps + MVQ_WARPS - 1) / MVQ_WARPS);
		const size_t smem = mvq_smem<T>(16, a.A.n_in);
		MVArgs b = a;
		b.prefetch = orcd_pdl;
		switch (mode) {
		case MV_STORE: LAUNCH((grid, MVQ_WARPS * 32, smem, st), k_mvq<T, 16, MV_STORE>)(b); break;
		case MV_ADD: LAUNCH((grid, MVQ_WARPS * 32, smem, st), k_mvq<T, 16, MV_ADD>)(b); break;
		default: LAUNCH((grid, MVQ_WARPS * 32, smem, st), k_mvq<T, 16, MV_GLU>)(b); break;
		}
	}
}

// mvq16_applies: whether n more tokens of mode go 16 at a time.
template <int T> static bool mvq16_applies(const MVArgs &a, int n, int mode) {
	return orcd_mvq_tokens >= 16 && n >= 16 && mode != MV_ARGMAX && mvq_applies<T>(16, a.A.n_in);
}

// mvq_init lets every k_mvq of type T use up to orcd_mvq_smem of shared
// memory (past the 48 KB default); once per device, before any capture.
template <int T, int N> static cudaError_t mvq_init_n() {
	const int m = orcd_mvq_smem;
	const cudaFuncAttribute at = cudaFuncAttributeMaxDynamicSharedMemorySize;
	cudaError_t e = cudaFuncSetAttribute(k_mvq<T, N, MV_STORE>, at, m);
	if (e == cudaSuccess) e = cudaFuncSetAttribute(k_mvq<T, N, MV_ADD>, at, m);
	if (e == cudaSuccess) e = cudaFuncSetAttribute(k_mvq<T, N, MV_GLU>, at, m);
	if constexpr (N <= 8) // the LM head's argmax goes 8 rows at a time
		if (e == cudaSuccess) e = cudaFuncSetAttribute(k_mvq<T, N, MV_ARGMAX>, at, m);
	return e;
}
template <int T> static cudaError_t mvq_init() {
	if constexpr (!DecQ<T>::OK) {
		return cudaSuccess;
	} else {
		cudaError_t e = mvq_init_n<T, 1>();
		if (e == cudaSuccess) e = mvq_init_n<T, 2>();
		if (e == cudaSuccess) e = mvq_init_n<T, 4>();
		if (e == cudaSuccess) e = mvq_init_n<T, 8>();
		if (e == cudaSuccess) e = mvq_init_n<T, 16>();
		return e;
	}
}

template <int T, int N>
static void launch_mv_mode(const MVArgs &a, int mode, cudaStream_t st) {
	switch (mode) {
	case MV_STORE: launch_mv<T, N, MV_STORE>(a, st); break;
	case MV_ADD: launch_mv<T, N, MV_ADD>(a, st); break;
	case MV_GLU: launch_mv<T, N, MV_GLU>(a, st); break;
	default: launch_mv<T, N, MV_ARGMAX>(a, st); break;
	}
}

// mv_chunks runs n tokens as chunks of 16 (where launch_mvq16 may), 8,
// 4, 2, 1, one kernel each. A token's arithmetic is the same in any chunk.
template <int T>
static void mv_chunks(MVArgs a, int n, int mode, cudaStream_t st) {
	a.qpre = nullptr;
	if constexpr (DecQ<T>::OK) {
		constexpr int A = DecQ<T>::ACT;
		const int K = a.A.n_in;
		if (orcd_mvq && orcd_mvq_pre && a.qbuf && n >= MVQ_PRE_MIN && K % Act<A>::BQ == 0 && Act<A>::bytes(n, K) <= a.qbuf_bytes) {
			LAUNCH((n, 256, 0, st), k_quantize_acts<A>)(a.x, a.ldx, a.in_sumsq, a.norm_n, a.eps, a.qbuf, n, K);
			a.qpre = a.qbuf, a.n_pre = n, a.t_pre = 0;
		}
	}
	while (n > 0) {
		const int c = mvq16_applies<T>(a, n, mode) ? 16 : n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
		switch (c) {
		case 16: launch_mvq16<T>(a, mode, st); break;
		case 8: launch_mv_mode<T, 8>(a, mode, st); break;
		case 4: launch_mv_mode<T, 4>(a, mode, st); break;
		case 2: launch_mv_mode<T, 2>(a, mode, st); break;
		default: launch_mv_mode<T, 1>(a, mode, st); break;
		}
		a.x += (long)c * a.ldx;
		a.y += (long)c * a.ldy;
		if (a.in_sumsq) a.in_sumsq += c;
		if (a.xn_out) a.xn_out += (long)c * a.ldy;
		if (a.sumsq_out) a.sumsq_out += c;
		if (a.amax) a.amax += c;
		a.t_pre += c;
		n -= c;
	}
}

#define ORCD_DEFINE_TYPE(NAME, T)                                                              \
	cudaError_t mvq_init_##NAME() { return mvq_init<T>(); }                                     \
	bool mvq_used_##NAME(int n, int K) { return mvq_applies<T>(n, K); }                          \
	void mv_##NAME(const MVArgs &a, int n, int mode, cudaStream_t st) { mv_chunks<T>(a, n, mode, st); } \
	void dequant_f16_##NAME(const QMat &m, __half *out, cudaStream_t st) {                        \
		const long units = (long)m.n_out * m.nb * Dec<T>::UPB;                                    \
		LAUNCH(((unsigned)((units + 255) / 256), 256, 0, st), k_dequant_f16<T>)(m, out);                \
	}                                                                                             \
	void embed_##NAME(const QMat &m, const int *tok, int n, float *x, int E, cudaStream_t st) {  \
		LAUNCH((n, 128, 0, st), k_embed<T>)(m, tok, x, E);                                              \
	}                                                                                             \
	void qgemm_##NAME(const QGemmArgs &a, cudaStream_t st) {                                      \
		static const cudaError_t once = cudaFuncSetAttribute(k_qgemm<T>,                          \
			cudaFuncAttributeMaxDynamicSharedMemorySize, (int)qgemm_smem());                      \
		(void)once;                                                                               \
		launch_qgemm<T>(a, st);                                                                   \
	}
