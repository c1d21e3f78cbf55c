// qgemm.cuh: Y[t][r] (= or +=) sum_i W[r][i] X[t][i] for batches past the
// matvec's 8 tokens, on the tensor cores, with W dequantized tile by tile
// inside the kernel. The cuBLAS path instead writes the whole matrix out as
// F16 and reads it back each forward: for a 1B model ~5 GB of traffic a
// step against the 0.7 GB of quantized weights read here.
//
// Block: 128 threads, a tile of 64 rows of W by 64 tokens; K in steps of
// 256 (whole K-quant blocks). Each step decodes the W tile and converts the
// X tile to F16 in shared memory, then each warp multiplies its 32 x 32
// corner with 16x16x16 WMMA (F16 in, F32 accumulate): the same rounding
// as the cuBLAS path (weights and activations in F16).
#pragma once
#include <mma.h>
#include "quant.cuh"

#define QG_M 64   // rows of W per block
#define QG_N 64   // tokens per block
#define QG_K 256  // columns per step
#define QG_LD 264 // shared-memory row stride in halves (16-byte multiple, off the banks' period)

struct QGemmArgs {
	QMat W;
	const float *x; int ldx; // X[t][i] at x[t*ldx + i]
	float *y; int ldy;       // Y[t][r] at y[t*ldy + r]
	int n;                   // tokens
	float beta;              // 0: Y = WX; 1: Y += WX
};

static constexpr size_t qgemm_smem() { return (size_t)(QG_M + QG_N) * QG_LD * 2; }

template <int T>
__global__ void __launch_bounds__(128) k_qgemm(QGemmArgs a) {
	namespace wm = nvcuda::wmma;
	using D = Dec<T>;
	pdl_enter();
	DYN_SHARED(unsigned char, smem);
	__half *Ws = reinterpret_cast<__half *>(smem);  // [QG_M][QG_LD]
	__half *Xs = Ws + QG_M * QG_LD;                  // [QG_N][QG_LD]
	float *Cs = reinterpret_cast<float *>(smem);     // [QG_N][QG_M + 4], after the last step
	const int tid = threadIdx.x, warp = tid >> 5;
	const int t0 = blockIdx.x * QG_N, r0 = blockIdx.y * QG_M;
	const int wr = (warp & 1) * 32, wt = (warp >> 1) * 32; // the warp's corner: rows, tokens
	const QMat &W = a.W;
	const int upk = QG_K / D::BE * D::UPB; // decoder units per row per step (whole blocks)

	wm::fragment<wm::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
	for (int i = 0; i < 2; i++)
#pragma unroll
		for (int j = 0; j < 2; j++) wm::fill_fragment(acc[i][j], 0.f);

	for (int k0 = 0; k0 < W.n_in; k0 += QG_K) {
		const int kn = min(QG_K, W.n_in - k0); // a multiple of BE (n_in is)
		__syncthreads(); // the previous step's fragments are loaded
		// W tile: unit by unit; rows past n_out and columns past n_in are 0.
		for (int i = tid; i < QG_M * upk; i += 128) {
			const int rr = i / upk, u = i % upk, bi = u / D::UPB, sub = u % D::UPB;
			__half *o = Ws + rr * QG_LD + bi * D::BE;
			float v[D::UE];
			const bool in = r0 + rr < W.n_out && bi * D::BE < kn;
			if (in) D::load(W, (long)(r0 + rr) * W.nb + k0 / D::BE + bi, sub, v);
#pragma unroll
			for (int k = 0; k < D::UE; k++) o[D::off(sub, k - k % 4) + k % 4] = __float2half_rn(in ? v[k] : 0.f);
		}
		// X tile: four floats at a time; tokens past n and columns past n_in are 0.
		for (int i = tid; i < QG_N * (QG_K / 4); i += 128) {
			const int tt = i / (QG_K / 4), c = (i % (QG_K / 4)) * 4;
			float4 v = {0.f, 0.f, 0.f, 0.f};
			if (t0 + tt < a.n && c < kn) v = *reinterpret_cast<const float4 *>(a.x + (long)(t0 + tt) * a.ldx + k0 + c);
			__half *o = Xs + tt * QG_LD + c;
			o[0] = __float2half_rn(v.x), o[1] = __float2half_rn(v.y), o[2] = __float2half_rn(v.z), o[3] = __float2half_rn(v.w);
		}
		__syncthreads();
		for (int kk = 0; kk < kn; kk += 16) {
			wm::fragment<wm::matrix_a, 16, 16, 16, __half, wm::row_major> fa[2];
			wm::fragment<wm::matrix_b, 16, 16, 16, __half, wm::col_major> fb[2];
#pragma unroll
			for (int i = 0; i < 2; i++) wm::load_matrix_sync(fa[i], Ws + (wr + 16 * i) * QG_LD + kk, QG_LD);
#pragma unroll
			for (int j = 0; j < 2; j++) wm::load_matrix_sync(fb[j], Xs + (wt + 16 * j) * QG_LD + kk, QG_LD);
#pragma unroll
			for (int i = 0; i < 2; i++)
#pragma unroll
				for (int j = 0; j < 2; j++) wm::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
		}
	}
	// Through shared memory, so that partial tiles store only what exists.
	__syncthreads();
	const int ldc = QG_M + 4;
#pragma unroll
	for (int i = 0; i < 2; i++)
#pragma unroll
		for (int j = 0; j < 2; j++)
			wm::store_matrix_sync(Cs + (wt + 16 * j) * ldc + wr + 16 * i, acc[i][j], ldc, wm::mem_col_major);
	__syncthreads();
	for (int i = tid; i < QG_M * QG_N; i += 128) {
		const int tt = i / QG_M, rr = i % QG_M;
		if (t0 + tt >= a.n || r0 + rr >= W.n_out) continue;
		float *y = a.y + (long)(t0 + tt) * a.ldy + r0 + rr;
		const float v = Cs[tt * ldc + rr];
		*y = a.beta != 0.f ? *y + v : v;
	}
}

template <int T> static void launch_qgemm(const QGemmArgs &a, cudaStream_t st) {
	const dim3 grid((a.n + QG_N - 1) / QG_N, (a.W.n_out + QG_M - 1) / QG_M);
	LAUNCH((grid, 128, qgemm_smem(), st), k_qgemm<T>)(a);
}

// One per weight type (mv_<type>.cu), and the dispatch (ops.cu): false
// for a type without kernels. orcd_qgemm (ORCD_CUDA_QGEMM=1, backend.cu)
// sends batches past 8 tokens here instead of to cuBLAS.
void qgemm_f32(const QGemmArgs &a, cudaStream_t st);
void qgemm_f16(const QGemmArgs &a, cudaStream_t st);
void qgemm_q4_0(const QGemmArgs &a, cudaStream_t st);
void qgemm_q8_0(const QGemmArgs &a, cudaStream_t st);
void qgemm_q5_0(const QGemmArgs &a, cudaStream_t st);
void qgemm_q4_1(const QGemmArgs &a, cudaStream_t st);
void qgemm_q5_1(const QGemmArgs &a, cudaStream_t st);
void qgemm_q2_k(const QGemmArgs &a, cudaStream_t st);
void qgemm_q3_k(const QGemmArgs &a, cudaStream_t st);
void qgemm_q4_k(const QGemmArgs &a, cudaStream_t st);
void qgemm_q5_k(const QGemmArgs &a, cudaStream_t st);
void qgemm_q6_k(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq4_nl(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq4_xs(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq2_xxs(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq2_xs(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq2_s(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq3_xxs(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq3_s(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq1_s(const QGemmArgs &a, cudaStream_t st);
void qgemm_iq1_m(const QGemmArgs &a, cudaStream_t st);
bool qgemm_any(const QGemmArgs &a, cudaStream_t st);
extern bool orcd_qgemm;
