// emu.cc: the CPU side of cuda_emu.h. A launch runs its blocks one after
// another; the threads of a block are fibers that run in rounds, each
// until it waits at a barrier or returns (then passing the CPU to the
// round's next thread); between rounds the scheduler releases every warp
// (or the block) whose live threads all wait. A wait that can
// never be released is a kernel bug, reported with the kernel's place.
//
// A race (a thread reading shared or global memory another thread writes
// without a barrier between them) shows as a wrong result in one order of
// running the threads but maybe not in another. ORCD_EMU_ORDER picks the
// order, for threads in each round and for blocks: forward (the default),
// reverse, or shuffle (a fixed pseudo-random order per round, seeded by
// ORCD_EMU_SEED). A kernel check that passes in all three has no such
// race among the orders tried.
//
// Streams are asynchronous, as on a GPU: launches, async copies and sets,
// cuBLAS calls and graph launches queue on their stream and run when the
// host synchronizes (cudaStreamSynchronize, cudaDeviceSynchronize,
// cudaEventSynchronize, a blocking cudaMemcpy on the default stream,
// cudaFree). So a host that reads a result before synchronizing, or
// reuses a pinned buffer a queued copy still reads, gets the wrong data
// here as it may there. A copy to pageable host memory is synchronous and
// one from it takes its bytes at once, as CUDA does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <ucontext.h>
#include "cuda_emu.h"

// ctx_switch saves the callee-saved registers and stack pointer in *from
// and resumes the fiber whose stack pointer is to. ucontext would do, but
// its signal-mask system call per switch made the emulator 3x slower.
#if defined(__x86_64__)
#define EMU_FAST_SWITCH 1
extern "C" void emu_ctx_switch(void **from, void *to);
asm(R"(
	.text
	.globl emu_ctx_switch
	.hidden emu_ctx_switch
	.type emu_ctx_switch, @function
emu_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size emu_ctx_switch, .-emu_ctx_switch
)");
#endif

dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {
namespace {

enum State { RUN, WAIT_WARP, WAIT_BLOCK, DONE };
enum Order { FORWARD, REVERSE, SHUFFLE };

bool parse_order(const char *v, Order *o) {
	if (!v || !*v || !strcmp(v, "forward")) *o = FORWARD;
	else if (!strcmp(v, "reverse")) *o = REVERSE;
	else if (!strcmp(v, "shuffle")) *o = SHUFFLE;
	else return false;
	return true;
}

Order order_from_env() {
	Order o;
	const char *v = getenv("ORCD_EMU_ORDER");
	if (!parse_order(v, &o)) {
		fprintf(stderr, "cuda emulator: ORCD_EMU_ORDER=%s: want forward, reverse or shuffle\n", v);
		abort();
	}
	return o;
}

uint64_t seed_from_env() {
	const char *v = getenv("ORCD_EMU_SEED");
	return v ? strtoull(v, nullptr, 10) * 0x9E3779B97F4A7C15ull + 1 : 1;
}

struct Fiber {
	ucontext_t ctx;
	void *sp = nullptr; // saved stack pointer (fast switch)
	std::unique_ptr<char[]> stack;
};

constexpr size_t kStack = 256 << 10;

struct Machine {
	std::mutex mu; // one launch at a time (cgo callers may come from several threads)
	std::vector<Fiber> fibers;
	// Per thread, apart from the fibers (a ucontext_t each, ~1 KB): the
	// scheduler scans every thread's state each round, and every shuffle
	// is a round.
	std::vector<State> st;
	// The values each lane offers to its shuffles, in two buffers used
	// by turns (par: which one a lane's next shuffle takes).
	std::vector<uint64_t> slot[2];
	std::vector<uint8_t> par;
	ucontext_t sched;
	void *sched_sp = nullptr;
	Fiber *cur = nullptr;
	int cur_id = 0, nthreads = 0;
	const std::function<void()> *body = nullptr;
	std::vector<char> smem;
	cudaError_t last = cudaSuccess;
	struct EmuGraph *capture = nullptr;
	size_t allocated = 0;
	std::map<void *, size_t> sizes;
	std::mutex lim_mu; // cudaFuncSetAttribute may come from any thread
	std::map<const void *, int> smem_limit;
	std::map<cudaStream_t, std::vector<std::function<void()>>> queued; // per stream, not yet run
	std::map<uintptr_t, size_t> pinned;                                // cudaMallocHost blocks
	Order order = order_from_env();
	uint64_t rng = seed_from_env();
	std::vector<int> perm; // this round's thread (or block) order
	int pos = 0;           // where in perm the running thread is
};
Machine &M() {
	static Machine m;
	return m;
}

void set_thread(int id) {
	threadIdx.x = id % blockDim.x;
	threadIdx.y = id / blockDim.x % blockDim.y;
	threadIdx.z = id / (blockDim.x * blockDim.y);
}

void entry() {
	Machine &m = M();
	(*m.body)();
	m.st[m.cur_id] = DONE;
	// uc_link returns to the scheduler
}

#ifdef EMU_FAST_SWITCH
void hand_off();
[[noreturn]] void trampoline() {
	entry();
	hand_off();
	__builtin_unreachable();
}
// start_fiber lays out f's stack as emu_ctx_switch leaves a stack: six
// registers, then the return address (the trampoline), which is entered
// with the stack 8 bytes off 16-byte alignment, as after a call.
void start_fiber(Fiber &f) {
	uintptr_t top = (reinterpret_cast<uintptr_t>(f.stack.get()) + kStack) & ~(uintptr_t)15;
	void **sp = reinterpret_cast<void **>(top);
	*--sp = nullptr; // the trampoline's own (never used) return address
	*--sp = reinterpret_cast<void *>(&trampoline);
	for (int i = 0; i < 6; i++) *--sp = nullptr;
	f.sp = sp;
}
void to_fiber(Fiber &f) { emu_ctx_switch(&M().sched_sp, f.sp); }
void to_sched(Fiber &f) { emu_ctx_switch(&f.sp, M().sched_sp); }
#else
void start_fiber(Fiber &f) {
	getcontext(&f.ctx);
	f.ctx.uc_stack.ss_sp = f.stack.get();
	f.ctx.uc_stack.ss_size = kStack;
	f.ctx.uc_link = &M().sched;
	makecontext(&f.ctx, entry, 0);
}
void to_fiber(Fiber &f) { swapcontext(&M().sched, &f.ctx); }
void to_sched(Fiber &f) { swapcontext(&f.ctx, &M().sched); }
#endif

[[noreturn]] void die(const char *what) {
	fprintf(stderr, "cuda emulator: %s (block %u,%u,%u of %u,%u,%u; %d threads)\n", what, blockIdx.x, blockIdx.y, blockIdx.z,
	        gridDim.x, gridDim.y, gridDim.z, M().nthreads);
	abort();
}

void wait(State s);

// order fills m.perm with 0..n-1 in the order ORCD_EMU_ORDER asks for.
const std::vector<int> &order(int n) {
	Machine &m = M();
	m.perm.resize(n);
	for (int i = 0; i < n; i++) m.perm[i] = m.order == REVERSE ? n - 1 - i : i;
	if (m.order == SHUFFLE)
		for (int i = n - 1; i > 0; i--) { // Fisher-Yates on xorshift64
			m.rng ^= m.rng << 13, m.rng ^= m.rng >> 7, m.rng ^= m.rng << 17;
			// Lemire's multiply-shift instead of a 64-bit division: a
			// round (each shuffle of a warp) draws one per thread.
			std::swap(m.perm[i], m.perm[(int)(((m.rng >> 32) * (uint64_t)(i + 1)) >> 32)]);
		}
	return m.perm;
}

// enter makes thread perm[at] the running one.
void enter(int at) {
	Machine &m = M();
	const int i = m.perm[at];
	m.pos = at;
	m.cur = &m.fibers[i];
	m.cur_id = i;
	set_thread(i);
}
// next_run is the position in perm after `after` of the next thread the
// round runs, or n.
int next_run(int after, int n) {
	Machine &m = M();
	int at = after + 1;
	while (at < n && m.st[m.perm[at]] != RUN) at++;
	return at;
}

// hand_off ends the running thread's turn in this round (it waits, or has
// returned): it resumes the round's next thread itself, or the scheduler
// after the last. Going from fiber to fiber, not through the scheduler,
// halves the switches, and a switch (its return mispredicted) is most
// of the emulator's time in shuffle-heavy kernels.
void hand_off() {
	Machine &m = M();
	Fiber &from = *m.cur;
#ifdef EMU_FAST_SWITCH
	const int at = next_run(m.pos, m.nthreads);
	if (at < m.nthreads) {
		enter(at);
		emu_ctx_switch(&from.sp, m.cur->sp);
		return;
	}
#endif
	to_sched(from);
}

void wait(State s) {
	Machine &m = M();
	if (!m.cur) die("a barrier outside a kernel");
	m.st[m.cur_id] = s;
	hand_off();
}

// The linker's bounds of the emu_shared section (cuda_emu.h's __shared__);
// weak: a module without static shared memory has no such section.
extern "C" char __start_emu_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_emu_shared[] __attribute__((weak, visibility("hidden")));

// run_block runs every thread of the current block to completion.
void run_block() {
	Machine &m = M();
	const int n = m.nthreads;
	if (__start_emu_shared) memset(__start_emu_shared, 0xff, __stop_emu_shared - __start_emu_shared);
	std::fill(m.smem.begin(), m.smem.end(), (char)0xff);
	for (int i = 0; i < n; i++) {
		Fiber &f = m.fibers[i];
		start_fiber(f);
		m.st[i] = RUN;
		m.par[i] = 0;
	}
	for (;;) {
		order(n);
#ifdef EMU_FAST_SWITCH
		// The round's threads pass the CPU on among themselves (hand_off).
		const int first = next_run(-1, n);
		if (first < n) {
			enter(first);
			to_fiber(*m.cur);
		}
#else
		for (int at = next_run(-1, n); at < n; at = next_run(at, n)) {
			enter(at);
			to_fiber(*m.cur);
		}
#endif
		m.cur = nullptr;
		bool live = false, released = false, all_block = true;
		for (int w = 0; w * 32 < n; w++) {
			const int lo = w * 32, hi = std::min(n, lo + 32);
			int waiting = 0, alive = 0, done = 0;
			for (int i = lo; i < hi; i++) {
				const State s = m.st[i];
				if (s == DONE) done++;
				else alive++;
				if (s == WAIT_WARP) waiting++;
				if (s != DONE && s != WAIT_BLOCK) all_block = false;
			}
			if (alive) live = true;
			if (alive && waiting == alive) {
				if (done) die("__syncwarp or a shuffle in a warp some of whose threads have returned");
				for (int i = lo; i < hi; i++) m.st[i] = RUN;
				released = true;
			}
		}
		if (!live) return;
		if (released) continue;
		if (all_block) {
			for (int i = 0; i < n; i++)
				if (m.st[i] == WAIT_BLOCK) m.st[i] = RUN;
			continue;
		}
		die("deadlock: threads wait at different barriers (__syncthreads in divergent code?)");
	}
}

bool valid(const Cfg &c) {
	const long n = (long)c.block.x * c.block.y * c.block.z;
	return n > 0 && n <= 1024 && c.grid.x && c.grid.y && c.grid.z && c.grid.y <= 65535 && c.grid.z <= 65535 &&
	       c.smem <= 227 * 1024;
}

void execute(const Cfg &c, const std::function<void()> &body) {
	Machine &m = M();
	const long n = (long)c.block.x * c.block.y * c.block.z;
	if (m.fibers.size() < (size_t)n) {
		const size_t old = m.fibers.size();
		m.fibers.resize(n);
		for (size_t i = old; i < (size_t)n; i++) m.fibers[i].stack.reset(new char[kStack]);
		m.st.resize(n, DONE);
		m.slot[0].resize(n), m.slot[1].resize(n), m.par.resize(n);
	}
	// Sized here; run_block fills it with NaN bytes before every block.
	m.smem.resize(c.smem + 16);
	m.nthreads = (int)n;
	m.body = &body;
	blockDim = c.block;
	gridDim = c.grid;
	const long nb = (long)c.grid.x * c.grid.y * c.grid.z;
	if (m.order == FORWARD || nb > (1 << 24)) {
		for (unsigned z = 0; z < c.grid.z; z++)
			for (unsigned y = 0; y < c.grid.y; y++)
				for (unsigned x = 0; x < c.grid.x; x++) {
					blockIdx = dim3(x, y, z);
					run_block();
				}
	} else {
		const std::vector<int> blocks = order((int)nb); // run_block reuses m.perm
		for (int b : blocks) {
			blockIdx = dim3(b % c.grid.x, b / c.grid.x % c.grid.y, b / (c.grid.x * c.grid.y));
			run_block();
		}
	}
	m.body = nullptr;
}

} // namespace

void run(const Cfg &c, std::function<void()> body);
void *dyn_smem() { return M().smem.data(); }
void set_smem_limit(const void *k, int bytes) {
	std::lock_guard<std::mutex> g(M().lim_mu);
	M().smem_limit[k] = bytes;
}
bool smem_allowed(const void *k, size_t bytes) {
	if (bytes <= 48 * 1024) return true;
	std::lock_guard<std::mutex> g(M().lim_mu);
	auto it = M().smem_limit.find(k);
	return it != M().smem_limit.end() && bytes <= (size_t)it->second;
}
void launch_failed(cudaError_t e) { M().last = e; }
bool set_order(const char *name) {
	std::lock_guard<std::mutex> g(M().mu);
	return parse_order(name, &M().order);
}
void sync_block() { wait(WAIT_BLOCK); }
void sync_warp() { wait(WAIT_WARP); }
int lane() { return M().cur_id & 31; }
uint64_t exchange(uint64_t v, int src) {
	Machine &m = M();
	const int me = m.cur_id, base = me & ~31, p = m.par[me];
	m.par[me] ^= 1;
	m.slot[p][me] = v;
	wait(WAIT_WARP);
	// One barrier, not two: a lane's next shuffle writes the other
	// buffer, and the one after that (this buffer again) waits until
	// every lane has posted the next, so has read this one.
	const int s = base + (src & 31);
	return s < m.nthreads ? m.slot[p][s] : v;
}

} // namespace emu

struct EmuGraph {
	std::vector<std::function<void()>> ops;
};
struct EmuGraphExec {
	std::vector<std::function<void()>> ops;
};
struct EmuStream {};
struct EmuEvent {
	std::chrono::steady_clock::time_point t;
};

struct EmuBlas {
	cudaStream_t st = nullptr;
};

namespace emu {
// enqueue queues op on stream st, or records it while a stream is being
// captured. The caller holds M().mu.
static void enqueue(cudaStream_t st, std::function<void()> op) {
	Machine &m = M();
	if (m.capture) m.capture->ops.push_back(std::move(op));
	else m.queued[st].push_back(std::move(op));
}
// drain runs what stream st has queued, in order. The caller holds M().mu.
static void drain(cudaStream_t st) {
	auto it = M().queued.find(st);
	if (it == M().queued.end()) return;
	std::vector<std::function<void()>> ops;
	ops.swap(it->second);
	for (auto &op : ops) op();
}
static void drain_all() {
	for (auto &q : M().queued) drain(q.first);
}
static bool is_pinned(const void *p) {
	auto &pin = M().pinned;
	const uintptr_t a = reinterpret_cast<uintptr_t>(p);
	auto it = pin.upper_bound(a);
	return it != pin.begin() && a < std::prev(it)->first + std::prev(it)->second;
}
void run(const Cfg &c, std::function<void()> body) {
	std::lock_guard<std::mutex> g(M().mu);
	if (!valid(c)) { // reported at launch, as on a GPU
		M().last = cudaErrorInvalidConfiguration;
		return;
	}
	Cfg cc = c;
	enqueue(c.st, [cc, body]() { execute(cc, body); });
}
} // namespace emu

using emu::M;

float *nvcuda::wmma::emu_warp_tile() {
	static float tiles[32][256]; // a block has at most 32 warps
	return tiles[M().cur_id >> 5];
}

float emu_h2f(uint16_t h) {
	const uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023;
	uint32_t u;
	if (e == 31) u = s | 0x7f800000u | (f << 13);
	else if (e == 0) {
		const float v = ldexpf((float)f, -24);
		return s ? -v : v;
	} else u = s | ((e + 112) << 23) | (f << 13);
	float r;
	memcpy(&r, &u, 4);
	return r;
}

uint16_t emu_f2h(float f) {
	uint32_t x;
	memcpy(&x, &f, 4);
	const uint16_t s = (uint16_t)((x >> 16) & 0x8000);
	const uint32_t a = x & 0x7fffffffu;
	if (a >= 0x7f800000u) return s | 0x7c00 | (a > 0x7f800000u ? 0x200 : 0); // inf, nan
	if (a >= 0x477ff000u) return s | 0x7c00;                                // rounds past 65504
	if (a < 0x38800000u) {                                                   // subnormal or zero
		const float v = fabsf(f) * 16777216.f;                           // units of 2^-24
		return s | (uint16_t)nearbyintf(v);
	}
	const uint32_t e = (a >> 23) - 112, m = a & 0x7fffff;
	uint32_t h = (e << 10) | (m >> 13);
	const uint32_t rest = m & 0x1fff;
	if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
	return s | (uint16_t)h;
}

// ---- runtime ----
cudaError_t cudaGetDeviceCount(int *n) {
	*n = 1;
	return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidValue; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int) {
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "orcd CUDA emulator (CPU)");
	p->totalGlobalMem = 16ull << 30;
	p->sharedMemPerBlock = 48 << 10;
	p->sharedMemPerBlockOptin = 227 << 10;
	p->multiProcessorCount = 132; // as the H100, so that launch shapes chosen from it match
	p->major = 9;
	p->warpSize = 32;
	p->maxThreadsPerBlock = 1024;
	return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b) {
	std::lock_guard<std::mutex> g(M().mu);
	*total_b = 16ull << 30;
	*free_b = *total_b > M().allocated ? *total_b - M().allocated : 0;
	return cudaSuccess;
}
cudaError_t cudaMalloc(void **p, size_t n) {
	std::lock_guard<std::mutex> g(M().mu);
	*p = nullptr;
	if (n > (16ull << 30) - M().allocated) return cudaErrorMemoryAllocation;
	*p = malloc(n ? n : 1);
	if (!*p) return cudaErrorMemoryAllocation;
	// cudaMalloc's memory holds whatever was there; malloc's large blocks
	// come zeroed, which would hide a read of memory nothing wrote.
	memset(*p, 0xff, n);
	M().allocated += n;
	M().sizes[*p] = n;
	return cudaSuccess;
}
cudaError_t cudaMallocHost(void **p, size_t n) {
	*p = malloc(n ? n : 1);
	if (!*p) return cudaErrorMemoryAllocation;
	std::lock_guard<std::mutex> g(M().mu);
	M().pinned[reinterpret_cast<uintptr_t>(*p)] = n ? n : 1;
	return cudaSuccess;
}
cudaError_t cudaFree(void *p) {
	if (!p) return cudaSuccess;
	std::lock_guard<std::mutex> g(M().mu);
	emu::drain_all(); // cudaFree waits for the device
	auto it = M().sizes.find(p);
	if (it == M().sizes.end()) return cudaErrorInvalidValue;
	M().allocated -= it->second;
	M().sizes.erase(it);
	free(p);
	return cudaSuccess;
}
cudaError_t cudaFreeHost(void *p) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::drain_all();
	if (!M().pinned.erase(reinterpret_cast<uintptr_t>(p))) return cudaErrorInvalidValue;
	free(p);
	return cudaSuccess;
}
// cudaMemcpy and cudaMemset run on the default stream, after its queued
// work; they do not wait for streams made with cudaStreamNonBlocking (the
// only kind the emulator makes), as on a GPU.
cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::drain(nullptr);
	memmove(dst, src, n);
	return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind k, cudaStream_t st) {
	std::lock_guard<std::mutex> g(M().mu);
	if (!M().capture && k == cudaMemcpyDeviceToHost && !emu::is_pinned(dst)) {
		emu::drain(st); // into pageable memory: returns once copied
		memmove(dst, src, n);
	} else if (!M().capture && k == cudaMemcpyHostToDevice && !emu::is_pinned(src)) {
		// From pageable memory: staged before the call returns.
		auto staged = std::make_shared<std::vector<char>>(static_cast<const char *>(src), static_cast<const char *>(src) + n);
		emu::enqueue(st, [dst, staged]() { memcpy(dst, staged->data(), staged->size()); });
	} else {
		emu::enqueue(st, [dst, src, n]() { memmove(dst, src, n); });
	}
	return cudaSuccess;
}
cudaError_t cudaMemset(void *p, int v, size_t n) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::drain(nullptr);
	memset(p, v, n);
	return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t st) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::enqueue(st, [p, v, n]() { memset(p, v, n); });
	return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *st, unsigned) {
	*st = new EmuStream;
	return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t st) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::drain(st); // its work completes before it goes
	M().queued.erase(st);
	delete st;
	return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t st) {
	{
		std::lock_guard<std::mutex> g(M().mu);
		emu::drain(st);
	}
	return cudaGetLastError();
}
cudaError_t cudaDeviceSynchronize() {
	{
		std::lock_guard<std::mutex> g(M().mu);
		emu::drain_all();
	}
	return cudaGetLastError();
}
cudaError_t cudaGetLastError() {
	std::lock_guard<std::mutex> g(M().mu);
	const cudaError_t e = M().last;
	M().last = cudaSuccess;
	return e;
}
const char *cudaGetErrorName(cudaError_t e) {
	switch (e) {
	case cudaSuccess: return "cudaSuccess";
	case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
	case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
	case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
	case cudaErrorNoDevice: return "cudaErrorNoDevice";
	case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
	default: return "cudaErrorUnknown";
	}
}
const char *cudaGetErrorString(cudaError_t e) {
	switch (e) {
	case cudaSuccess: return "no error";
	case cudaErrorMemoryAllocation: return "out of memory";
	case cudaErrorInvalidConfiguration: return "invalid configuration argument";
	default: return cudaGetErrorName(e);
	}
}
cudaError_t cudaEventCreate(cudaEvent_t *e) {
	*e = new EmuEvent;
	return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
	delete e;
	return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t st) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::enqueue(st, [e]() { e->t = std::chrono::steady_clock::now(); });
	return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t) {
	std::lock_guard<std::mutex> g(M().mu);
	emu::drain_all();
	return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
	*ms = std::chrono::duration<float, std::milli>(b->t - a->t).count();
	return cudaSuccess;
}
cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
	std::lock_guard<std::mutex> g(M().mu);
	if (M().capture) return cudaErrorStreamCaptureUnsupported;
	M().capture = new EmuGraph;
	return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *g) {
	std::lock_guard<std::mutex> l(M().mu);
	*g = M().capture;
	M().capture = nullptr;
	return *g ? cudaSuccess : cudaErrorInvalidValue;
}
cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t *x, cudaGraph_t g, unsigned long long) {
	*x = new EmuGraphExec{g->ops};
	return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t x, cudaStream_t st) {
	std::lock_guard<std::mutex> g(M().mu);
	for (auto &op : x->ops) emu::enqueue(st, op);
	return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t g) {
	delete g;
	return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t x) {
	delete x;
	return cudaSuccess;
}

// ---- cuBLAS (column-major, as the real one) ----
cublasStatus_t cublasCreate(cublasHandle_t *h) {
	*h = new EmuBlas;
	return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
	delete h;
	return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t st) {
	h->st = st;
	return CUBLAS_STATUS_SUCCESS;
}

static float ld(const void *p, cudaDataType t, long i) {
	return t == CUDA_R_16F ? emu_h2f(static_cast<const uint16_t *>(p)[i]) : static_cast<const float *>(p)[i];
}

static cublasStatus_t gemm(cudaStream_t st, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha, const void *A,
                           cudaDataType at, int lda, const void *B, cudaDataType bt, int ldb, float beta, float *C, int ldc) {
	if (m < 0 || n < 0 || k < 0 || ldc < m) return CUBLAS_STATUS_INVALID_VALUE;
	auto run = [=]() {
		for (int j = 0; j < n; j++)
			for (int i = 0; i < m; i++) {
				float s = 0.f;
				for (int p = 0; p < k; p++) {
					const float a = ta == CUBLAS_OP_N ? ld(A, at, i + (long)p * lda) : ld(A, at, p + (long)i * lda);
					const float b = tb == CUBLAS_OP_N ? ld(B, bt, p + (long)j * ldb) : ld(B, bt, j + (long)p * ldb);
					s = fmaf(a, b, s);
				}
				float &c = C[i + (long)j * ldc];
				c = alpha * s + (beta == 0.f ? 0.f : beta * c);
			}
	};
	std::lock_guard<std::mutex> g(M().mu);
	emu::enqueue(st, run);
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float *alpha,
                           const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
	return gemm(h->st, ta, tb, m, n, k, *alpha, A, CUDA_R_32F, lda, B, CUDA_R_32F, ldb, *beta, C, ldc);
}
cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType at, int lda, const void *B, cudaDataType bt, int ldb, const void *beta,
                            void *C, cudaDataType ct, int ldc, cublasComputeType_t, cublasGemmAlgo_t) {
	if (ct != CUDA_R_32F) return CUBLAS_STATUS_NOT_SUPPORTED;
	return gemm(h->st, ta, tb, m, n, k, *static_cast<const float *>(alpha), A, at, lda, B, bt, ldb, *static_cast<const float *>(beta),
	            static_cast<float *>(C), ldc);
}
