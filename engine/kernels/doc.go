// Package kernels holds the CPU compute kernels of the engine: dot products
// between ggml-quantized weight rows and 8-bit quantized activations, and the
// parallel matrix-vector/matrix-matrix driver built on them.
//
// Every kernel has a pure-Go reference (ref.go), kept readable and used as
// the ground truth in tests, and a fast version selected at run time from
// the CPU's features (dot_amd64.s on x86-64 with AVX2/FMA). The integer part
// of each quantized dot product is exact in both; only the float summation
// order of the per-block scales differs.
//
// Block layouts follow ggml (ggml-common.h):
//
//	Q8_0: f16 d, int8 qs[32]                              (34 bytes / 32)
//	Q4_0: f16 d, uint8 qs[16] (lo nibble j, hi j+16), -8  (18 bytes / 32)
//	Q4_K: f16 d, f16 dmin, 6-bit scales/mins[12], qs[128] (144 bytes / 256)
//	Q6_K: ql[128], qh[64], int8 scales[16], f16 d         (210 bytes / 256)
//
// Activations are quantized once per token into a Q8 (Q8_0 blocks of 32 for
// Q4_0/Q8_0 weights, Q8_K blocks of 256 for the k-quants), stored as
// separate arrays so the assembly never converts the activation scale.
//
// Beyond those: repacked layouts (pack.go, pack16.go; pack_legacy.go for
// IQ4_NL, Q5_0, Q4_1 and Q5_1, pack_iq4xs.go, pack_q2k.go, pack_q3k.go),
// whose kernels hold one weight row per int32 lane, and the grid types
// re-encoded exactly into two of them (pack_iq3.go, pack_grid3.go); F16 and BF16 register
// tiles on AVX-512 (gemm_f16_amd64.s, gemm_bf16_amd64.s, tile_amd64.h);
// and row dots plus four-token kernels
// for Q2_K, Q3_K, Q5_K, Q4_1, Q5_0, Q5_1, IQ4_NL and IQ4_XS (dot_*.go, each
// with its Go definition beside it), registered in extra.go. Whatever the
// kernel, a token's result does not depend on the batch it is in.
package kernels
