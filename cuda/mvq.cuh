// mvq.cuh: the decode matvec with 8-bit activations, the way llama.cpp and
// engine/kernels multiply quantized weights. Each block first quantizes its
// N input rows into shared memory, exactly as kernels.QuantizeQ8_0 (for
// Q4_0 and Q8_0 weights) or kernels.QuantizeQ8_K (Q4_K, Q5_K, Q6_K) would; then
// every block of weights meets its activations in __dp4a integer dot
// products, scaled once per block (Q4_K: per 32 values, Q6_K: per 16).
//
// Why: the float path (k_mv) spends ~4.75 instructions per Q4_0 weight on
// turning bytes into floats and multiplying them, about what the SM can
// issue at the H100's bandwidth, so it is compute bound (session 1 measured
// Q4_0 at 16% of the roofline). Here the main loop spends 1.19 (Q4_0) to
// 2.9 (Q6_K) instructions a weight (nvcc 11.8 SASS). And the integer sums
// are the CPU backend's and llama.cpp's own, so with an F32 KV cache greedy
// decoding reproduces llama.cpp's runs on quantized files (the goldens'
// `cases`), not only its float32 reference.
#pragma once
#include "quant.cuh"

enum { ACT_Q8_0 = 0, ACT_Q8_K = 1 };

// Act<A> is the shared-memory layout of N quantized rows of K values:
//   qs  int8  [N][K]
//   d   float [N][K/BQ]   the block scales (BQ = 32 for Q8_0, 256 for Q8_K)
//   aux int   [N][K/GA]   Q8_0: -8 x the block's quant sum (the offset of
//                         Q4_0's unsigned nibbles); Q8_K: each 16 quants' sum
template <int A> struct Act {
	static constexpr int BQ = A == ACT_Q8_0 ? 32 : 256, GA = A == ACT_Q8_0 ? 32 : 16;
	int8_t *qs;
	float *d;
	int *aux;
	int K;
	__host__ __device__ static size_t bytes(int n, int K) {
		return (size_t)n * K + (size_t)n * (K / BQ) * sizeof(float) + (size_t)n * (K / GA) * sizeof(int);
	}
	__device__ Act(void *smem, int n, int k) : K(k) {
		qs = static_cast<int8_t *>(smem);
		d = reinterpret_cast<float *>(qs + (size_t)n * K);
		aux = reinterpret_cast<int *>(d + (size_t)n * (K / BQ));
	}
	// at(t) is token t's rows alone, as a one-token layout.
	__device__ Act at(int t) const {
		Act r = *this;
		r.qs += (long)t * K, r.d += (long)t * (K / BQ), r.aux += (long)t * (K / GA);
		return r;
	}
	__device__ const int4 *q16(int t, int i) const { return reinterpret_cast<const int4 *>(qs + (long)t * K + i); }
	__device__ float scale(int t, int blk) const { return d[t * (K / BQ) + blk]; }
	__device__ int sum(int t, int g) const { return aux[t * (K / GA) + g]; }
};

// rne: round to nearest, ties to even, for |p| < 2^22 (the quants are
// within ±127.x), with a float add instead of a quarter-rate F2I.
__device__ __forceinline__ int rne(float p) { return __float_as_int(__fadd_rn(p, 12582912.f)) - 0x4B400000; }
__device__ __forceinline__ uint32_t pack4(const int *q) {
	return (uint32_t)(q[0] & 255) | (uint32_t)(q[1] & 255) << 8 | (uint32_t)(q[2] & 255) << 16 | (uint32_t)q[3] << 24;
}

// quantize_acts fills a from x[t][0..K) times sc(t), t < n, where sc is
// the RMSNorm scale when sumsq is given (engine/cpu's rmsnorm: the f16
// rounding of Q8_0's block scale depends on the magnitude, so quantizing
// the unnormalized row would round differently). A thread takes 8
// consecutive values per pass: 4 threads make a Q8_0 block, a warp a Q8_K
// super-block, and every thread of the block runs every pass (the shuffles
// need whole warps). blockDim.x must be a multiple of 32, K of BQ.
template <int A>
__device__ void quantize_acts(const float *x, int ldx, int n, const float *sumsq, int norm_n, float eps, Act<A> a) {
	const int K = a.K, per = K / 8;
	// Each token's scale once per block (n <= 16), in double as engine/cpu.
	__shared__ float nsc[16];
	if (sumsq && (int)threadIdx.x < n) nsc[threadIdx.x] = (float)(1.0 / sqrt((double)sumsq[threadIdx.x] / norm_n + (double)eps));
	if (sumsq) __syncthreads();
	// Tokens one after another, so that no item index is divided by K.
	for (int t = 0; t < n; t++)
	for (int base = 0; base < per; base += blockDim.x) {
		const int i = base + threadIdx.x, j = i * 8;
		const bool ok = i < per;
		float v[8];
		if (ok) {
			const float4 lo = __ldg(reinterpret_cast<const float4 *>(x + (long)t * ldx + j));
			const float4 hi = __ldg(reinterpret_cast<const float4 *>(x + (long)t * ldx + j + 4));
			v[0] = lo.x, v[1] = lo.y, v[2] = lo.z, v[3] = lo.w, v[4] = hi.x, v[5] = hi.y, v[6] = hi.z, v[7] = hi.w;
			if (sumsq) {
				const float sc = nsc[t];
#pragma unroll
				for (int k = 0; k < 8; k++) v[k] = __fmul_rn(v[k], sc);
			}
		} else
#pragma unroll
			for (int k = 0; k < 8; k++) v[k] = 0.f;
		float amax = 0.f;
#pragma unroll
		for (int k = 0; k < 8; k++) amax = fmaxf(amax, fabsf(v[k]));
		int q[8], s = 0;
		if constexpr (A == ACT_Q8_0) {
			// kernels.quantizeQ8_0Go: d = f16(amax/127), q = round(x * (127/amax)).
			amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 1));
			amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, 2));
			const float id = amax != 0.f ? 127.f / amax : 0.f;
			const bool finite = id <= 3.402823466e38f; // 127/subnormal: x86 gives the indefinite, -128
#pragma unroll
			for (int k = 0; k < 8; k++) {
				q[k] = finite ? rne(__fmul_rn(v[k], id)) : -128;
				s += q[k];
			}
			s += __shfl_xor_sync(0xffffffffu, s, 1);
			s += __shfl_xor_sync(0xffffffffu, s, 2);
			if (ok && (i & 3) == 0) {
				a.d[t * (K / 32) + j / 32] = __half2float(__float2half_rn(amax / 127.f));
				a.aux[t * (K / 32) + j / 32] = -8 * s;
			}
		} else {
			// kernels.quantizeQ8KInto: the value of largest magnitude (the
			// first, on a tie) maps to -127; d = 1/iscale.
#pragma unroll
			for (int o = 16; o > 0; o >>= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
			int first = 8;
			float vm = 0.f;
#pragma unroll
			for (int k = 7; k >= 0; k--)
				if (fabsf(v[k]) == amax) first = k, vm = v[k];
			int at = first < 8 ? (threadIdx.x & 31) * 8 + first : 1 << 30;
#pragma unroll
			for (int o = 16; o > 0; o >>= 1) {
				const int at2 = __shfl_xor_sync(0xffffffffu, at, o);
				const float vm2 = __shfl_xor_sync(0xffffffffu, vm, o);
				if (at2 < at) at = at2, vm = vm2;
			}
			const float iscale = amax != 0.f ? -127.f / vm : 0.f;
#pragma unroll
			for (int k = 0; k < 8; k++) {
				q[k] = min(127, rne(__fmul_rn(iscale, v[k])));
				s += q[k];
			}
			s += __shfl_xor_sync(0xffffffffu, s, 1);
			if (ok && (i & 1) == 0) a.aux[t * (K / 16) + j / 16] = s;
			if (ok && (i & 31) == 0) a.d[t * (K / 256) + j / 256] = amax != 0.f ? 1.f / iscale : 0.f;
		}
		if (ok) *reinterpret_cast<uint2 *>(a.qs + (long)t * K + j) = make_uint2(pack4(q), pack4(q + 4));
	}
}

// k_quantize_acts: quantize_acts for n tokens into global memory laid out
// as Act<A>(buf, n, K), one block of 256 threads a token.
template <int A>
__global__ void __launch_bounds__(256) k_quantize_acts(const float *x, int ldx, const float *sumsq, int norm_n, float eps, void *buf, int n, int K) {
	pdl_enter();
	const int t = blockIdx.x;
	const Act<A> all(buf, n, K);
	quantize_acts<A>(x + (long)t * ldx, ldx, 1, sumsq ? sumsq + t : nullptr, norm_n, eps, all.at(t));
}

// copy_acts fills s (n tokens) with tokens t0..t0+n-1 of g.
template <int A>
__device__ void copy_acts(const Act<A> &g, int t0, int n, const Act<A> &s) {
	const int K = s.K;
	const int4 *q = reinterpret_cast<const int4 *>(g.qs + (long)t0 * K);
	int4 *qs = reinterpret_cast<int4 *>(s.qs);
	for (int i = threadIdx.x; i < n * K / 16; i += blockDim.x) qs[i] = q[i];
	const int nd = K / Act<A>::BQ, na = K / Act<A>::GA;
	for (int i = threadIdx.x; i < n * nd; i += blockDim.x) s.d[i] = g.d[(long)t0 * nd + i];
	for (int i = threadIdx.x; i < n * na; i += blockDim.x) s.aux[i] = g.aux[(long)t0 * na + i];
}

// DecQ<T> is Dec<T>'s integer twin, over the same blocks and units: load
// reads a unit of one row into W, acts reads what token t's quantized
// activations hold for that unit into X (its block scale in X::d), and dot
// is one row's unit times them, before X::d.
template <int T> struct DecQ {
	static constexpr bool OK = false;
};

// Q8Block is what a Q8_0 block of activations holds for a 32-value unit
// (Q4_0 and Q8_0 weights): its quants, -8 x their sum (Q4_0's offset;
// Q8_0 leaves it unread) and its scale.
struct Q8Block {
	int4 a, b;
	int off;
	float d;
	__device__ static Q8Block at(const Act<ACT_Q8_0> &x, int t, int bi) {
		const int4 *p = x.q16(t, bi * 32);
		return Q8Block{p[0], p[1], x.sum(t, bi), x.scale(t, bi)};
	}
};

template <> struct DecQ<GT_Q4_0> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_0, UPB = 1;
	struct W {
		uint4 q;
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int, W &w) {
		w.q = ld16(m.p0 + blk * 16);
		w.d = h2f(ldh(m.p1 + blk * 2));
	}
	// Byte j holds value j (low nibble) and j+16 (high), offset by 8: the
	// sums start at the activations' -8 x sum.
	using X = Q8Block;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int) { return Q8Block::at(x, t, bi); }
	__device__ static float dot(const W &w, const X &x) {
		const uint32_t m = 0x0F0F0F0Fu;
		int s = x.off;
		s = __dp4a((int)(w.q.x & m), x.a.x, s), s = __dp4a((int)((w.q.x >> 4) & m), x.b.x, s);
		s = __dp4a((int)(w.q.y & m), x.a.y, s), s = __dp4a((int)((w.q.y >> 4) & m), x.b.y, s);
		s = __dp4a((int)(w.q.z & m), x.a.z, s), s = __dp4a((int)((w.q.z >> 4) & m), x.b.z, s);
		s = __dp4a((int)(w.q.w & m), x.a.w, s), s = __dp4a((int)((w.q.w >> 4) & m), x.b.w, s);
		return (float)s * w.d;
	}
};

template <> struct DecQ<GT_Q8_0> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_0, UPB = 1;
	struct W {
		uint4 a, b;
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int, W &w) {
		w.a = ld16(m.p0 + blk * 32), w.b = ld16(m.p0 + blk * 32 + 16);
		w.d = h2f(ldh(m.p1 + blk * 2));
	}
	using X = Q8Block;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int) { return Q8Block::at(x, t, bi); }
	__device__ static float dot(const W &w, const X &x) {
		int s = __dp4a((int)w.a.x, x.a.x, 0);
		s = __dp4a((int)w.a.y, x.a.y, s), s = __dp4a((int)w.a.z, x.a.z, s), s = __dp4a((int)w.a.w, x.a.w, s);
		s = __dp4a((int)w.b.x, x.b.x, s), s = __dp4a((int)w.b.y, x.b.y, s);
		s = __dp4a((int)w.b.z, x.b.z, s), s = __dp4a((int)w.b.w, x.b.w, s);
		return (float)s * w.d;
	}
};

// Q5_0: quants 0..31 offset by 16, so the sums start at -16 x the
// activations' sum, twice Q8Block's -8 x.
template <> struct DecQ<GT_Q5_0> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_0, UPB = 1;
	struct W {
		uint32_t lo[4], hi[4];
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int, W &w) {
		q5_0_words(ld16(m.p0 + blk * 16), __ldg(reinterpret_cast<const uint32_t *>(m.p1) + blk), w.lo, w.hi);
		w.d = h2f(ldh(m.p2 + blk * 2));
	}
	using X = Q8Block;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int) { return Q8Block::at(x, t, bi); }
	__device__ static float dot(const W &w, const X &x) {
		int s = 2 * x.off;
		s = __dp4a((int)w.lo[0], x.a.x, s), s = __dp4a((int)w.hi[0], x.b.x, s);
		s = __dp4a((int)w.lo[1], x.a.y, s), s = __dp4a((int)w.hi[1], x.b.y, s);
		s = __dp4a((int)w.lo[2], x.a.z, s), s = __dp4a((int)w.hi[2], x.b.z, s);
		s = __dp4a((int)w.lo[3], x.a.w, s), s = __dp4a((int)w.hi[3], x.b.w, s);
		return (float)s * w.d;
	}
};

// dot16: the 16 quants of run r (words 4r..4r+3 of q) times x's.
__device__ __forceinline__ int dot16(const uint32_t *q, const int4 &x) {
	int s = __dp4a((int)q[0], x.x, 0);
	s = __dp4a((int)q[1], x.y, s), s = __dp4a((int)q[2], x.z, s);
	return __dp4a((int)q[3], x.w, s);
}


// Q8Sum is Q8Block with ggml's q8_1 sum s = f16(d Σq) (rebuilt from the
// Q8_0 block, as engine/kernels does) for Q4_1 and Q5_1, whose mins term
// m s is not a multiple of d: its d is 1, and dot gives the whole product.
struct Q8Sum {
	int4 a, b;
	float dy, sy, d;
	__device__ static Q8Sum at(const Act<ACT_Q8_0> &x, int t, int bi) {
		const int4 *p = x.q16(t, bi * 32);
		const float dy = x.scale(t, bi);
		const int sq = -x.sum(t, bi) / 8; // aux holds -8 Σq
		return Q8Sum{p[0], p[1], dy, __half2float(__float2half_rn((float)sq * dy)), 1.f};
	}
};

// Q4_1 and Q5_1 (ggml_vec_dot_q4_1_q8_1, _q5_1_q8_1): (d dy) Σq.x + m s.
template <int T> struct DecQMin {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_0, UPB = 1;
	struct W {
		uint32_t lo[4], hi[4];
		float d, m;
	};
	__device__ static void load(const QMat &m, long blk, int, W &w) { Dec<T>::words(m, blk, w.lo, w.hi, w.d, w.m); }
	using X = Q8Sum;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int) { return Q8Sum::at(x, t, bi); }
	__device__ static float dot(const W &w, const X &x) {
		return (w.d * x.dy) * (float)(dot16(w.lo, x.a) + dot16(w.hi, x.b)) + w.m * x.sy;
	}
};
template <> struct DecQ<GT_Q4_1> : DecQMin<GT_Q4_1> {};
template <> struct DecQ<GT_Q5_1> : DecQMin<GT_Q5_1> {};

// IQ4_NL (ggml_vec_dot_iq4_nl_q8_0): signed codebook bytes, no offset.
template <> struct DecQ<GT_IQ4_NL> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_0, UPB = 1;
	struct W {
		uint32_t q[8];
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int, W &w) {
		iq4_words(ld16(m.p0 + blk * 16), w.q);
		w.d = h2f(ldh(m.p1 + blk * 2));
	}
	using X = Q8Block;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int) { return Q8Block::at(x, t, bi); }
	__device__ static float dot(const W &w, const X &x) { return (float)(dot16(w.q, x.a) + dot16(w.q + 4, x.b)) * w.d; }
};

// mvq_smem is the dynamic shared memory k_mvq<T, n> needs for n_in K.
template <int T> size_t mvq_smem(int n, int K) {
	if constexpr (DecQ<T>::OK) return Act<DecQ<T>::ACT>::bytes(n, K);
	else return 0;
}
// mvq_applies: whether a matvec of n tokens over K inputs of type T takes
// the 8-bit path.
template <int T> bool mvq_applies(int n, int K) {
	if constexpr (!DecQ<T>::OK) return false;
	else return orcd_mvq && K % Act<DecQ<T>::ACT>::BQ == 0 && mvq_smem<T>(n, K) <= (size_t)orcd_mvq_smem;
}
