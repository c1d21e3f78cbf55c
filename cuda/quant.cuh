// quant.cuh: weight matrices in VRAM and the per-type decoders that every
// kernel shares (matvec, dequantize-to-F16 for cuBLAS, embedding lookup).
//
// A matrix keeps its GGUF quant type, but the fields of its blocks are split
// into planes (all scales together, all quants together) at upload: the same
// bytes, reordered so that every warp load is 16-byte aligned and coalesced.
// A Q4_0 block is 18 bytes in the file, which no vector load can read.
#pragma once
#include <cuda_fp16.h>
#include <stdint.h>

// orcd_pdl: launch with programmatic dependent launch (Hopper), so that a
// kernel's blocks start while its predecessor finishes and fetch their
// weights before waiting (pdl_wait) for its results. ORCD_CUDA_PDL=1 turns
// it on (backend.cu); every kernel starts with pdl_launch_next and waits
// before touching anything an earlier kernel writes.
extern bool orcd_pdl;
// orcd_mvq: decode matvecs of quantized weights (every type but F32, F16) quantize
// their activations to 8 bits (mvq.cuh); ORCD_CUDA_MVQ=0 turns it off,
// for A/B runs (backend.cu).
extern bool orcd_mvq;
// orcd_mvq_smem: the most dynamic shared memory a k_mvq launch may take
// for its activations, MVQ_SMEM_MAX or less where the device allows less
// (backend.cu); past it (8 tokens of more than ~16K values) the float path
// runs instead.
#define MVQ_SMEM_MAX (160 * 1024)
extern int orcd_mvq_smem;
// orcd_mvq_tokens: how many tokens one k_mvq takes at most, 8 or 16
// (ORCD_CUDA_MVQ_TOKENS; 8 until the H100 says 16 is faster). At 16 a
// 32-sequence step reads the weights twice, not four times, but each
// thread holds twice the accumulators.
extern int orcd_mvq_tokens;

// Kernel launches and dynamic shared memory are spelled as macros so that
// the same sources also build for the CPU emulator (emu/cuda_emu.h, which
// defines its own): LAUNCH((grid, block, smem, stream), kernel)(args).
#ifndef ORCD_EMU
#include <utility>
#define ORCD_UNPAREN(...) __VA_ARGS__
#define LAUNCH(cfg, ...) orcd_launcher(ORCD_UNPAREN cfg, __VA_ARGS__)
#define DYN_SHARED(T, name) extern __shared__ __align__(16) T name[]

template <class... P> struct OrcdLaunch {
	dim3 g, b;
	size_t smem;
	cudaStream_t st;
	void (*k)(P...);
	template <class... A> void operator()(A &&...args) const {
		if (!orcd_pdl) {
			k<<<g, b, smem, st>>>(std::forward<A>(args)...);
			return;
		}
		cudaLaunchAttribute at[1];
		at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
		at[0].val.programmaticStreamSerializationAllowed = 1;
		cudaLaunchConfig_t c{};
		c.gridDim = g, c.blockDim = b, c.dynamicSmemBytes = smem, c.stream = st, c.attrs = at, c.numAttrs = 1;
		cudaLaunchKernelEx(&c, k, std::forward<A>(args)...);
	}
};
template <class... P> OrcdLaunch<P...> orcd_launcher(dim3 g, dim3 b, size_t smem, cudaStream_t st, void (*k)(P...)) {
	return OrcdLaunch<P...>{g, b, smem, st, k};
}
#endif

// Programmatic dependent launch on the device (no-ops before sm_90, on
// the host pass and in the emulator, which runs kernels one after another).
__device__ __forceinline__ void pdl_launch_next() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("griddepcontrol.launch_dependents;");
#endif
}
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void prefetch_l2(const void *p) {
#if defined(__CUDA_ARCH__)
	asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
#else
	(void)p;
#endif
}
// pdl_enter: the first statement of every kernel that reads or writes
// what another kernel of the step does.
__device__ __forceinline__ void pdl_enter() {
	pdl_launch_next();
	pdl_wait();
}

enum { GT_F32 = 0, GT_F16 = 1, GT_Q4_0 = 2, GT_Q4_1 = 3, GT_Q5_0 = 6, GT_Q5_1 = 7, GT_Q8_0 = 8, GT_Q2_K = 10, GT_Q3_K = 11, GT_Q4_K = 12, GT_Q5_K = 13, GT_Q6_K = 14, GT_IQ4_NL = 20, GT_IQ4_XS = 23,
       GT_IQ2_XXS = 16, GT_IQ2_XS = 17, GT_IQ3_XXS = 18, GT_IQ1_S = 19, GT_IQ3_S = 21, GT_IQ2_S = 22, GT_IQ1_M = 29 };

// QMat is one matrix: n_out rows of n_in values. nb counts decoder blocks
// per row (BE elements each); p0..p3 are the planes, per type:
//   F32: p0 floats         F16: p0 halves
//   Q4_0: p0 qs[16] p1 d   Q8_0: p0 qs[32] p1 d   Q5_0: p0 qs[16] p1 qh[4] p2 d
//   Q4_1: p0 qs[16] p1 {d, m}   Q5_1: p0 qs[16] p1 qh[4] p2 {d, m}
//   Q2_K: p0 qs[64] p1 scales[16] p2 {d, dmin}
//   Q3_K: p0 qs[64] p1 hmask[32] p2 scales[12] p3 d
//   IQ4_NL: p0 qs[16] p1 d   IQ4_XS: p0 qs[128] p1 scales_l[4] p2 {d, scales_h}
//   Q4_K: p0 qs[128] p1 scales[12] p2 {d, dmin}
//   Q5_K: p0 qs[128] p1 qh[32] p2 scales[12] p3 {d, dmin}
//   Q6_K: p0 ql[128] p1 qh[64] p2 scales[16] p3 d
//   IQ1, IQ2, IQ3: see quant_iq.cuh
struct QMat {
	int type, n_in, n_out, nb;
	const uint8_t *p0, *p1, *p2, *p3;
};

__device__ __forceinline__ float h2f(uint16_t h) { return __half2float(__ushort_as_half(h)); }
__device__ __forceinline__ uint32_t byte_at(const uint4 &q, int j) {
	const uint32_t w = j < 4 ? q.x : j < 8 ? q.y : j < 12 ? q.z : q.w;
	return (w >> (8 * (j & 3))) & 255u;
}
__device__ __forceinline__ uint4 ld16(const uint8_t *p) { return __ldg(reinterpret_cast<const uint4 *>(p)); }
__device__ __forceinline__ uint16_t ldh(const uint8_t *p) { return __ldg(reinterpret_cast<const unsigned short *>(p)); }

// Dec<T> decodes unit `sub` of block `blk` into v[UE]. A block holds UPB
// units of UE values; off(sub, k) is where value k of the unit sits inside
// the block (k a multiple of 4: every run of 4 is contiguous). PBi is
// how many bytes of plane i a block takes.
template <int T> struct Dec;

template <> struct Dec<GT_F32> {
	static constexpr int BE = 4, UPB = 1, UE = 4, PB0 = 16, PB1 = 0, PB2 = 0, PB3 = 0;
	static constexpr bool RAW = false;
	static constexpr int SG = UE;
	__device__ static void load(const QMat &m, long blk, int, float *v) {
		const float4 f = __ldg(reinterpret_cast<const float4 *>(m.p0) + blk);
		v[0] = f.x; v[1] = f.y; v[2] = f.z; v[3] = f.w;
	}
	__device__ static int off(int, int k) { return k; }
};

template <> struct Dec<GT_F16> {
	static constexpr int BE = 4, UPB = 1, UE = 4, PB0 = 8, PB1 = 0, PB2 = 0, PB3 = 0;
	static constexpr bool RAW = false;
	static constexpr int SG = UE;
	__device__ static void load(const QMat &m, long blk, int, float *v) {
		const uint2 q = __ldg(reinterpret_cast<const uint2 *>(m.p0) + blk);
		v[0] = h2f(q.x & 0xffff); v[1] = h2f(q.x >> 16);
		v[2] = h2f(q.y & 0xffff); v[3] = h2f(q.y >> 16);
	}
	__device__ static int off(int, int k) { return k; }
};

// bytef: byte k of w as a float plus 2^23, with one byte permute instead
// of an int-to-float conversion (a quarter-rate instruction): 0x4B0000bb
// is the float 8388608 + bb. Subtracting the bias is exact.
__device__ __forceinline__ float bytef(uint32_t w, int k) { return __uint_as_float(__byte_perm(w, 0x4B000000u, 0x7650 + k)); }
__device__ __forceinline__ uint32_t word_at(const uint4 &q, int i) { return i == 0 ? q.x : i == 1 ? q.y : i == 2 ? q.z : q.w; }
#define MAGIC 8388608.f

// Decoders with RAW = true also give the quants unscaled (load_raw), with
// one scale sc[g] per group of SG consecutive values of the unit: the
// matvec scales each group's dot product once, a multiply per group
// instead of one per value. Q4_0 and Q8_0: a group is the block; Q6_K: 16
// values. (Q4_K's scales come with mins, and stay on load.) RawDec gives
// them the scaled load that the other kernels use.
template <class D> struct RawDec {
	__device__ static void load(const QMat &m, long blk, int sub, float *v) {
		float sc[D::UE / D::SG];
		D::load_raw(m, blk, sub, v, sc);
#pragma unroll
		for (int k = 0; k < D::UE; k++) v[k] *= sc[k / D::SG];
	}
};

template <> struct Dec<GT_Q4_0> : RawDec<Dec<GT_Q4_0>> {
	static constexpr int BE = 32, UPB = 1, UE = 32, PB0 = 16, PB1 = 2, PB2 = 0, PB3 = 0;
	static constexpr bool RAW = true;
	static constexpr int SG = 32;
	__device__ static void load_raw(const QMat &m, long blk, int, float *v, float *sc) {
		const uint4 q = ld16(m.p0 + blk * 16);
#pragma unroll
		for (int i = 0; i < 4; i++) {
			const uint32_t w = word_at(q, i), lo = w & 0x0F0F0F0Fu, hi = (w >> 4) & 0x0F0F0F0Fu;
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = bytef(lo, k) - (MAGIC + 8.f);
				v[16 + 4 * i + k] = bytef(hi, k) - (MAGIC + 8.f);
			}
		}
		sc[0] = h2f(ldh(m.p1 + blk * 2));
	}
	__device__ static int off(int, int k) { return k; }
};

template <> struct Dec<GT_Q8_0> : RawDec<Dec<GT_Q8_0>> {
	static constexpr int BE = 32, UPB = 1, UE = 32, PB0 = 32, PB1 = 2, PB2 = 0, PB3 = 0;
	static constexpr bool RAW = true;
	static constexpr int SG = 32;
	__device__ static void load_raw(const QMat &m, long blk, int, float *v, float *sc) {
		const uint4 a = ld16(m.p0 + blk * 32), b = ld16(m.p0 + blk * 32 + 16);
#pragma unroll
		for (int i = 0; i < 4; i++) {
			// int8 -> uint8 + 128 by flipping the sign bit
			const uint32_t wa = word_at(a, i) ^ 0x80808080u, wb = word_at(b, i) ^ 0x80808080u;
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = bytef(wa, k) - (MAGIC + 128.f);
				v[16 + 4 * i + k] = bytef(wb, k) - (MAGIC + 128.f);
			}
		}
		sc[0] = h2f(ldh(m.p1 + blk * 2));
	}
	__device__ static int off(int, int k) { return k; }
};

// spread4: bits 0..3 of x into bit 0 of bytes 0..3 (no carries: bit k
// of x lands at 7m + k for the m-th term, distinct for k, m < 4).
__device__ __forceinline__ uint32_t spread4(uint32_t x) { return ((x & 15u) * 0x00204081u) & 0x01010101u; }

// q5_0_words: the 32 quants of a Q5_0 block as bytes 0..31 (the offset 16
// still in): word i of lo holds values 4i..4i+3, of hi values 16+4i...
__device__ __forceinline__ void q5_0_words(const uint4 &q, uint32_t qh, uint32_t *lo, uint32_t *hi) {
#pragma unroll
	for (int i = 0; i < 4; i++) {
		const uint32_t w = word_at(q, i);
		lo[i] = (w & 0x0F0F0F0Fu) | (spread4(qh >> (4 * i)) << 4);
		hi[i] = ((w >> 4) & 0x0F0F0F0Fu) | (spread4(qh >> (16 + 4 * i)) << 4);
	}
}

// Q5_0: Q4_0 with a fifth bit per value (bit j of qh for value j), offset 16.
template <> struct Dec<GT_Q5_0> : RawDec<Dec<GT_Q5_0>> {
	static constexpr int BE = 32, UPB = 1, UE = 32, PB0 = 16, PB1 = 4, PB2 = 2, PB3 = 0;
	static constexpr bool RAW = true;
	static constexpr int SG = 32;
	__device__ static void load_raw(const QMat &m, long blk, int, float *v, float *sc) {
		uint32_t lo[4], hi[4];
		q5_0_words(ld16(m.p0 + blk * 16), __ldg(reinterpret_cast<const uint32_t *>(m.p1) + blk), lo, hi);
#pragma unroll
		for (int i = 0; i < 4; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = bytef(lo[i], k) - (MAGIC + 16.f);
				v[16 + 4 * i + k] = bytef(hi[i], k) - (MAGIC + 16.f);
			}
		sc[0] = h2f(ldh(m.p2 + blk * 2));
	}
	__device__ static int off(int, int k) { return k; }
};

// Q4_1 and Q5_1: value d q + m, q unsigned (4 or 5 bits, Q5_0's layout).
template <int T> struct DecMin {
	static constexpr int BE = 32, UPB = 1, UE = 32, PB0 = 16, PB1 = 4, PB2 = T == GT_Q5_1 ? 4 : 0, PB3 = 0;
	static constexpr bool RAW = false;
	static constexpr int SG = UE;
	// words: the quants as bytes (lo: values 0..15, hi: 16..31) and d, m.
	__device__ static void words(const QMat &m, long blk, uint32_t *lo, uint32_t *hi, float &d, float &mn) {
		const uint4 q = ld16(m.p0 + blk * 16);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(T == GT_Q5_1 ? m.p2 : m.p1) + blk);
		d = h2f(dm & 0xffff), mn = h2f(dm >> 16);
		if constexpr (T == GT_Q5_1) {
			q5_0_words(q, __ldg(reinterpret_cast<const uint32_t *>(m.p1) + blk), lo, hi);
		} else {
#pragma unroll
			for (int i = 0; i < 4; i++) lo[i] = word_at(q, i) & 0x0F0F0F0Fu, hi[i] = (word_at(q, i) >> 4) & 0x0F0F0F0Fu;
		}
	}
	__device__ static void load(const QMat &m, long blk, int, float *v) {
		uint32_t lo[4], hi[4];
		float d, mn;
		words(m, blk, lo, hi, d, mn);
#pragma unroll
		for (int i = 0; i < 4; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = d * (bytef(lo[i], k) - MAGIC) + mn;
				v[16 + 4 * i + k] = d * (bytef(hi[i], k) - MAGIC) + mn;
			}
	}
	__device__ static int off(int, int k) { return k; }
};
template <> struct Dec<GT_Q4_1> : DecMin<GT_Q4_1> {};
template <> struct Dec<GT_Q5_1> : DecMin<GT_Q5_1> {};

// iq4_words: the 32 values of a 16-byte IQ4 group, looked up in the
// codebook (gguf.KValuesIQ4NL) as signed bytes: words 0..3 of v hold
// values 0..15 (low nibbles), words 4..7 values 16..31. __byte_perm takes
// the 3 low bits of each of its selector's 4 low nibbles, so a quant word
// is its own selector: one permute over codebook entries 0..7, one over
// 8..15, a third picking per byte by the nibble's bit 3, for 4 nibbles
// in their stored order; two more sort 8 of them into low and high.
__device__ __forceinline__ void iq4_words(const uint4 &q, uint32_t *v) {
	const uint32_t t0 = 0xBFAD9881u, t1 = 0xF6EADDCFu, t2 = 0x26190D01u, t3 = 0x71594535u;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		const uint32_t w = word_at(q, i), big = ((w & 0x88888888u) >> 1) | 0x32103210u;
		const uint32_t a = __byte_perm(__byte_perm(t0, t1, w), __byte_perm(t2, t3, w), big);
		const uint32_t b = __byte_perm(__byte_perm(t0, t1, w >> 16), __byte_perm(t2, t3, w >> 16), big >> 16);
		v[i] = __byte_perm(a, b, 0x6420);
		v[4 + i] = __byte_perm(a, b, 0x7531);
	}
}
// sbytef: byte k of w as a signed value, as bytef's float plus 2^23 + 128.
__device__ __forceinline__ float sbytef(uint32_t w, int k) { return bytef(w ^ 0x80808080u, k); }

// IQ4_NL: Q4_0's layout, each nibble a codebook entry times d.
template <> struct Dec<GT_IQ4_NL> : RawDec<Dec<GT_IQ4_NL>> {
	static constexpr int BE = 32, UPB = 1, UE = 32, PB0 = 16, PB1 = 2, PB2 = 0, PB3 = 0;
	static constexpr bool RAW = true;
	static constexpr int SG = 32;
	__device__ static void load_raw(const QMat &m, long blk, int, float *v, float *sc) {
		uint32_t w[8];
		iq4_words(ld16(m.p0 + blk * 16), w);
#pragma unroll
		for (int i = 0; i < 8; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) v[4 * i + k] = sbytef(w[i], k) - (MAGIC + 128.f);
		sc[0] = h2f(ldh(m.p1 + blk * 2));
	}
	__device__ static int off(int, int k) { return k; }
};

// Matvec output modes.
enum { MV_STORE = 0, MV_ADD = 1, MV_GLU = 2, MV_ARGMAX = 3 };

// MVArgs: y[t][r] (= or +=) scale_t * sum_i W[r][i] * x[t][i], t < n.
struct MVArgs {
	QMat A, B;                // B: the "up" rows in GLU mode
	const float *x; int ldx;  // input rows
	const float *in_sumsq;    // optional: scale by rsqrt(in_sumsq[t]/n_in + eps)
	int norm_n; float eps;
	float *y; int ldy;
	const float *wnext;       // ADD: next RMSNorm weight
	float *xn_out;            // ADD: y * wnext
	float *sumsq_out;         // ADD: += sum of y^2 per token
	unsigned long long *amax; // ARGMAX: packed (value, ~row) per token
	int prefetch;             // fetch the warp's rows into L2 before pdl_wait
	void *qbuf;               // optional: MVQ_QBUF_BYTES(n, n_in) of scratch (below)
	size_t qbuf_bytes;
	const void *qpre;         // set by the launchers: n_pre tokens quantized
	int n_pre, t_pre;         // into qbuf, of which this launch's start at t_pre
};

// A call of MVQ_PRE_MIN tokens or more with a qbuf quantizes its
// activations once, into qbuf, and its k_mvq blocks copy them into shared
// memory instead of each quantizing them again: at 8 tokens of 2048
// values the quantizing (~1200 instructions a thread) outweighs the
// matvec itself (~740), and a 32-token step repeats it in every block of
// four launches. ORCD_CUDA_MVQ_PRE=0 turns it off (orcd_mvq_pre).
#define MVQ_PRE_MIN 8
extern bool orcd_mvq_pre;
// The most bytes n tokens of K values take quantized (Q8_K's layout, the
// larger: K int8, K/256 floats, K/16 ints a token).
#define MVQ_QBUF_BYTES(n, K) ((size_t)(n) * (size_t)(K) * 2)

// Launchers, one per weight type (mv_<type>.cu); any n, in chunks.
#define ORCD_DECLARE_TYPE(NAME)                                                              \
	void mv_##NAME(const MVArgs &a, int n, int mode, cudaStream_t st);                          \
	void dequant_f16_##NAME(const QMat &m, __half *out, cudaStream_t st);                       \
	void embed_##NAME(const QMat &m, const int *tok, int n, float *x, int E, cudaStream_t st);    \
	cudaError_t mvq_init_##NAME();                                                              \
	bool mvq_used_##NAME(int n, int K);
ORCD_DECLARE_TYPE(f32)
ORCD_DECLARE_TYPE(f16)
ORCD_DECLARE_TYPE(q4_0)
ORCD_DECLARE_TYPE(q5_0)
ORCD_DECLARE_TYPE(q4_1)
ORCD_DECLARE_TYPE(q5_1)
ORCD_DECLARE_TYPE(q8_0)
ORCD_DECLARE_TYPE(q2_k)
ORCD_DECLARE_TYPE(q3_k)
ORCD_DECLARE_TYPE(q4_k)
ORCD_DECLARE_TYPE(q5_k)
ORCD_DECLARE_TYPE(q6_k)
ORCD_DECLARE_TYPE(iq4_nl)
ORCD_DECLARE_TYPE(iq4_xs)
ORCD_DECLARE_TYPE(iq2_xxs)
ORCD_DECLARE_TYPE(iq2_xs)
ORCD_DECLARE_TYPE(iq2_s)
ORCD_DECLARE_TYPE(iq3_xxs)
ORCD_DECLARE_TYPE(iq3_s)
ORCD_DECLARE_TYPE(iq1_s)
ORCD_DECLARE_TYPE(iq1_m)

// Dispatch by ggml type; false for a type with no kernels.
bool mv_any(const MVArgs &a, int n, int mode, cudaStream_t st);
bool dequant_f16_any(const QMat &m, __half *out, cudaStream_t st);
bool embed_any(const QMat &m, const int *tok, int n, float *x, int E, cudaStream_t st);
// mvq_init_all raises the 8-bit matvec kernels' shared-memory limit (once
// per device); mvq_used says whether n tokens of a K-wide matrix of that
// type take the 8-bit path (mvq.cuh).
cudaError_t mvq_init_all();
bool mvq_used(int type, int n, int K);
