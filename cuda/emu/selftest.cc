// selftest: the emulator's own promises, each with a kernel that keeps or
// breaks it: shuffles give what the hardware gives, a barrier that some
// threads skip is reported (not hung), and a missing barrier shows as a
// wrong result in each order of running threads (ORCD_EMU_ORDER). Built
// and run by make -C cuda emu-selftest.
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

// k_missing_barrier reads the slot of the thread after it (step 1) or
// before it (step -1), where there is one, without a __syncthreads: in
// forward order the first finds its neighbour's slot unwritten, in
// reverse order the second does, shuffled both do.
__global__ void k_missing_barrier(int *out, int step) {
	__shared__ int s[64];
	const int t = (int)threadIdx.x, n = t + step;
	s[t] = t + 1;
	out[t] = n >= 0 && n < 64 ? s[n] : n + 1;
}

// racy says whether k_missing_barrier gave any thread a wrong value.
static bool racy(int *d, int step) {
	LAUNCH((1, 64, 0, nullptr), k_missing_barrier)(d, step);
	cudaDeviceSynchronize();
	bool wrong = false;
	for (int t = 0; t < 64; t++) wrong |= d[t] != t + step + 1;
	return wrong;
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

// k_stale: only the first block writes the shared slot; a later block
// reads what a GPU leaves there, garbage, not the first block's value.
__global__ void k_stale(int *out) {
	__shared__ int s[1];
	if (blockIdx.x == 0) s[0] = 42;
	out[blockIdx.x] = s[0];
}

__global__ void k_set(int *out, int v) { out[0] = v; }

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
		cudaDeviceSynchronize();
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
	cudaDeviceSynchronize();
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
	cudaDeviceSynchronize();
	expect(d[0] == 2016 && d[1] == 3016 && d[2] == 4016, "__syncthreads publishes shared memory, block by block");

	emu::set_order("forward");
	const bool fwd_after = racy(d, 1), fwd_before = racy(d, -1);
	emu::set_order("reverse");
	const bool rev_after = racy(d, 1), rev_before = racy(d, -1);
	emu::set_order("shuffle");
	const bool shuf_after = racy(d, 1), shuf_before = racy(d, -1);
	expect(fwd_after && !fwd_before, "forward order: reading a later thread's slot shows");
	expect(rev_before && !rev_after, "reverse order: reading an earlier thread's slot shows");
	expect(shuf_after && shuf_before, "shuffled order: both show");
	LAUNCH((3, 64, 0, nullptr), k_block_sum)(d);
	cudaDeviceSynchronize();
	expect(d[0] == 2016 && d[1] == 3016 && d[2] == 4016, "shuffled threads and blocks: __syncthreads still publishes");
	expect(!emu::set_order("sideways"), "an unknown order is refused");
	emu::set_order("forward");
	LAUNCH((2, 1, 0, nullptr), k_stale)(d);
	cudaDeviceSynchronize();
	expect(d[0] == 42 && d[1] == -1, "static shared memory starts as 0xff bytes in every block");
	emu::set_order(getenv("ORCD_EMU_ORDER"));

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
	expect(cudaGetLastError() == cudaSuccess && cudaDeviceSynchronize() == cudaSuccess && d[0] == 7,
	       "after cudaFuncSetAttribute: runs");

	// Streams run asynchronously: results appear when the host synchronizes.
	cudaStream_t st;
	cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking);
	d[0] = 1;
	LAUNCH((1, 1, 0, st), k_set)(d, 2);
	const bool before = d[0] == 1;
	cudaMemcpy(d + 1, d, 4, cudaMemcpyDeviceToDevice); // the default stream does not wait for st
	const bool blocking = d[1] == 1;
	cudaStreamSynchronize(st);
	expect(before && blocking && d[0] == 2, "a launch shows only after cudaStreamSynchronize");
	int *pin, page[1] = {3}, back[1] = {0};
	cudaMallocHost(reinterpret_cast<void **>(&pin), 4);
	pin[0] = 3;
	cudaMemcpyAsync(d, pin, 4, cudaMemcpyHostToDevice, st);
	cudaMemcpyAsync(d + 1, page, 4, cudaMemcpyHostToDevice, st);
	pin[0] = page[0] = 4; // too early for the pinned buffer, fine for pageable memory
	cudaMemcpyAsync(back, d + 1, 4, cudaMemcpyDeviceToHost, st); // pageable: returns once copied
	cudaStreamSynchronize(st);
	expect(d[0] == 4 && d[1] == 3 && back[0] == 3, "a pinned buffer is read when the copy runs, pageable memory at once");
	LAUNCH((1, 1, 0, st), k_set)(d, 9);
	cudaMemcpyAsync(pin, d, 4, cudaMemcpyDeviceToHost, st);
	const bool not_yet = pin[0] == 4;
	cudaStreamSynchronize(st);
	expect(not_yet && pin[0] == 9, "a copy into a pinned buffer lands at cudaStreamSynchronize");
	cudaFreeHost(pin);
	cudaStreamDestroy(st);
	cudaFree(d);

	printf("emulator self-test: %d failed\n", failed);
	return failed ? 1 : 0;
}
