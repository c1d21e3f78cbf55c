// quant_iq.cuh: the grid types (ggml's i-quants IQ1_S, IQ1_M, IQ2_XXS,
// IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) kept in their own bytes in VRAM.
//
// Each run of 8 (or 4) weights is an index into a grid of points, with a
// sign per weight and an integer scale per 16 or 32 weights. A unit is 64
// values, two groups of 32 (ggml's ib = 2 sub, 2 sub + 1): IqUnit<T>::get
// decodes it to 64 signed bytes, four per-16 odd integer scales and the
// block's factor, exactly as engine/kernels' group decoders do
// (dot_iqgrid.go). Dec (the float kernels) and DecQ (the 8-bit matvec)
// then share that one decoder: a value is factor * ls * q.
//
// Each mv_iq*.cu includes this header, so each has its own static copy of
// the tables (33 KB of device memory a file, where the compiler keeps them).
#pragma once
#include "mvq_k.cuh"
#include "iq_grids.cuh"

static __device__ const unsigned long long iq2xxs_grid[ORCD_IQ2XXS_N] = ORCD_IQ2XXS_GRID;
static __device__ const unsigned long long iq2xs_grid[ORCD_IQ2XS_N] = ORCD_IQ2XS_GRID;
static __device__ const unsigned long long iq2s_grid[ORCD_IQ2S_N] = ORCD_IQ2S_GRID;
static __device__ const uint32_t iq3xxs_grid[ORCD_IQ3XXS_N] = ORCD_IQ3XXS_GRID;
static __device__ const uint32_t iq3s_grid[ORCD_IQ3S_N] = ORCD_IQ3S_GRID;
static __device__ const unsigned long long iq1s_grid[ORCD_IQ1S_N] = ORCD_IQ1S_GRID; // g+1 per byte

// IqUnit64 is one decoded unit: q[i] holds values 4i..4i+3 as signed
// bytes, ls[r] the odd scale of values 16r..16r+15, f the block's d times
// the type's constant (1/8 for IQ2 and IQ1, 1/4 for IQ3_XXS, 1 for IQ3_S).
struct IqUnit64 {
	uint32_t q[16];
	int ls[4];
	float f;
};

// signed8 puts 8 grid bytes (lo: bytes 0-3, hi: 4-7) with sign bit j of s
// on byte j into q[0], q[1]. -g is ~g + 1 per byte: no grid byte of a
// signed type is 0, so the + 1 never carries into the next byte.
__device__ __forceinline__ void signed8(uint32_t lo, uint32_t hi, uint32_t s, uint32_t *q) {
	const uint32_t m0 = spread4(s) * 0xffu, m1 = spread4(s >> 4) * 0xffu;
	q[0] = (lo ^ m0) + (m0 & 0x01010101u);
	q[1] = (hi ^ m1) + (m1 & 0x01010101u);
}
__device__ __forceinline__ void signed8(unsigned long long g, uint32_t s, uint32_t *q) {
	signed8((uint32_t)g, (uint32_t)(g >> 32), s, q);
}
// kept_signs: ggml's ksigns_iq2xs[s7], the 7 stored sign bits and their
// parity as the eighth.
__device__ __forceinline__ uint32_t kept_signs(uint32_t s7) { return s7 | (uint32_t)(__popc(s7) & 1) << 7; }

// iq1_8: 8 IQ1 grid bytes (stored as g+1) as the integers 8g+delta, delta
// = +1 or -1: (8(g+1) + 128) - (8 - delta) per byte never borrows, and
// flipping bit 7 back leaves the two's complement byte.
__device__ __forceinline__ void iq1_8(unsigned long long g, bool neg, uint32_t *q) {
	const uint32_t b = neg ? 0x09090909u : 0x07070707u;
	q[0] = ((((uint32_t)g << 3) | 0x80808080u) - b) ^ 0x80808080u;
	q[1] = ((((uint32_t)(g >> 32) << 3) | 0x80808080u) - b) ^ 0x80808080u;
}

template <int T> struct IqUnit;

// IQ2_XXS: p0 the 8 groups of 8 bytes (4 grid indices, then a u32 of four
// 7-bit sign indices and the scale in bits 28-31), p1 d.
template <> struct IqUnit<GT_IQ2_XXS> {
	static constexpr int PB0 = 64, PB1 = 2, PB2 = 0, PB3 = 0;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint4 a = ld16(m.p0 + blk * 64 + 16 * sub);
#pragma unroll
		for (int h = 0; h < 2; h++) {
			const uint32_t idx = h ? a.z : a.x, aux = h ? a.w : a.y;
#pragma unroll
			for (int l = 0; l < 4; l++) signed8(__ldg(iq2xxs_grid + ((idx >> (8 * l)) & 255u)), kept_signs((aux >> (7 * l)) & 127u), u.q + 8 * h + 2 * l);
			u.ls[2 * h] = u.ls[2 * h + 1] = 2 * (int)(aux >> 28) + 1;
		}
		u.f = h2f(ldh(m.p1 + blk * 2)) * 0.125f;
	}
};

// IQ2_XS: p0 32 u16 (9-bit grid index, 7-bit sign index), p1 8 scale
// bytes (a nibble per 16 values), p2 d.
template <> struct IqUnit<GT_IQ2_XS> {
	static constexpr int PB0 = 64, PB1 = 8, PB2 = 2, PB3 = 0;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint4 a = ld16(m.p0 + blk * 64 + 16 * sub);
		const uint32_t sc = ldh(m.p1 + blk * 8 + 2 * sub);
#pragma unroll
		for (int i = 0; i < 8; i++) {
			const uint32_t v = (word_at(a, i / 2) >> (16 * (i & 1))) & 0xffffu;
			signed8(__ldg(iq2xs_grid + (v & 511u)), kept_signs(v >> 9), u.q + 2 * i);
		}
#pragma unroll
		for (int r = 0; r < 4; r++) u.ls[r] = 2 * (int)((sc >> (4 * r)) & 15u) + 1;
		u.f = h2f(ldh(m.p2 + blk * 2)) * 0.125f;
	}
};

// IQ2_S: p0 32 low grid-index bytes then 32 sign bytes, p1 8 bytes of
// high index bits (2 per run) then 8 scale bytes, p2 d.
template <> struct IqUnit<GT_IQ2_S> {
	static constexpr int PB0 = 64, PB1 = 16, PB2 = 2, PB3 = 0;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint2 qs = __ldg(reinterpret_cast<const uint2 *>(m.p0 + blk * 64 + 8 * sub));
		const uint2 sg = __ldg(reinterpret_cast<const uint2 *>(m.p0 + blk * 64 + 32 + 8 * sub));
		const uint32_t qh = ldh(m.p1 + blk * 16 + 2 * sub), sc = ldh(m.p1 + blk * 16 + 8 + 2 * sub);
#pragma unroll
		for (int i = 0; i < 8; i++) {
			const int l = i & 3;
			const uint32_t lo = ((i < 4 ? qs.x : qs.y) >> (8 * l)) & 255u;
			const uint32_t hb = ((qh >> (8 * (i >> 2))) << (8 - 2 * l)) & 0x300u;
			signed8(__ldg(iq2s_grid + (lo | hb)), ((i < 4 ? sg.x : sg.y) >> (8 * l)) & 255u, u.q + 2 * i);
		}
#pragma unroll
		for (int r = 0; r < 4; r++) u.ls[r] = 2 * (int)((sc >> (4 * r)) & 15u) + 1;
		u.f = h2f(ldh(m.p2 + blk * 2)) * 0.125f;
	}
};

// IQ3_XXS: p0 64 grid-index bytes (one per 4 values), p1 8 u32 as
// IQ2_XXS's sign-and-scale words, p2 d.
template <> struct IqUnit<GT_IQ3_XXS> {
	static constexpr int PB0 = 64, PB1 = 32, PB2 = 2, PB3 = 0;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint4 a = ld16(m.p0 + blk * 64 + 16 * sub);
		const uint2 aux2 = __ldg(reinterpret_cast<const uint2 *>(m.p1 + blk * 32 + 8 * sub));
#pragma unroll
		for (int h = 0; h < 2; h++) {
			const uint32_t aux = h ? aux2.y : aux2.x;
#pragma unroll
			for (int l = 0; l < 4; l++) {
				const uint32_t w = word_at(a, 2 * h + (l >> 1)), sh = 16 * (l & 1);
				signed8(__ldg(iq3xxs_grid + ((w >> sh) & 255u)), __ldg(iq3xxs_grid + ((w >> (sh + 8)) & 255u)),
				        kept_signs((aux >> (7 * l)) & 127u), u.q + 8 * h + 2 * l);
			}
			u.ls[2 * h] = u.ls[2 * h + 1] = 2 * (int)(aux >> 28) + 1;
		}
		u.f = h2f(ldh(m.p2 + blk * 2)) * 0.25f;
	}
};

// IQ3_S: p0 64 low grid-index bytes, p1 32 sign bytes then 4 scale bytes
// (a nibble per 32 values), p2 8 bytes of ninth index bits (one byte per
// 32 values), p3 d.
template <> struct IqUnit<GT_IQ3_S> {
	static constexpr int PB0 = 64, PB1 = 36, PB2 = 8, PB3 = 2;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint4 a = ld16(m.p0 + blk * 64 + 16 * sub);
		const uint32_t *sp = reinterpret_cast<const uint32_t *>(m.p1 + blk * 36);
		const uint32_t s0 = __ldg(sp + 2 * sub), s1 = __ldg(sp + 2 * sub + 1), scw = __ldg(sp + 8);
		const uint32_t qh = ldh(m.p2 + blk * 8 + 2 * sub);
#pragma unroll
		for (int h = 0; h < 2; h++) {
			const uint32_t hb = (qh >> (8 * h)) & 255u, sg = h ? s1 : s0;
#pragma unroll
			for (int l = 0; l < 4; l++) {
				const uint32_t w = word_at(a, 2 * h + (l >> 1)), sh = 16 * (l & 1);
				const uint32_t i0 = ((w >> sh) & 255u) | ((hb << (8 - 2 * l)) & 256u);
				const uint32_t i1 = ((w >> (sh + 8)) & 255u) | ((hb << (7 - 2 * l)) & 256u);
				signed8(__ldg(iq3s_grid + i0), __ldg(iq3s_grid + i1), (sg >> (8 * l)) & 255u, u.q + 8 * h + 2 * l);
			}
			u.ls[2 * h] = u.ls[2 * h + 1] = 2 * (int)((scw >> (4 * (2 * sub + h))) & 15u) + 1;
		}
		u.f = h2f(ldh(m.p3 + blk * 2));
	}
};

// IQ1_S: p0 32 low grid-index bytes, p1 8 u16 (3 high index bits per run,
// the scale in bits 12-14, the delta's sign in bit 15), p2 d.
template <> struct IqUnit<GT_IQ1_S> {
	static constexpr int PB0 = 32, PB1 = 16, PB2 = 2, PB3 = 0;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint2 qs = __ldg(reinterpret_cast<const uint2 *>(m.p0 + blk * 32 + 8 * sub));
		const uint32_t qh2 = __ldg(reinterpret_cast<const uint32_t *>(m.p1 + blk * 16) + sub);
#pragma unroll
		for (int h = 0; h < 2; h++) {
			const uint32_t qh = (qh2 >> (16 * h)) & 0xffffu, w = h ? qs.y : qs.x;
#pragma unroll
			for (int l = 0; l < 4; l++)
				iq1_8(__ldg(iq1s_grid + (((w >> (8 * l)) & 255u) | ((qh >> (3 * l)) & 7u) << 8)), qh & 0x8000u, u.q + 8 * h + 2 * l);
			u.ls[2 * h] = u.ls[2 * h + 1] = 2 * (int)((qh >> 12) & 7u) + 1;
		}
		u.f = h2f(ldh(m.p2 + blk * 2)) * 0.125f;
	}
};

// IQ1_M: p0 32 low grid-index bytes, p1 16 bytes of a nibble per run (3
// high index bits, the delta's sign), p2 4 u16 of 3-bit scales (one per
// 16 values) whose top nibbles together are the f16 d.
template <> struct IqUnit<GT_IQ1_M> {
	static constexpr int PB0 = 32, PB1 = 16, PB2 = 8, PB3 = 0;
	__device__ static void get(const QMat &m, long blk, int sub, IqUnit64 &u) {
		const uint2 qs = __ldg(reinterpret_cast<const uint2 *>(m.p0 + blk * 32 + 8 * sub));
		const uint32_t nib = __ldg(reinterpret_cast<const uint32_t *>(m.p1 + blk * 16) + sub);
		const uint2 sc = __ldg(reinterpret_cast<const uint2 *>(m.p2 + blk * 8));
#pragma unroll
		for (int i = 0; i < 8; i++) {
			const uint32_t h = (nib >> (4 * i)) & 15u, lo = ((i < 4 ? qs.x : qs.y) >> (8 * (i & 3))) & 255u;
			iq1_8(__ldg(iq1s_grid + (lo | (h & 7u) << 8)), h & 8u, u.q + 2 * i);
		}
		const uint32_t s = ((sub < 2 ? sc.x : sc.y) >> (16 * (sub & 1))) & 0xffffu;
#pragma unroll
		for (int r = 0; r < 4; r++) u.ls[r] = 2 * (int)((s >> (3 * r)) & 7u) + 1;
		const uint32_t dh = (sc.x >> 12 & 0xfu) | (sc.x >> 24 & 0xf0u) | (sc.y >> 4 & 0xf00u) | (sc.y >> 16 & 0xf000u);
		u.f = h2f((uint16_t)dh) * 0.125f;
	}
};

// Dec: the unit's bytes as floats, one scale per 16 values.
template <int T> struct DecIQ : RawDec<DecIQ<T>> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = IqUnit<T>::PB0, PB1 = IqUnit<T>::PB1, PB2 = IqUnit<T>::PB2, PB3 = IqUnit<T>::PB3;
	static constexpr bool RAW = true;
	static constexpr int SG = 16;
	__device__ static void load_raw(const QMat &m, long blk, int sub, float *v, float *sc) {
		IqUnit64 u;
		IqUnit<T>::get(m, blk, sub, u);
#pragma unroll
		for (int i = 0; i < 16; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) v[4 * i + k] = sbytef(u.q[i], k) - (MAGIC + 128.f);
#pragma unroll
		for (int r = 0; r < 4; r++) sc[r] = u.f * (float)u.ls[r];
	}
	__device__ static int off(int sub, int k) { return sub * 64 + k; }
};

// DecQ (engine/kernels' refDotGrid): W x = f sum_r ls_r (q.x over 16 values).
template <int T> struct DecQIQ {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	using W = IqUnit64;
	__device__ static void load(const QMat &m, long blk, int sub, W &w) { IqUnit<T>::get(m, blk, sub, w); }
	using X = Q8K64;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) { return Q8K64::at(x, t, bi, sub); }
	__device__ static float dot(const W &w, const X &x) {
		int s = 0;
#pragma unroll
		for (int r = 0; r < 4; r++) s += w.ls[r] * dot16(w.q + 4 * r, x.q[r]);
		return w.f * (float)s;
	}
};

#define ORCD_IQ_DECODERS(T)                               \
	template <> struct Dec<T> : DecIQ<T> {};          \
	template <> struct DecQ<T> : DecQIQ<T> {};
