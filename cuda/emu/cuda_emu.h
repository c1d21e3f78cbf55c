// cuda_emu.h: the CUDA runtime, cuBLAS and device built-ins that cuda/
// uses, implemented on the CPU, so that the backend's own .cu sources
// build with a C++ compiler (make -C cuda emu) and run where no GPU is.
//
// It checks logic, not speed: every thread of a block is a fiber on one OS
// thread, switched at __syncthreads, __syncwarp and shuffles (emu.cc), so
// a kernel runs deterministically, a barrier some threads never reach is
// reported instead of hanging, and device memory is plain heap memory
// that AddressSanitizer can watch. Memory ordering, occupancy and timing
// are not modelled: a race that the fibers' order hides goes unseen.
//
// Force-included (-include) into every source; emu/include holds the
// stand-ins for <cuda_fp16.h>, <cublas_v2.h> and <cuda_runtime.h>.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- qualifiers and launch syntax ----
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
// Static shared memory lives in its own section, which the emulator fills
// with 0xff bytes before every block, as dynamic shared memory: on a GPU
// it starts as garbage, and a value left by the block before must not
// hide a read of an unwritten slot.
#define __shared__ static __attribute__((section("emu_shared")))
// LAUNCH((grid, block, smem, stream), kernel)(args...) is the emulator's
// spelling of kernel<<<grid, block, smem, stream>>>(args...); quant.cuh
// gives the nvcc one.
#define LAUNCH(cfg, ...) emu::launcher(emu::Cfg cfg, __VA_ARGS__)
#define DYN_SHARED(T, name) T *name = static_cast<T *>(emu::dyn_smem())

struct dim3 {
	unsigned x, y, z;
	constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim;

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
inline uint2 make_uint2(unsigned x, unsigned y) { return uint2{x, y}; }

// ---- runtime types ----
enum cudaError_t {
	cudaSuccess = 0,
	cudaErrorInvalidValue = 1,
	cudaErrorMemoryAllocation = 2,
	cudaErrorInvalidConfiguration = 9,
	cudaErrorNoDevice = 100,
	cudaErrorLaunchFailure = 719,
	cudaErrorStreamCaptureUnsupported = 900,
};
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice, cudaMemcpyDefault };
enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal, cudaStreamCaptureModeThreadLocal, cudaStreamCaptureModeRelaxed };
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
#define cudaStreamNonBlocking 0x01
typedef struct EmuStream *cudaStream_t;
typedef struct EmuEvent *cudaEvent_t;
typedef struct EmuGraph *cudaGraph_t;
typedef struct EmuGraphExec *cudaGraphExec_t;
struct cudaDeviceProp {
	char name[256];
	size_t totalGlobalMem, sharedMemPerBlock, sharedMemPerBlockOptin;
	int multiProcessorCount, major, minor, warpSize, maxThreadsPerBlock;
};

cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d);
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b);
cudaError_t cudaMalloc(void **p, size_t n);
template <class T> cudaError_t cudaMalloc(T **p, size_t n) { return cudaMalloc(reinterpret_cast<void **>(p), n); }
cudaError_t cudaMallocHost(void **p, size_t n);
template <class T> cudaError_t cudaMallocHost(T **p, size_t n) { return cudaMallocHost(reinterpret_cast<void **>(p), n); }
cudaError_t cudaFree(void *p);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind k);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind k, cudaStream_t st = nullptr);
cudaError_t cudaMemset(void *p, int v, size_t n);
cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t st = nullptr);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *st, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t st);
cudaError_t cudaStreamSynchronize(cudaStream_t st);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
const char *cudaGetErrorString(cudaError_t e);
const char *cudaGetErrorName(cudaError_t e);
namespace emu {
// A kernel may take more than 48 KB of dynamic shared memory only after
// cudaFuncSetAttribute raised its limit, as on a GPU; the emulator keeps
// the limits so that a launch that would fail there fails here too.
void set_smem_limit(const void *kernel, int bytes);
bool smem_allowed(const void *kernel, size_t bytes);
void launch_failed(cudaError_t e);
// set_order changes the order threads and blocks run in (ORCD_EMU_ORDER:
// "forward", "reverse" or "shuffle"); false for another name.
bool set_order(const char *name);
} // namespace emu
template <class F> cudaError_t cudaFuncSetAttribute(F f, cudaFuncAttribute, int v) {
	if (v < 0 || v > 227 * 1024) return cudaErrorInvalidValue;
	emu::set_smem_limit(reinterpret_cast<const void *>(f), v);
	return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t st = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b);
cudaError_t cudaStreamBeginCapture(cudaStream_t st, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t st, cudaGraph_t *g);
cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t *x, cudaGraph_t g, unsigned long long flags);
cudaError_t cudaGraphLaunch(cudaGraphExec_t x, cudaStream_t st);
cudaError_t cudaGraphDestroy(cudaGraph_t g);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t x);

// ---- half precision (IEEE binary16, round to nearest even) ----
struct __half {
	uint16_t x;
};
struct alignas(4) __half2 {
	__half x, y;
};
float emu_h2f(uint16_t h);
uint16_t emu_f2h(float f);
inline float __half2float(__half h) { return emu_h2f(h.x); }
inline __half __float2half_rn(float f) { return __half{emu_f2h(f)}; }
inline __half __float2half(float f) { return __float2half_rn(f); }
inline __half __ushort_as_half(unsigned short u) { return __half{u}; }
inline unsigned short __half_as_ushort(__half h) { return h.x; }
inline float2 __half22float2(__half2 h) { return float2{__half2float(h.x), __half2float(h.y)}; }
inline __half2 __floats2half2_rn(float a, float b) { return __half2{__float2half_rn(a), __float2half_rn(b)}; }
inline __half2 __float22half2_rn(float2 f) { return __floats2half2_rn(f.x, f.y); }
inline __half2 __halves2half2(__half a, __half b) { return __half2{a, b}; }
inline float __low2float(__half2 h) { return __half2float(h.x); }
inline float __high2float(__half2 h) { return __half2float(h.y); }

// ---- device built-ins ----
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int u; std::memcpy(&u, &f, 4); return u; }
// Round-to-nearest float operations that nvcc never fuses into an FMA
// (ISO C++ mode: g++ does not contract either).
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
// __byte_perm: result byte n is byte (s >> 4n) & 7 of the pair {y:x}.
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
	const uint64_t v = ((uint64_t)y << 32) | x;
	unsigned r = 0;
	for (int n = 0; n < 4; n++) r |= (unsigned)((v >> (8 * ((s >> (4 * n)) & 7))) & 255u) << (8 * n);
	return r;
}
// __dp4a: four signed byte products added to c.
inline int __dp4a(int a, int b, int c) {
	for (int i = 0; i < 4; i++) c += (int)(int8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i));
	return c;
}
inline int __dp4a(unsigned a, int b, int c) {
	for (int i = 0; i < 4; i++) c += (int)(uint8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i));
	return c;
}
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : x > 1.f ? 1.f : x; }
inline float rsqrtf(float x) { return 1.f / sqrtf(x); }
template <class T> inline T __ldg(const T *p) { return *p; }
template <class A, class B> inline auto min(A a, B b) -> typename std::common_type<A, B>::type { return a < b ? a : b; }
template <class A, class B> inline auto max(A a, B b) -> typename std::common_type<A, B>::type { return a < b ? b : a; }
// One OS thread runs every fiber, so atomics are plain read-modify-writes.
template <class T> inline T atomicAdd(T *p, T v) { T o = *p; *p = o + v; return o; }
template <class T> inline T atomicMax(T *p, T v) { T o = *p; if (v > o) *p = v; return o; }
template <class T> inline T atomicMin(T *p, T v) { T o = *p; if (v < o) *p = v; return o; }
template <class T> inline T atomicExch(T *p, T v) { T o = *p; *p = v; return o; }

namespace emu {
// Cfg is a launch configuration: <<<grid, block, smem, stream>>>.
struct Cfg {
	dim3 grid, block;
	size_t smem;
	cudaStream_t st;
	Cfg(dim3 g, dim3 b, size_t s = 0, cudaStream_t t = nullptr) : grid(g), block(b), smem(s), st(t) {}
};
// run executes body once per thread of every block of c (or records it
// into the graph being captured).
void run(const Cfg &c, std::function<void()> body);
void *dyn_smem();
void sync_block();
void sync_warp();
// exchange publishes v as this lane's value and returns lane src's.
uint64_t exchange(uint64_t v, int src);
int lane();

template <class... P> struct Launcher {
	Cfg c;
	void (*k)(P...);
	template <class... A> void operator()(A &&...args) const {
		auto k_ = k;
		if (!smem_allowed(reinterpret_cast<const void *>(k_), c.smem)) {
			launch_failed(cudaErrorInvalidValue);
			return;
		}
		std::tuple<typename std::decay<P>::type...> t(std::forward<A>(args)...);
		run(c, [k_, t]() { std::apply(k_, t); });
	}
};
template <class... P> Launcher<P...> launcher(const Cfg &c, void (*k)(P...)) { return Launcher<P...>{c, k}; }
} // namespace emu

inline void __syncthreads() { emu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::sync_warp(); }
template <class T> inline T emu_shfl(T v, int src) {
	static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
	uint64_t raw = 0;
	std::memcpy(&raw, &v, sizeof v);
	raw = emu::exchange(raw, src);
	T out;
	std::memcpy(&out, &raw, sizeof out);
	return out;
}
template <class T> inline T __shfl_xor_sync(unsigned, T v, int m, int w = 32) {
	const int l = emu::lane();
	return emu_shfl(v, (l & ~(w - 1)) | ((l ^ m) & (w - 1)));
}
template <class T> inline T __shfl_sync(unsigned, T v, int src, int w = 32) {
	const int l = emu::lane();
	return emu_shfl(v, (l & ~(w - 1)) | (src & (w - 1)));
}
template <class T> inline T __shfl_down_sync(unsigned, T v, unsigned d, int w = 32) {
	const int l = emu::lane(), seg = l & ~(w - 1);
	const int s = (l - seg) + (int)d;
	return emu_shfl(v, s < w ? seg + s : l);
}

// ---- cuBLAS: the two GEMMs the backend calls, as plain loops ----
typedef struct EmuBlas *cublasHandle_t;
enum cublasStatus_t { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_ALLOC_FAILED = 3, CUBLAS_STATUS_INVALID_VALUE = 7, CUBLAS_STATUS_NOT_SUPPORTED = 15 };
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cudaDataType { CUDA_R_32F = 0, CUDA_R_16F = 2 };
enum cublasComputeType_t { CUBLAS_COMPUTE_32F = 68 };
enum cublasGemmAlgo_t { CUBLAS_GEMM_DEFAULT = -1 };
cublasStatus_t cublasCreate(cublasHandle_t *h);
cublasStatus_t cublasDestroy(cublasHandle_t h);
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t st);
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float *alpha,
                           const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc);
cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType at, int lda, const void *B, cudaDataType bt, int ldb, const void *beta,
                            void *C, cudaDataType ct, int ldc, cublasComputeType_t comp, cublasGemmAlgo_t algo);

// ---- nvcuda::wmma, for kernels that use fragments only through
// fill/load/mma/store (and element-wise on x[]): every lane holds the whole
// 16x16 tile, so the layout question the hardware leaves open never arises.
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
template <class Use, int M, int N, int K, class T, class Layout = void> struct fragment {
	static constexpr int rows = std::is_same<Use, matrix_b>::value ? K : M;
	static constexpr int cols = std::is_same<Use, matrix_a>::value ? K : N;
	static constexpr int num_elements = rows * cols;
	using elem = typename std::conditional<std::is_same<T, __half>::value, float, T>::type;
	elem x[rows * cols]; // row-major, whatever the memory layout
};
inline float emu_val(const __half &h) { return __half2float(h); }
inline float emu_val(float f) { return f; }
template <class Use, int M, int N, int K, class T, class L, class V>
inline void fill_fragment(fragment<Use, M, N, K, T, L> &f, V v) {
	for (auto &e : f.x) e = (typename fragment<Use, M, N, K, T, L>::elem)emu_val(v);
}
// Loads for matrix_a/b: the Layout parameter says how memory holds it.
template <class Use, int M, int N, int K, class T, class L, class P>
inline void load_matrix_sync(fragment<Use, M, N, K, T, L> &f, const P *p, unsigned ldm) {
	using F = fragment<Use, M, N, K, T, L>;
	const bool colm = std::is_same<L, col_major>::value;
	for (int r = 0; r < F::rows; r++)
		for (int c = 0; c < F::cols; c++) f.x[r * F::cols + c] = emu_val(colm ? p[r + (size_t)c * ldm] : p[(size_t)r * ldm + c]);
	emu::sync_warp(); // the hardware needs every lane here too
}
template <int M, int N, int K, class T>
inline void load_matrix_sync(fragment<accumulator, M, N, K, T> &f, const T *p, unsigned ldm, layout_t l) {
	for (int r = 0; r < M; r++)
		for (int c = 0; c < N; c++) f.x[r * N + c] = l == mem_col_major ? p[r + (size_t)c * ldm] : p[(size_t)r * ldm + c];
	emu::sync_warp();
}
template <int M, int N, int K, class T>
inline void store_matrix_sync(T *p, const fragment<accumulator, M, N, K, T> &f, unsigned ldm, layout_t l) {
	emu::sync_warp();
	if (emu::lane() == 0)
		for (int r = 0; r < M; r++)
			for (int c = 0; c < N; c++) (l == mem_col_major ? p[r + (size_t)c * ldm] : p[(size_t)r * ldm + c]) = f.x[r * N + c];
	emu::sync_warp();
}
// mma_sync: lane 0 multiplies (every lane holds the same tiles) and the
// others copy its result, 32 times less work than each doing it.
float *emu_warp_tile(); // M*N floats for the calling lane's warp (emu.cc)
template <int M, int N, int K, class TA, class LA, class TB, class LB, class TC>
inline void mma_sync(fragment<accumulator, M, N, K, TC> &d, const fragment<matrix_a, M, N, K, TA, LA> &a,
                     const fragment<matrix_b, M, N, K, TB, LB> &b, const fragment<accumulator, M, N, K, TC> &c) {
	static_assert(M * N <= 256, "tile too large for the emulator's buffer");
	float *out = emu_warp_tile();
	emu::sync_warp();
	if (emu::lane() == 0)
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++) {
				float s = c.x[i * N + j];
				for (int k = 0; k < K; k++) s += a.x[i * K + k] * b.x[k * N + j];
				out[i * N + j] = s;
			}
	emu::sync_warp();
	for (int i = 0; i < M * N; i++) d.x[i] = out[i];
	emu::sync_warp();
}
} // namespace wmma
} // namespace nvcuda
