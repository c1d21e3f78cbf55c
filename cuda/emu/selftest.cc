// selftest: the emulator's own promises, each with a kernel that keeps or
// breaks it: shuffles give what the hardware gives, a barrier that some
// threads skip is reported (not hung), and a missing barrier shows as a
// wrong result. Built and run by make -C cuda emu-selftest.
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>
#include "cuda_emu.h"

static int failed = 0;
static void expect(bool ok, const char *what) {
	printf("%-60s %s\n", what, ok ? "OK" : "FAIL");
	if (!ok) failed++;
}

__global__ void k_shuffles(int *out) {
	const int l = threadIdx.x & 31, w = threadIdx.x >> 5;
	int *o = out + (w * 32 + l) * 4;
	o[0] = __shfl_xor_sync(0xffffffffu, l * 10, 1);     // the neighbour's value
	o[1] = __shfl_down_sync(0xffffffffu, l, 3);         // l+3, or l past the end
	o[2] = __shfl_sync(0xffffffffu, l + 100 * w, 5);    // lane 5's, per warp
	o[3] = __shfl_xor_sync(0xffffffffu, l, 4, 8);       // within groups of 8
}

__global__ void k_divergent_barrier(int *out) {
	if (threadIdx.x & 1) __syncwarp(); // half of each warp here,
	else __syncthreads();              // half there: neither can complete
	out[threadIdx.x] = 1;
}

__global__ void k_shuffle_after_exit(int *out) {
	if (threadIdx.x == 3) return;
	out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1);
}

__global__ void k_missing_barrier(int *out) {
	__shared__ int s[64];
	s[threadIdx.x] = (int)threadIdx.x + 1;
	// no __syncthreads: thread 0 reads its neighbour's slot before it is written
	out[threadIdx.x] = s[(threadIdx.x + 1) % 64];
}

__global__ void k_block_sum(int *out) {
	__shared__ int s[64];
	s[threadIdx.x] = (int)threadIdx.x;
	__syncthreads();
	if (threadIdx.x == 0) {
		int t = 0;
		for (int i = 0; i < 64; i++) t += s[i];
		out[blockIdx.x] = t + 1000 * (int)blockIdx.x;
	}
}

__global__ void k_dyn_shared(int *out) {
	DYN_SHARED(int, s);
	s[threadIdx.x] = 7;
	__syncthreads();
	out[threadIdx.x] = s[63 - threadIdx.x];
}

// aborts runs k in a child process and says whether the emulator stopped
// it with its report (abort) rather than finishing or hanging.
static bool aborts(void (*k)(int *), int *d) {
	fflush(stdout);
	const pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr)) _exit(3);
		alarm(10);
		LAUNCH((1, 64, 0, nullptr), k)(d);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

int main() {
	int *d;
	cudaMalloc(&d, 64 * 4 * sizeof(int));

	LAUNCH((1, 64, 0, nullptr), k_shuffles)(d);
	bool ok = true;
	for (int t = 0; t < 64; t++) {
		const int l = t & 31, w = t >> 5, *o = d + t * 4;
		ok &= o[0] == (l ^ 1) * 10;
		ok &= o[1] == (l + 3 < 32 ? l + 3 : l);
		ok &= o[2] == 5 + 100 * w;
		ok &= o[3] == ((l & ~7) | ((l ^ 4) & 7));
	}
	expect(ok, "shuffles: xor, down, indexed, xor within width 8");

	LAUNCH((3, 64, 0, nullptr), k_block_sum)(d);
	expect(d[0] == 2016 && d[1] == 3016 && d[2] == 4016, "__syncthreads publishes shared memory, block by block");

	LAUNCH((1, 64, 0, nullptr), k_missing_barrier)(d);
	expect(d[0] != 2, "a missing __syncthreads shows as a wrong value");

	expect(aborts(k_divergent_barrier, d), "__syncwarp and __syncthreads in one warp: reported, not hung");
	expect(aborts(k_shuffle_after_exit, d), "a shuffle in a warp one of whose lanes returned: reported");

	LAUNCH((1, 2048, 0, nullptr), k_block_sum)(d);
	expect(cudaGetLastError() == cudaErrorInvalidConfiguration, "a block of 2048 threads: invalid configuration");

	cudaGetLastError();
	LAUNCH((1, 64, 64 << 10, nullptr), k_dyn_shared)(d);
	expect(cudaGetLastError() == cudaErrorInvalidValue, "64 KB of dynamic shared memory without the attribute: refused");
	cudaFuncSetAttribute(k_dyn_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 << 10);
	d[0] = 0;
	LAUNCH((1, 64, 64 << 10, nullptr), k_dyn_shared)(d);
	expect(cudaGetLastError() == cudaSuccess && d[0] == 7, "after cudaFuncSetAttribute: runs");

	printf("emulator self-test: %d failed\n", failed);
	return failed ? 1 : 0;
}
