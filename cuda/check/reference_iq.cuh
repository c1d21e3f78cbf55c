// reference_iq.cuh: kernel_check's dequantization of the grid types (IQ1_S,
// IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S), written from ggml's
// dequantize_row_iq* over the GGUF block bytes, not from quant_iq.cuh's
// planes and integer decoding.
#pragma once
#include <cstdint>
#include <cstring>
#include "../iq_grids.cuh"

static const unsigned long long h_iq2xxs_grid[] = ORCD_IQ2XXS_GRID;
static const unsigned long long h_iq2xs_grid[] = ORCD_IQ2XS_GRID;
static const unsigned long long h_iq2s_grid[] = ORCD_IQ2S_GRID;
static const uint32_t h_iq3xxs_grid[] = ORCD_IQ3XXS_GRID;
static const uint32_t h_iq3s_grid[] = ORCD_IQ3S_GRID;
static const unsigned long long h_iq1s_grid[] = ORCD_IQ1S_GRID; // g+1 per byte

static bool is_iq_grid(int t) {
	return t == GT_IQ2_XXS || t == GT_IQ2_XS || t == GT_IQ2_S || t == GT_IQ3_XXS || t == GT_IQ3_S || t == GT_IQ1_S || t == GT_IQ1_M;
}
static int iq_block_bytes(int t) {
	switch (t) {
	case GT_IQ2_XXS: return 66;
	case GT_IQ2_XS: return 74;
	case GT_IQ2_S: return 82;
	case GT_IQ3_XXS: return 98;
	case GT_IQ3_S: return 110;
	case GT_IQ1_S: return 50;
	default: return 56; // IQ1_M
	}
}

static float iq_f16(const uint8_t *p) {
	uint16_t h;
	memcpy(&h, p, 2);
	return f16_to_f32(h);
}
static uint32_t iq_u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t iq_u32(const uint8_t *p) { return iq_u16(p) | iq_u16(p + 2) << 16; }
// ksigns_iq2xs: 7 stored sign bits, the eighth their parity.
static uint32_t iq_signs7(uint32_t s) { return s | (uint32_t)(__builtin_popcount(s) & 1) << 7; }
static float iq_sgn(float v, uint32_t s, int j) { return (s >> j) & 1 ? -v : v; }
static int iq_g8(unsigned long long g, int j) { return (int)((g >> (8 * j)) & 255); }

// iq_random_block: random bytes with d (or IQ1_M's nibbles of it) set to
// a size that keeps the weights near 0.01.
static void iq_random_block(int t, uint8_t *p, float (*urand)(float, float)) {
	if (t == GT_IQ1_M) {
		uint16_t h = f32_to_f16(urand(0.0005f, 0.002f));
		for (int k = 0; k < 4; k++) p[48 + 2 * k + 1] = (uint8_t)((p[48 + 2 * k + 1] & 15) | ((h >> (4 * k)) & 15) << 4);
		return;
	}
	const float d = t == GT_IQ1_S ? urand(0.0005f, 0.002f) : t == GT_IQ3_XXS || t == GT_IQ3_S ? urand(0.00002f, 0.00008f) : urand(0.00005f, 0.0002f);
	put16(p, d);
}

static void dequant_iq_block(int t, const uint8_t *b, float *y) {
	switch (t) {
	case GT_IQ2_XXS: {
		const float d = iq_f16(b);
		for (int ib = 0; ib < 8; ib++) {
			const uint8_t *g = b + 2 + 8 * ib;
			const uint32_t aux = iq_u32(g + 4);
			const float db = d * (0.5f + (float)(aux >> 28)) * 0.25f;
			for (int l = 0; l < 4; l++)
				for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = iq_sgn(db * iq_g8(h_iq2xxs_grid[g[l]], j), iq_signs7((aux >> (7 * l)) & 127), j);
		}
		break;
	}
	case GT_IQ2_XS: {
		const float d = iq_f16(b);
		for (int ib = 0; ib < 8; ib++) {
			const uint8_t sc = b[66 + ib];
			for (int l = 0; l < 4; l++) {
				const uint32_t q = iq_u16(b + 2 + 2 * (4 * ib + l));
				const float db = d * (0.5f + (float)(l < 2 ? sc & 15 : sc >> 4)) * 0.25f;
				for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = iq_sgn(db * iq_g8(h_iq2xs_grid[q & 511], j), iq_signs7(q >> 9), j);
			}
		}
		break;
	}
	case GT_IQ2_S: {
		const float d = iq_f16(b);
		const uint8_t *qs = b + 2, *signs = b + 34, *qh = b + 66, *scales = b + 74;
		for (int ib = 0; ib < 8; ib++)
			for (int l = 0; l < 4; l++) {
				const float db = d * (0.5f + (float)(l < 2 ? scales[ib] & 15 : scales[ib] >> 4)) * 0.25f;
				const int idx = qs[4 * ib + l] | ((qh[ib] << (8 - 2 * l)) & 0x300);
				for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = iq_sgn(db * iq_g8(h_iq2s_grid[idx], j), signs[4 * ib + l], j);
			}
		break;
	}
	case GT_IQ3_XXS: {
		const float d = iq_f16(b);
		for (int ib = 0; ib < 8; ib++) {
			const uint8_t *qs = b + 2 + 8 * ib;
			const uint32_t aux = iq_u32(b + 66 + 4 * ib);
			const float db = d * (0.5f + (float)(aux >> 28)) * 0.5f;
			for (int l = 0; l < 4; l++) {
				const uint32_t s = iq_signs7((aux >> (7 * l)) & 127), g1 = h_iq3xxs_grid[qs[2 * l]], g2 = h_iq3xxs_grid[qs[2 * l + 1]];
				for (int j = 0; j < 4; j++) {
					y[32 * ib + 8 * l + j] = iq_sgn(db * (float)((g1 >> (8 * j)) & 255), s, j);
					y[32 * ib + 8 * l + j + 4] = iq_sgn(db * (float)((g2 >> (8 * j)) & 255), s, j + 4);
				}
			}
		}
		break;
	}
	case GT_IQ3_S: {
		const float d = iq_f16(b);
		const uint8_t *qs = b + 2, *qh = b + 66, *signs = b + 74, *scales = b + 106;
		for (int ib = 0; ib < 8; ib++) {
			const float db = d * (float)(1 + 2 * ((scales[ib / 2] >> (4 * (ib % 2))) & 15));
			for (int l = 0; l < 4; l++) {
				const uint32_t g1 = h_iq3s_grid[qs[8 * ib + 2 * l] | ((qh[ib] << (8 - 2 * l)) & 256)];
				const uint32_t g2 = h_iq3s_grid[qs[8 * ib + 2 * l + 1] | ((qh[ib] << (7 - 2 * l)) & 256)];
				for (int j = 0; j < 4; j++) {
					y[32 * ib + 8 * l + j] = iq_sgn(db * (float)((g1 >> (8 * j)) & 255), signs[4 * ib + l], j);
					y[32 * ib + 8 * l + j + 4] = iq_sgn(db * (float)((g2 >> (8 * j)) & 255), signs[4 * ib + l], j + 4);
				}
			}
		}
		break;
	}
	case GT_IQ1_S: {
		const float d = iq_f16(b);
		for (int ib = 0; ib < 8; ib++) {
			const uint32_t qh = iq_u16(b + 34 + 2 * ib);
			const float dl = d * (float)(2 * ((qh >> 12) & 7) + 1), delta = qh & 0x8000 ? -0.125f : 0.125f;
			for (int l = 0; l < 4; l++) {
				const unsigned long long g = h_iq1s_grid[b[2 + 4 * ib + l] | ((qh >> (3 * l)) & 7) << 8];
				for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = dl * ((float)(iq_g8(g, j) - 1) + delta);
			}
		}
		break;
	}
	case GT_IQ1_M: {
		uint32_t sc[4], dh = 0;
		for (int k = 0; k < 4; k++) sc[k] = iq_u16(b + 48 + 2 * k), dh |= (sc[k] >> 12) << (4 * k);
		const float d = f16_to_f32((uint16_t)dh);
		for (int ib = 0; ib < 8; ib++) {
			const uint32_t s = sc[ib / 2] >> (6 * (ib % 2));
			for (int l = 0; l < 4; l++) {
				const uint32_t h = (b[32 + 2 * ib + l / 2] >> (4 * (l % 2))) & 15;
				const float dl = d * (float)(2 * ((s >> (l < 2 ? 0 : 3)) & 7) + 1), delta = h & 8 ? -0.125f : 0.125f;
				const unsigned long long g = h_iq1s_grid[b[4 * ib + l] | (h & 7) << 8];
				for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = dl * ((float)(iq_g8(g, j) - 1) + delta);
			}
		}
		break;
	}
	}
}
