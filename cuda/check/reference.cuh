// reference.cuh: kernel_check's host side: a deterministic RNG, f16
// conversions, and random matrices in GGUF block layout with their
// dequantization, written from ggml's definitions (not from the
// kernels' decoders), for every type the library takes.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "../backend.cuh"

// xorshift64*: deterministic and free of <random> (host-compiler quirks).
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rng() {
	rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
static float urand(float a, float b) { return a + (b - a) * (float)(rng() >> 8) * (1.f / 16777216.f); }
static int failures = 0;

#define CK(x)                                                                              \
	do {                                                                                   \
		cudaError_t e_ = (x);                                                              \
		if (e_ != cudaSuccess) {                                                           \
			printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__); \
			exit(2);                                                                       \
		}                                                                                  \
	} while (0)

static float f16_to_f32(uint16_t h) {
	const uint32_t s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
	float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? INFINITY : ldexpf((float)(m | 1024), (int)e - 25);
	return s ? -v : v;
}
static uint16_t f32_to_f16(float f) { // normal range only, round to nearest
	uint32_t x;
	memcpy(&x, &f, 4);
	const uint32_t s = (x >> 16) & 0x8000;
	int e = (int)((x >> 23) & 255) - 127 + 15;
	uint32_t m = x & 0x7fffff;
	if (e <= 0) return (uint16_t)s;
	uint32_t h = s | (e << 10) | (m >> 13);
	const uint32_t rem = m & 0x1fff; // ties to even, as __float2half_rn
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
	return (uint16_t)h;
}
static void put16(uint8_t *p, float f) { uint16_t h = f32_to_f16(f); memcpy(p, &h, 2); }
static float get16(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return f16_to_f32(h); }

// Random matrix in GGUF block layout, and its reference dequantization.
struct RefMat {
	int type, n_in, n_out;
	std::vector<uint8_t> raw;
	std::vector<float> w; // n_out * n_in
};

// k4_scale_min: the i-th 6-bit scale and min of Q4_K/Q5_K's 12 bytes.
static void k4_scale_min(const uint8_t *s, int i, int &sc, int &mn) {
	if (i < 4) sc = s[i] & 63, mn = s[i + 4] & 63;
	else sc = (s[i + 4] & 15) | ((s[i - 4] >> 6) << 4), mn = (s[i + 4] >> 4) | ((s[i] >> 6) << 4);
}

#include "reference_iq.cuh"

// The IQ4 codebook (ggml's kvalues_iq4nl).
static const int kvalues_iq4[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

static void dequant_block(int type, const uint8_t *b, float *y) {
	switch (type) {
	case GT_IQ2_XXS: case GT_IQ2_XS: case GT_IQ2_S: case GT_IQ3_XXS: case GT_IQ3_S: case GT_IQ1_S: case GT_IQ1_M:
		dequant_iq_block(type, b, y);
		break;
	case GT_Q4_0: {
		const float d = get16(b);
		for (int j = 0; j < 16; j++) y[j] = ((b[2 + j] & 15) - 8) * d, y[j + 16] = ((b[2 + j] >> 4) - 8) * d;
		break;
	}
	case GT_Q8_0: {
		const float d = get16(b);
		for (int j = 0; j < 32; j++) y[j] = (int8_t)b[2 + j] * d;
		break;
	}
	case GT_Q4_K: {
		const float d = get16(b), dmin = get16(b + 2);
		const uint8_t *s = b + 4, *q = b + 16;
		for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
			int sc[2], mn[2];
			for (int k = 0; k < 2; k++) k4_scale_min(s, is + k, sc[k], mn[k]);
			for (int l = 0; l < 32; l++) y[j + l] = d * sc[0] * (q[l] & 15) - dmin * mn[0];
			for (int l = 0; l < 32; l++) y[j + 32 + l] = d * sc[1] * (q[l] >> 4) - dmin * mn[1];
		}
		break;
	}
	case GT_Q5_0: {
		const float d = get16(b);
		uint32_t qh;
		memcpy(&qh, b + 2, 4);
		for (int j = 0; j < 16; j++) {
			y[j] = (int)((b[6 + j] & 15) | ((qh >> j) & 1) << 4) - 16;
			y[j + 16] = (int)((b[6 + j] >> 4) | ((qh >> (j + 16)) & 1) << 4) - 16;
			y[j] *= d, y[j + 16] *= d;
		}
		break;
	}
	case GT_Q2_K: { // scales[16], qs[64], d, dmin
		const float d = get16(b + 80), dmin = get16(b + 82);
		int is = 0;
		for (int n = 0; n < 256; n += 128)
			for (int sh = 0; sh < 8; sh += 2)
				for (int half = 0; half < 2; half++, is++) {
					const float dl = d * (b[is] & 15), ml = dmin * (b[is] >> 4);
					for (int l = 0; l < 16; l++) {
						const int k = 16 * half + l;
						y[n + 16 * (sh / 2) * 2 + k] = dl * ((b[16 + n / 4 + k] >> sh) & 3) - ml;
					}
				}
		break;
	}
	case GT_Q3_K: { // hmask[32], qs[64], scales[12], d
		const float d = get16(b + 108);
		const uint8_t *s = b + 96;
		int sc[16];
		for (int i = 0; i < 16; i++) {
			const int lo = i < 8 ? (s[i] & 15) : (s[i - 8] >> 4);
			const int hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
			sc[i] = (lo | hi << 4) - 32;
		}
		for (int j = 0; j < 2; j++)
			for (int k = 0; k < 4; k++)
				for (int l = 0; l < 32; l++) {
					const int q = ((b[32 + 32 * j + l] >> (2 * k)) & 3) - ((b[l] >> (4 * j + k)) & 1 ? 0 : 4);
					y[128 * j + 32 * k + l] = d * sc[8 * j + 2 * k + l / 16] * q;
				}
		break;
	}
	case GT_Q4_1:
	case GT_Q5_1: { // d, m, [qh], qs[16]: d q + m
		const float d = get16(b), m = get16(b + 2);
		uint32_t qh = 0;
		if (type == GT_Q5_1) memcpy(&qh, b + 4, 4);
		const uint8_t *q = b + (type == GT_Q5_1 ? 8 : 4);
		for (int j = 0; j < 16; j++) {
			y[j] = d * (float)((q[j] & 15) | ((qh >> j) & 1) << 4) + m;
			y[j + 16] = d * (float)((q[j] >> 4) | ((qh >> (j + 16)) & 1) << 4) + m;
		}
		break;
	}
	case GT_IQ4_NL: {
		const float d = get16(b);
		for (int j = 0; j < 16; j++) y[j] = d * kvalues_iq4[b[2 + j] & 15], y[j + 16] = d * kvalues_iq4[b[2 + j] >> 4];
		break;
	}
	case GT_IQ4_XS: { // d, scales_h (u16), scales_l[4], qs[128]
		const float d = get16(b);
		const int sh = b[2] | b[3] << 8;
		for (int ib = 0; ib < 8; ib++) {
			const int ls = ((b[4 + ib / 2] >> (4 * (ib % 2))) & 15) | ((sh >> (2 * ib)) & 3) << 4;
			const float dl = d * (ls - 32);
			for (int j = 0; j < 16; j++) {
				const uint8_t q = b[8 + 16 * ib + j];
				y[32 * ib + j] = dl * kvalues_iq4[q & 15], y[32 * ib + j + 16] = dl * kvalues_iq4[q >> 4];
			}
		}
		break;
	}
	case GT_Q5_K: {
		const float d = get16(b), dmin = get16(b + 2);
		const uint8_t *s = b + 4, *qh = b + 16, *q = b + 48;
		for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
			int sc[2], mn[2];
			for (int k = 0; k < 2; k++) k4_scale_min(s, is + k, sc[k], mn[k]);
			for (int l = 0; l < 32; l++) y[j + l] = d * sc[0] * ((q[l] & 15) + ((qh[l] >> is) & 1) * 16) - dmin * mn[0];
			for (int l = 0; l < 32; l++) y[j + 32 + l] = d * sc[1] * ((q[l] >> 4) + ((qh[l] >> (is + 1)) & 1) * 16) - dmin * mn[1];
		}
		break;
	}
	case GT_Q6_K: {
		const uint8_t *ql = b, *qh = b + 128;
		const int8_t *sc = (const int8_t *)(b + 192);
		const float d = get16(b + 208);
		for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8)
			for (int l = 0; l < 32; l++) {
				const int is = l / 16;
				y[n + l] = d * sc[is] * (((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32);
				y[n + l + 32] = d * sc[is + 2] * (((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
				y[n + l + 64] = d * sc[is + 4] * (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
				y[n + l + 96] = d * sc[is + 6] * (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
			}
		break;
	}
	}
}

// block_elems: values per ggml block (32 for the legacy types and IQ4_NL, which
// also take Q8_0 activations; 256 for the K-quants, with Q8_K ones).
static int block_elems(int type) {
	return type == GT_Q4_0 || type == GT_Q4_1 || type == GT_Q5_0 || type == GT_Q5_1 || type == GT_Q8_0 || type == GT_IQ4_NL ? 32 : 256;
}

static RefMat make_mat(int type, int n_in, int n_out) {
	RefMat m{type, n_in, n_out, {}, std::vector<float>((size_t)n_in * n_out)};
	if (type == GT_F32) {
		m.raw.resize(m.w.size() * 4);
		for (auto &v : m.w) v = urand(-1, 1);
		memcpy(m.raw.data(), m.w.data(), m.raw.size());
		return m;
	}
	if (type == GT_F16) {
		m.raw.resize(m.w.size() * 2);
		for (size_t i = 0; i < m.w.size(); i++) put16(&m.raw[2 * i], urand(-1, 1)), m.w[i] = get16(&m.raw[2 * i]);
		return m;
	}
	const int be = block_elems(type);
	const int bb = type == GT_Q4_0 ? 18 : type == GT_Q8_0 ? 34 : type == GT_Q5_0 ? 22 : type == GT_Q4_1 ? 20 : type == GT_Q5_1 ? 24 : type == GT_Q2_K ? 84 : type == GT_Q3_K ? 110
	             : type == GT_Q4_K ? 144 : type == GT_Q5_K ? 176 : type == GT_IQ4_NL ? 18 : type == GT_IQ4_XS ? 136 : is_iq_grid(type) ? iq_block_bytes(type) : 210;
	const size_t nblk = (size_t)n_in / be * n_out;
	m.raw.resize(nblk * bb);
	for (auto &v : m.raw) v = (uint8_t)(rng() & 255);
	for (size_t b = 0; b < nblk; b++) {
		uint8_t *p = &m.raw[b * bb];
		if (type == GT_Q4_0 || type == GT_Q8_0 || type == GT_Q5_0) put16(p, urand(0.001f, 0.02f));
		if (type == GT_Q4_1 || type == GT_Q5_1) put16(p, urand(0.001f, 0.02f)), put16(p + 2, urand(-0.2f, 0.05f));
		if (type == GT_Q2_K) put16(p + 80, urand(0.002f, 0.01f)), put16(p + 82, urand(0.002f, 0.01f));
		if (type == GT_Q3_K) put16(p + 108, urand(0.0005f, 0.002f));
		if (type == GT_IQ4_NL) put16(p, urand(0.0002f, 0.002f));
		if (type == GT_IQ4_XS) put16(p, urand(0.00002f, 0.0001f));
		if (type == GT_Q4_K || type == GT_Q5_K) put16(p, urand(0.0005f, 0.002f)), put16(p + 2, urand(0.0005f, 0.002f));
		if (type == GT_Q6_K) put16(p + 208, urand(0.0005f, 0.002f));
		if (is_iq_grid(type)) iq_random_block(type, p, urand);
		dequant_block(type, p, &m.w[b * be]);
	}
	return m;
}
