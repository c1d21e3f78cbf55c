// quant_k.cuh: the decoders of the 256-value super-block types (the
// K-quants and IQ4_XS), over the planes of quant.cuh.
#pragma once
#include "quant.cuh"

// K-quant units of 64 values: unit u of a block is values [64u, 64u+64),
// two runs of 32 that share their quant bytes' positions and differ in
// the bit pair read. Q2_K and Q3_K keep a scale per 16 values: unit u's
// four are byte r of scale word u (Q2_K: scale and min nibbles; Q3_K:
// 6 bits, stored plus 32, unpacked from the 12 bytes as ggml does).

// q2k_words: run rr of unit u is bit pair 2(u&1)+rr of the 32 quant bytes
// of half u>>1 (each 0..3).
__device__ __forceinline__ void q2k_words(const QMat &m, long blk, int u, uint32_t *q) {
	const uint4 a = ld16(m.p0 + blk * 64 + 32 * (u >> 1)), b = ld16(m.p0 + blk * 64 + 32 * (u >> 1) + 16);
#pragma unroll
	for (int rr = 0; rr < 2; rr++) {
		const int sh = 2 * (2 * (u & 1) + rr);
#pragma unroll
		for (int i = 0; i < 8; i++) q[8 * rr + i] = ((i < 4 ? word_at(a, i) : word_at(b, i - 4)) >> sh) & 0x03030303u;
	}
}

// Q2_K: value = d (sc & 15) q - dmin (sc >> 4), q in 0..3.
template <> struct Dec<GT_Q2_K> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = 64, PB1 = 16, PB2 = 4, PB3 = 0;
	static constexpr bool RAW = false;
	static constexpr int SG = UE;
	__device__ static void load(const QMat &m, long blk, int sub, float *v) {
		uint32_t q[16];
		q2k_words(m, blk, sub, q);
		const uint32_t sw = __ldg(reinterpret_cast<const uint32_t *>(m.p1 + blk * 16) + sub);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(m.p2) + blk);
		const float d = h2f(dm & 0xffff), dmin = h2f(dm >> 16);
#pragma unroll
		for (int r = 0; r < 4; r++) {
			const uint32_t sc = (sw >> (8 * r)) & 255u;
			const float dl = d * (float)(sc & 15u), ml = dmin * (float)(sc >> 4);
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int k = 0; k < 4; k++) v[16 * r + 4 * i + k] = dl * (bytef(q[4 * r + i], k) - MAGIC) - ml;
		}
	}
	__device__ static int off(int sub, int k) { return sub * 64 + k; }
};

// q3k_words: Q2_K's runs (half u>>1 of the low bits) with the high bit
// from hmask: bit 4(u>>1) + 2(u&1) + rr of byte l. Each quant is 0..7,
// the value q - 4.
__device__ __forceinline__ void q3k_words(const QMat &m, long blk, int u, uint32_t *q) {
	const uint4 a = ld16(m.p0 + blk * 64 + 32 * (u >> 1)), b = ld16(m.p0 + blk * 64 + 32 * (u >> 1) + 16);
	const uint4 h0 = ld16(m.p1 + blk * 32), h1 = ld16(m.p1 + blk * 32 + 16);
#pragma unroll
	for (int rr = 0; rr < 2; rr++) {
		const int k = 2 * (u & 1) + rr, hb = 4 * (u >> 1) + k;
#pragma unroll
		for (int i = 0; i < 8; i++) {
			const uint32_t w = i < 4 ? word_at(a, i) : word_at(b, i - 4), h = i < 4 ? word_at(h0, i) : word_at(h1, i - 4);
			q[8 * rr + i] = ((w >> (2 * k)) & 0x03030303u) | (((h >> hb) & 0x01010101u) << 2);
		}
	}
}
// q3k_scales: unit u's four scales (ggml's unpacking of the 12 bytes,
// word u of it), still plus 32.
__device__ __forceinline__ uint32_t q3k_scales(const QMat &m, long blk, int u) {
	const uint32_t *sp = reinterpret_cast<const uint32_t *>(m.p2 + blk * 12);
	const uint32_t a = __ldg(sp + (u & 1)), t = __ldg(sp + 2);
	return ((a >> (4 * (u >> 1))) & 0x0F0F0F0Fu) | (((t >> (2 * u)) & 0x03030303u) << 4);
}

// Q3_K: value = d (sc - 32) (q - 4).
template <> struct Dec<GT_Q3_K> : RawDec<Dec<GT_Q3_K>> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = 64, PB1 = 32, PB2 = 12, PB3 = 2;
	static constexpr bool RAW = true;
	static constexpr int SG = 16;
	__device__ static void load_raw(const QMat &m, long blk, int sub, float *v, float *sc) {
		uint32_t q[16];
		q3k_words(m, blk, sub, q);
		const uint32_t sw = q3k_scales(m, blk, sub);
		const float d = h2f(ldh(m.p3 + blk * 2));
#pragma unroll
		for (int r = 0; r < 4; r++) sc[r] = d * (float)((int)((sw >> (8 * r)) & 255u) - 32);
#pragma unroll
		for (int i = 0; i < 16; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) v[4 * i + k] = bytef(q[i], k) - (MAGIC + 4.f);
	}
	__device__ static int off(int sub, int k) { return sub * 64 + k; }
};

// iq4xs_scales: unit u's two 6-bit scales minus 32 (sub-blocks 2u, 2u+1:
// nibbles of scales_l[u], bits 4u.. of scales_h) and d.
__device__ __forceinline__ void iq4xs_scales(const QMat &m, long blk, int u, int &l0, int &l1, float &d) {
	const uint32_t sl = __ldg(m.p1 + blk * 4 + u), dh = __ldg(reinterpret_cast<const uint32_t *>(m.p2) + blk);
	const uint32_t sh = dh >> 16;
	d = h2f(dh & 0xffff);
	l0 = (int)((sl & 15u) | ((sh >> (4 * u)) & 3u) << 4) - 32;
	l1 = (int)((sl >> 4) | ((sh >> (4 * u + 2)) & 3u) << 4) - 32;
}

// IQ4_XS unit u: sub-blocks 2u and 2u+1 (IQ4_NL's nibble order each),
// value d (ls - 32) codebook[q].
template <> struct Dec<GT_IQ4_XS> : RawDec<Dec<GT_IQ4_XS>> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = 128, PB1 = 4, PB2 = 4, PB3 = 0;
	static constexpr bool RAW = true;
	static constexpr int SG = 32;
	__device__ static void load_raw(const QMat &m, long blk, int sub, float *v, float *sc) {
		uint32_t w[16];
		iq4_words(ld16(m.p0 + blk * 128 + 32 * sub), w);
		iq4_words(ld16(m.p0 + blk * 128 + 32 * sub + 16), w + 8);
#pragma unroll
		for (int i = 0; i < 16; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) v[4 * i + k] = sbytef(w[i], k) - (MAGIC + 128.f);
		int l0, l1;
		float d;
		iq4xs_scales(m, blk, sub, l0, l1, d);
		sc[0] = d * (float)l0, sc[1] = d * (float)l1;
	}
	__device__ static int off(int sub, int k) { return sub * 64 + k; }
};

// Q4_K unit = 64 values: 32 quant bytes, low nibbles then high nibbles,
// each half with its own 6-bit scale and min.
template <> struct Dec<GT_Q4_K> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = 128, PB1 = 12, PB2 = 4, PB3 = 0;
	static constexpr bool RAW = false;
	static constexpr int SG = UE;
	__device__ static void scale_min(int j, const uint8_t *s, int &sc, int &mn) {
		if (j < 4) {
			sc = s[j] & 63; mn = s[j + 4] & 63;
		} else {
			sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
			mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
		}
	}
	__device__ static void load(const QMat &m, long blk, int sub, float *v) {
		const uint4 a = ld16(m.p0 + blk * 128 + sub * 32), b = ld16(m.p0 + blk * 128 + sub * 32 + 16);
		const uint32_t *sp = reinterpret_cast<const uint32_t *>(m.p1 + blk * 12);
		uint32_t sw[3] = {__ldg(sp), __ldg(sp + 1), __ldg(sp + 2)};
		const uint8_t *s = reinterpret_cast<const uint8_t *>(sw);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(m.p2) + blk);
		const float d = h2f(dm & 0xffff), dmin = h2f(dm >> 16);
		int sc1, m1, sc2, m2;
		scale_min(2 * sub, s, sc1, m1);
		scale_min(2 * sub + 1, s, sc2, m2);
		const float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
#pragma unroll
		for (int i = 0; i < 8; i++) {
			const uint32_t w = i < 4 ? word_at(a, i) : word_at(b, i - 4), lo = w & 0x0F0F0F0Fu, hi = (w >> 4) & 0x0F0F0F0Fu;
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = d1 * (bytef(lo, k) - MAGIC) - o1;
				v[32 + 4 * i + k] = d2 * (bytef(hi, k) - MAGIC) - o2;
			}
		}
	}
	__device__ static int off(int sub, int k) { return sub * 64 + k; }
};

// q5k_fifth puts the fifth bits of unit `sub` into its quant words:
// value 64 sub + l has bit 2 sub of qh byte l, value 64 sub + 32 + l bit
// 2 sub + 1 (ggml's dequantize_row_q5_K). Word i of lo/hi holds values
// 4i..4i+3 of each half, 0..31.
__device__ __forceinline__ void q5k_fifth(const uint4 &a, const uint4 &b, const uint4 &h0, const uint4 &h1, int sub, uint32_t *lo, uint32_t *hi) {
	const uint32_t m = 0x0F0F0F0Fu, one = 0x01010101u;
	const int s = 2 * sub;
#pragma unroll
	for (int i = 0; i < 8; i++) {
		const uint32_t w = i < 4 ? word_at(a, i) : word_at(b, i - 4), qh = i < 4 ? word_at(h0, i) : word_at(h1, i - 4);
		lo[i] = (w & m) | (((qh >> s) & one) << 4);
		hi[i] = ((w >> 4) & m) | (((qh >> (s + 1)) & one) << 4);
	}
}

// Q5_K unit = Q4_K's 64 values, each with a fifth bit from the qh plane.
template <> struct Dec<GT_Q5_K> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = 128, PB1 = 32, PB2 = 12, PB3 = 4;
	static constexpr bool RAW = false;
	static constexpr int SG = UE;
	__device__ static void load(const QMat &m, long blk, int sub, float *v) {
		const uint4 a = ld16(m.p0 + blk * 128 + sub * 32), b = ld16(m.p0 + blk * 128 + sub * 32 + 16);
		const uint4 h0 = ld16(m.p1 + blk * 32), h1 = ld16(m.p1 + blk * 32 + 16);
		const uint32_t *sp = reinterpret_cast<const uint32_t *>(m.p2 + blk * 12);
		uint32_t sw[3] = {__ldg(sp), __ldg(sp + 1), __ldg(sp + 2)};
		const uint8_t *s = reinterpret_cast<const uint8_t *>(sw);
		const uint32_t dm = __ldg(reinterpret_cast<const uint32_t *>(m.p3) + blk);
		const float d = h2f(dm & 0xffff), dmin = h2f(dm >> 16);
		int sc1, m1, sc2, m2;
		Dec<GT_Q4_K>::scale_min(2 * sub, s, sc1, m1);
		Dec<GT_Q4_K>::scale_min(2 * sub + 1, s, sc2, m2);
		const float d1 = d * sc1, o1 = dmin * m1, d2 = d * sc2, o2 = dmin * m2;
		uint32_t lo[8], hi[8];
		q5k_fifth(a, b, h0, h1, sub, lo, hi);
#pragma unroll
		for (int i = 0; i < 8; i++)
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = d1 * (bytef(lo[i], k) - MAGIC) - o1;
				v[32 + 4 * i + k] = d2 * (bytef(hi[i], k) - MAGIC) - o2;
			}
	}
	__device__ static int off(int sub, int k) { return sub * 64 + k; }
};

// Q6_K unit (h, lq) = sub: values l in [16lq, 16lq+16) of half h, from the
// four 32-wide groups, so its 64 values are 4 runs of 16.
template <> struct Dec<GT_Q6_K> : RawDec<Dec<GT_Q6_K>> {
	static constexpr int BE = 256, UPB = 4, UE = 64, PB0 = 128, PB1 = 64, PB2 = 16, PB3 = 2;
	static constexpr bool RAW = true;
	static constexpr int SG = 16;
	__device__ static void load_raw(const QMat &m, long blk, int sub, float *v, float *sc) {
		const int h = sub >> 1, lq = sub & 1;
		const uint4 a = ld16(m.p0 + blk * 128 + 64 * h + 16 * lq);
		const uint4 b = ld16(m.p0 + blk * 128 + 64 * h + 32 + 16 * lq);
		const uint4 c = ld16(m.p1 + blk * 64 + 32 * h + 16 * lq);
		const uint4 sq = ld16(m.p2 + blk * 16);
		const float d = h2f(ldh(m.p3 + blk * 2));
		const int is = 8 * h + lq;
		sc[0] = d * (float)(int8_t)byte_at(sq, is), sc[1] = d * (float)(int8_t)byte_at(sq, is + 2);
		sc[2] = d * (float)(int8_t)byte_at(sq, is + 4), sc[3] = d * (float)(int8_t)byte_at(sq, is + 6);
#pragma unroll
		for (int i = 0; i < 4; i++) {
			const uint32_t wa = word_at(a, i), wb = word_at(b, i), wc = word_at(c, i);
			const uint32_t q1 = (wa & 0x0F0F0F0Fu) | ((wc & 0x03030303u) << 4);
			const uint32_t q2 = (wb & 0x0F0F0F0Fu) | (((wc >> 2) & 0x03030303u) << 4);
			const uint32_t q3 = ((wa >> 4) & 0x0F0F0F0Fu) | (((wc >> 4) & 0x03030303u) << 4);
			const uint32_t q4 = ((wb >> 4) & 0x0F0F0F0Fu) | (((wc >> 6) & 0x03030303u) << 4);
#pragma unroll
			for (int k = 0; k < 4; k++) {
				v[4 * i + k] = bytef(q1, k) - (MAGIC + 32.f);
				v[16 + 4 * i + k] = bytef(q2, k) - (MAGIC + 32.f);
				v[32 + 4 * i + k] = bytef(q3, k) - (MAGIC + 32.f);
				v[48 + 4 * i + k] = bytef(q4, k) - (MAGIC + 32.f);
			}
		}
	}
	__device__ static int off(int sub, int k) { return 128 * (sub >> 1) + 32 * (k >> 4) + 16 * (sub & 1) + (k & 15); }
};
