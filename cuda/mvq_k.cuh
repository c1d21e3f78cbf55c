// mvq_k.cuh: the 8-bit matvec decoders (DecQ, mvq.cuh) of the 256-value
// super-block types, against Q8_K activations.
#pragma once
#include "mvq.cuh"
#include "quant_k.cuh"

// Q8K64 is what a Q8_K block holds for a 64-value unit: its quants, the
// sums of each 16 of them, and the block scale.
struct Q8K64 {
	int4 q[4];
	int bs[4];
	float d;
	__device__ static Q8K64 at(const Act<ACT_Q8_K> &x, int t, int bi, int sub) {
		const int4 *p = x.q16(t, bi * 256 + sub * 64);
		const int g = bi * 16 + sub * 4;
		return Q8K64{{p[0], p[1], p[2], p[3]}, {x.sum(t, g), x.sum(t, g + 1), x.sum(t, g + 2), x.sum(t, g + 3)}, x.scale(t, bi)};
	}
};
// Q2_K (ggml_vec_dot_q2_K_q8_K): W x = d sum (sc & 15) q.x - dmin sum
// (sc >> 4) sum16(x), per 16 values.
template <> struct DecQ<GT_Q2_K> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	struct W {
		uint32_t q[16];
		uint32_t sc;
		float d, dmin;
	};
	__device__ static void load(const QMat &m, long blk, int sub, W &w) {
		q2k_words(m, blk, sub, w.q);
		w.sc = __ldg(reinterpret_cast<const uint32_t *>(m.p1 + blk * 16) + sub);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(m.p2) + blk);
		w.d = h2f(dm & 0xffff), w.dmin = h2f(dm >> 16);
	}
	using X = Q8K64;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) { return Q8K64::at(x, t, bi, sub); }
	__device__ static float dot(const W &w, const X &x) {
		int isum = 0, summs = 0;
#pragma unroll
		for (int r = 0; r < 4; r++) {
			const int sc = (int)((w.sc >> (8 * r)) & 255u);
			isum += (sc & 15) * dot16(w.q + 4 * r, x.q[r]);
			summs += (sc >> 4) * x.bs[r];
		}
		return w.d * (float)isum - w.dmin * (float)summs;
	}
};

// Q3_K (ggml_vec_dot_q3_K_q8_K): W x = d sum (sc - 32) (q - 4).x, per 16
// values; the -4 comes from the activations' sums.
template <> struct DecQ<GT_Q3_K> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	struct W {
		uint32_t q[16];
		uint32_t sc;
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int sub, W &w) {
		q3k_words(m, blk, sub, w.q);
		w.sc = q3k_scales(m, blk, sub);
		w.d = h2f(ldh(m.p3 + blk * 2));
	}
	using X = Q8K64;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) { return Q8K64::at(x, t, bi, sub); }
	__device__ static float dot(const W &w, const X &x) {
		int tot = 0;
#pragma unroll
		for (int r = 0; r < 4; r++) tot += ((int)((w.sc >> (8 * r)) & 255u) - 32) * (dot16(w.q + 4 * r, x.q[r]) - 4 * x.bs[r]);
		return w.d * (float)tot;
	}
};

// IQ4_XS (ggml_vec_dot_iq4_xs_q8_K): per 32 values a 6-bit scale.
template <> struct DecQ<GT_IQ4_XS> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	struct W {
		uint32_t q[16];
		int l0, l1;
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int sub, W &w) {
		iq4_words(ld16(m.p0 + blk * 128 + 32 * sub), w.q);
		iq4_words(ld16(m.p0 + blk * 128 + 32 * sub + 16), w.q + 8);
		iq4xs_scales(m, blk, sub, w.l0, w.l1, w.d);
	}
	using X = Q8K64;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) { return Q8K64::at(x, t, bi, sub); }
	__device__ static float dot(const W &w, const X &x) {
		const int s0 = dot16(w.q, x.q[0]) + dot16(w.q + 4, x.q[1]), s1 = dot16(w.q + 8, x.q[2]) + dot16(w.q + 12, x.q[3]);
		return w.d * (float)(w.l0 * s0 + w.l1 * s1);
	}
};

// Q4_K unit `sub`: values [64 sub, 64 sub + 32) in the low nibbles of its
// 32 quant bytes, the next 32 in the high ones, each half with a 6-bit
// scale and min: W x = d (sc1 lo + sc2 hi) - dmin (m1 sum1 + m2 sum2).
template <> struct DecQ<GT_Q4_K> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	struct W {
		uint4 a, b;
		int sc1, m1, sc2, m2;
		float d, dmin;
	};
	// sbyte is byte k of the 12 scale bytes, without indexing an array
	// by a run-time k (which would put it in local memory).
	__device__ static int sbyte(uint32_t s0, uint32_t s1, uint32_t s2, int k) {
		const uint32_t w = k < 4 ? s0 : k < 8 ? s1 : s2;
		return (int)((w >> (8 * (k & 3))) & 255u);
	}
	// scale_min is Dec<GT_Q4_K>::scale_min (ggml's get_scale_min_k4).
	__device__ static void scale_min(uint32_t s0, uint32_t s1, uint32_t s2, int j, int &sc, int &mn) {
		if (j < 4) {
			sc = sbyte(s0, s1, s2, j) & 63, mn = sbyte(s0, s1, s2, j + 4) & 63;
		} else {
			sc = (sbyte(s0, s1, s2, j + 4) & 15) | ((sbyte(s0, s1, s2, j - 4) >> 6) << 4);
			mn = (sbyte(s0, s1, s2, j + 4) >> 4) | ((sbyte(s0, s1, s2, j) >> 6) << 4);
		}
	}
	__device__ static void load(const QMat &m, long blk, int sub, W &w) {
		w.a = ld16(m.p0 + blk * 128 + sub * 32), w.b = ld16(m.p0 + blk * 128 + sub * 32 + 16);
		const uint32_t *sp = reinterpret_cast<const uint32_t *>(m.p1 + blk * 12);
		const uint32_t s0 = __ldg(sp), s1 = __ldg(sp + 1), s2 = __ldg(sp + 2);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(m.p2) + blk);
		w.d = h2f(dm & 0xffff), w.dmin = h2f(dm >> 16);
		scale_min(s0, s1, s2, 2 * sub, w.sc1, w.m1);
		scale_min(s0, s1, s2, 2 * sub + 1, w.sc2, w.m2);
	}
	struct X {
		int4 q[4]; // the unit's 64 quants: low-nibble half, then high
		int bs1, bs2; // each half's quant sum
		float d;
	};
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) {
		const int4 *p = x.q16(t, bi * 256 + sub * 64);
		const int g = bi * 16 + sub * 4;
		return X{{p[0], p[1], p[2], p[3]}, x.sum(t, g) + x.sum(t, g + 1), x.sum(t, g + 2) + x.sum(t, g + 3), x.scale(t, bi)};
	}
	__device__ static float dot(const W &w, const X &x) {
		const uint32_t m = 0x0F0F0F0Fu, q[8] = {w.a.x, w.a.y, w.a.z, w.a.w, w.b.x, w.b.y, w.b.z, w.b.w};
		const int xl[8] = {x.q[0].x, x.q[0].y, x.q[0].z, x.q[0].w, x.q[1].x, x.q[1].y, x.q[1].z, x.q[1].w};
		const int xh[8] = {x.q[2].x, x.q[2].y, x.q[2].z, x.q[2].w, x.q[3].x, x.q[3].y, x.q[3].z, x.q[3].w};
		int lo = 0, hi = 0;
#pragma unroll
		for (int i = 0; i < 8; i++) lo = __dp4a((int)(q[i] & m), xl[i], lo), hi = __dp4a((int)((q[i] >> 4) & m), xh[i], hi);
		return w.d * (float)(w.sc1 * lo + w.sc2 * hi) - w.dmin * (float)(w.m1 * x.bs1 + w.m2 * x.bs2);
	}
};

// Q5_K unit `sub`: Q4_K's, with quants 0..31 (the fifth bits folded in
// at load).
template <> struct DecQ<GT_Q5_K> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	struct W {
		uint32_t lo[8], hi[8];
		int sc1, m1, sc2, m2;
		float d, dmin;
	};
	__device__ static void load(const QMat &m, long blk, int sub, W &w) {
		const uint4 a = ld16(m.p0 + blk * 128 + sub * 32), b = ld16(m.p0 + blk * 128 + sub * 32 + 16);
		const uint4 h0 = ld16(m.p1 + blk * 32), h1 = ld16(m.p1 + blk * 32 + 16);
		const uint32_t *sp = reinterpret_cast<const uint32_t *>(m.p2 + blk * 12);
		const uint32_t s0 = __ldg(sp), s1 = __ldg(sp + 1), s2 = __ldg(sp + 2);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(m.p3) + blk);
		w.d = h2f(dm & 0xffff), w.dmin = h2f(dm >> 16);
		DecQ<GT_Q4_K>::scale_min(s0, s1, s2, 2 * sub, w.sc1, w.m1);
		DecQ<GT_Q4_K>::scale_min(s0, s1, s2, 2 * sub + 1, w.sc2, w.m2);
		q5k_fifth(a, b, h0, h1, sub, w.lo, w.hi);
	}
	using X = DecQ<GT_Q4_K>::X;
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) { return DecQ<GT_Q4_K>::acts(x, t, bi, sub); }
	__device__ static float dot(const W &w, const X &x) {
		const int xl[8] = {x.q[0].x, x.q[0].y, x.q[0].z, x.q[0].w, x.q[1].x, x.q[1].y, x.q[1].z, x.q[1].w};
		const int xh[8] = {x.q[2].x, x.q[2].y, x.q[2].z, x.q[2].w, x.q[3].x, x.q[3].y, x.q[3].z, x.q[3].w};
		int lo = 0, hi = 0;
#pragma unroll
		for (int i = 0; i < 8; i++) lo = __dp4a((int)w.lo[i], xl[i], lo), hi = __dp4a((int)w.hi[i], xh[i], hi);
		return w.d * (float)(w.sc1 * lo + w.sc2 * hi) - w.dmin * (float)(w.m1 * x.bs1 + w.m2 * x.bs2);
	}
};

// Q6_K unit (h, lq) = sub: four runs of 16 values, run k at 128h + 32k +
// 16lq, each with its int8 scale; quants are 0..63, offset by 32.
template <> struct DecQ<GT_Q6_K> {
	static constexpr bool OK = true;
	static constexpr int ACT = ACT_Q8_K, UPB = 4;
	struct W {
		uint32_t q[4][4]; // run k, word i
		int sc[4];
		float d;
	};
	__device__ static void load(const QMat &m, long blk, int sub, W &w) {
		const int h = sub >> 1, lq = sub & 1;
		const uint4 a = ld16(m.p0 + blk * 128 + 64 * h + 16 * lq);
		const uint4 b = ld16(m.p0 + blk * 128 + 64 * h + 32 + 16 * lq);
		const uint4 c = ld16(m.p1 + blk * 64 + 32 * h + 16 * lq);
		const uint4 sq = ld16(m.p2 + blk * 16);
		w.d = h2f(ldh(m.p3 + blk * 2));
		const int is = 8 * h + lq;
#pragma unroll
		for (int k = 0; k < 4; k++) w.sc[k] = (int)(int8_t)byte_at(sq, is + 2 * k);
#pragma unroll
		for (int i = 0; i < 4; i++) {
			const uint32_t wa = word_at(a, i), wb = word_at(b, i), wc = word_at(c, i);
			w.q[0][i] = (wa & 0x0F0F0F0Fu) | ((wc & 0x03030303u) << 4);
			w.q[1][i] = (wb & 0x0F0F0F0Fu) | (((wc >> 2) & 0x03030303u) << 4);
			w.q[2][i] = ((wa >> 4) & 0x0F0F0F0Fu) | (((wc >> 4) & 0x03030303u) << 4);
			w.q[3][i] = ((wb >> 4) & 0x0F0F0F0Fu) | (((wc >> 6) & 0x03030303u) << 4);
		}
	}
	struct X {
		int4 r[4]; // run k's 16 quants
		int off[4]; // -32 x run k's quant sum (the quants' offset)
		float d;
	};
	__device__ static X acts(const Act<ACT> &x, int t, int bi, int sub) {
		const int h = sub >> 1, lq = sub & 1;
		X u;
#pragma unroll
		for (int k = 0; k < 4; k++) {
			const int at = bi * 256 + 128 * h + 32 * k + 16 * lq;
			u.r[k] = *x.q16(t, at);
			u.off[k] = -32 * x.sum(t, at / 16);
		}
		u.d = x.scale(t, bi);
		return u;
	}
	__device__ static float dot(const W &w, const X &x) {
		int tot = 0;
#pragma unroll
		for (int k = 0; k < 4; k++) {
			int s = x.off[k];
			s = __dp4a((int)w.q[k][0], x.r[k].x, s), s = __dp4a((int)w.q[k][1], x.r[k].y, s);
			s = __dp4a((int)w.q[k][2], x.r[k].z, s), s = __dp4a((int)w.q[k][3], x.r[k].w, s);
			tot += w.sc[k] * s;
		}
		return w.d * (float)tot;
	}
};
