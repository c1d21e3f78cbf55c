// benchmarks.cuh: the kernel benchmarks of kernel_check, included by it
// after its helpers (make_mat, upload, dev, rvec, tname, CK). Each times a
// kernel with events over repeated launches and, where there is one, the
// path it replaces in the same run.
#pragma once

// bench_copy: device-to-device copy bandwidth (bytes read + written), the
// same-run ceiling for the decode figures.
static void bench_copy() {
	const size_t n = 1ull << 30;
	void *a, *b;
	CK(cudaMalloc(&a, n));
	CK(cudaMalloc(&b, n));
	CK(cudaMemset(a, 1, n));
	cudaEvent_t e0, e1;
	cudaEventCreate(&e0), cudaEventCreate(&e1);
	CK(cudaMemcpy(b, a, n, cudaMemcpyDeviceToDevice));
	cudaEventRecord(e0);
	for (int i = 0; i < 10; i++) cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice);
	cudaEventRecord(e1);
	CK(cudaEventSynchronize(e1));
	float ms;
	cudaEventElapsedTime(&ms, e0, e1);
	printf("bench copy 1 GiB device-to-device: %.1f GB/s (read + write)\n", 2.0 * n * 10 / (ms * 1e6));
	cudaFree(a), cudaFree(b);
}


// time_ms runs f iters times between two events and returns ms per run.
template <class F> static double time_ms(orcd_ctx *c, int iters, F f) {
	for (int i = 0; i < 3; i++) f();
	cudaEvent_t e0, e1;
	cudaEventCreate(&e0), cudaEventCreate(&e1);
	cudaEventRecord(e0, c->st);
	for (int i = 0; i < iters; i++) f();
	cudaEventRecord(e1, c->st);
	CK(cudaEventSynchronize(e1));
	float ms;
	cudaEventElapsedTime(&ms, e0, e1);
	cudaEventDestroy(e0), cudaEventDestroy(e1);
	return ms / iters;
}

// k_read_sum: every thread sums its grid-stride share of p's words, then
// one atomic per warp; the sum makes the loads live, and checkable.
__global__ void k_read_sum(const uint4 *p, size_t n, unsigned *sum) {
	unsigned s = 0;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		const uint4 v = __ldg(p + i);
		s += v.x + v.y + v.z + v.w;
	}
	for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
	if ((threadIdx.x & 31) == 0) atomicAdd(sum, s);
}

// bench_read: read-only bandwidth over a buffer of the given size, the
// roofline of this run's decode figures (ANCHORS.md's 3109 GB/s is the
// H100's; another GPU has its own). Prints a peak_read_gbs= line for
// cuda/gpucheck.sh, and checks the sum against the host's. Returns GB/s,
// 0 on a wrong sum.
static double bench_read(orcd_ctx *c, size_t bytes, int iters) {
	const size_t n = bytes / 16;
	void *p;
	unsigned *d_sum, sum = 0;
	CK(cudaMalloc(&p, n * 16));
	CK(cudaMalloc(&d_sum, 4));
	CK(cudaMemset(p, 1, n * 16)); // every word 0x01010101
	CK(cudaMemset(d_sum, 0, 4));
	const int blocks = c->prop.multiProcessorCount * 8;
	const double ms = time_ms(c, iters, [&] { LAUNCH((blocks, 256, 0, c->st), k_read_sum)((const uint4 *)p, n, d_sum); });
	CK(cudaMemcpy(&sum, d_sum, 4, cudaMemcpyDeviceToHost));
	const unsigned want = (unsigned)((uint64_t)(iters + 3) * n * 4 * 0x01010101u); // time_ms warms up 3 times
	cudaFree(p), cudaFree(d_sum);
	const double gbs = n * 16 / (ms * 1e6);
	printf("bench read %.0f MiB: %.1f GB/s (read only)%s\n", n * 16 / 1048576.0, gbs, sum == want ? "" : ": WRONG SUM");
	if (sum != want) {
		failures++;
		return 0;
	}
	printf("peak_read_gbs=%.0f\n", gbs);
	return gbs;
}

// bench_matvec: a decode matvec of n tokens (weights read once per call),
// and for the types that have both, the 8-bit activation path (mvq.cuh)
// against the float one in the same run.
static void bench_matvec(orcd_ctx *c, int type, int n_in, int n_out, int n = 1) {
	RefMat r = make_mat(type, n_in, n_out);
	QMat m = upload(c, r);
	std::vector<float> x = rvec((size_t)n * n_in);
	float *dx = dev(x), *dy = dev(std::vector<float>((size_t)n * n_out));
	MVArgs a{};
	a.A = a.B = m, a.x = dx, a.ldx = n_in, a.y = dy, a.ldy = n_out;
	const double bytes = (double)r.raw.size();
	const bool both = mvq_used(type, n, n_in);
	const double us = 1000 * time_ms(c, 200, [&] { mv_any(a, n, MV_STORE, c->st); });
	printf("bench matvec %-5s [%6d x %5d] x %d %8.1f us  %7.1f GB/s  (%.1f MB)%s", tname(type), n_out, n_in, n, us, bytes / us / 1e3,
	       bytes / 1e6, both ? ", 8-bit acts" : "\n");
	if (both) {
		orcd_mvq = false;
		const double fus = 1000 * time_ms(c, 200, [&] { mv_any(a, n, MV_STORE, c->st); });
		orcd_mvq = true;
		printf("; float acts %.1f us (%.2fx)\n", fus, fus / us);
	}
	cudaFree(dx), cudaFree(dy);
}

// bench_matvec_wide: a matvec of n tokens (a batched decode step), its
// activations quantized once (as forward.cu runs it) with 8 and with 16
// tokens a k_mvq launch (ORCD_CUDA_MVQ_TOKENS=16), against 8 a launch
// with every block quantizing them (ORCD_CUDA_MVQ_PRE=0).
static void bench_matvec_wide(orcd_ctx *c, int type, int n_in, int n_out, int n) {
	RefMat r = make_mat(type, n_in, n_out);
	QMat m = upload(c, r);
	float *dx = dev(rvec((size_t)n * n_in)), *dy = dev(std::vector<float>((size_t)n * n_out));
	MVArgs a{};
	a.A = a.B = m, a.x = dx, a.ldx = n_in, a.y = dy, a.ldy = n_out;
	a.qbuf_bytes = MVQ_QBUF_BYTES(n, n_in);
	CK(cudaMalloc(&a.qbuf, a.qbuf_bytes));
	const int keep = orcd_mvq_tokens;
	auto run = [&](int tokens, bool pre) {
		orcd_mvq_tokens = tokens, orcd_mvq_pre = pre;
		const double us = 1000 * time_ms(c, 100, [&] { mv_any(a, n, MV_STORE, c->st); });
		orcd_mvq_tokens = keep, orcd_mvq_pre = true;
		return us;
	};
	const double pre8 = run(8, true), pre16 = run(16, true), each8 = run(8, false);
	const double gbs = (double)r.raw.size() / pre8 / 1e3;
	printf("bench matvec %-5s [%6d x %5d] x %d: quantized once %8.1f us (%6.1f GB/s), with 16-token launches %8.1f us (%.2fx); "
	       "each block quantizing %8.1f us (%.2fx)%s\n",
	       tname(type), n_out, n_in, n, pre8, gbs, pre16, pre8 / pre16, each8, pre8 / each8,
	       mvq_used(type, 16, n_in) ? "" : " (16 not taken: shared memory)");
	cudaFree(dx), cudaFree(dy), cudaFree(a.qbuf);
}

// bench_attention: one decode token's attention over n_pos positions (1B
// shape: 32 heads, 8 KV heads, head_dim 64), one block per head against
// the split over positions with its merge.
static void bench_attention(orcd_ctx *c, int n_pos) {
	const int H = 32, Hkv = 8, hd = 64, kvd = Hkv * hd, n_ctx = n_pos + 8;
	std::vector<float> q = rvec((size_t)H * hd);
	std::vector<int> pos = {n_pos - 1}, seq = {0};
	__half *kc, *vc;
	CK(cudaMalloc(&kc, (size_t)n_ctx * kvd * 2));
	CK(cudaMalloc(&vc, (size_t)n_ctx * kvd * 2));
	CK(cudaMemset(kc, 0x30, (size_t)n_ctx * kvd * 2)); // small finite halves
	CK(cudaMemset(vc, 0x30, (size_t)n_ctx * kvd * 2));
	float *dq = dev(q), *dout = dev(std::vector<float>((size_t)H * hd)), *part;
	int *dp = dev(pos), *ds = dev(seq);
	CK(cudaMalloc(&part, (size_t)H * ATTN_SPLIT_MAX * (hd + 2) * 4));
	AttnArgs a{dq, H * hd, dp, ds, kc, vc, dout, H * hd, n_ctx, H, Hkv, hd, 0.125f, nullptr, 1};
	const double one = time_ms(c, 200, [&] { attention(a, 1, c->st); });
	a.part = part, a.nsplit = attn_splits(c->prop.multiProcessorCount, H, 1);
	const double split = time_ms(c, 200, [&] { attention(a, 1, c->st); });
	printf("bench attention 1 token @%5d positions: one block a head %7.1f us, %2d splits + merge %7.1f us (%.2fx)\n", n_pos,
	       one * 1e3, a.nsplit, split * 1e3, one / split);
	cudaFree(kc), cudaFree(vc), cudaFree(dq), cudaFree(dout), cudaFree(part), cudaFree(dp), cudaFree(ds);
}

// bench_qgemm: Y = X W^T for n tokens on the tensor-core gemm against the
// default path (dequantize W to F16, X to F16, cuBLAS).
static void bench_qgemm(orcd_ctx *c, int type, int n_in, int n_out, int n) {
	RefMat r = make_mat(type, n_in, n_out);
	QMat m = upload(c, r);
	float *dx = dev(rvec((size_t)n * n_in)), *dy = dev(std::vector<float>((size_t)n * n_out));
	__half *hw, *hx;
	CK(cudaMalloc(&hw, (size_t)n_in * n_out * 2));
	CK(cudaMalloc(&hx, (size_t)n * n_in * 2));
	const QGemmArgs a{m, dx, n_in, dy, n_out, n, 0.f};
	const double qg = time_ms(c, 50, [&] { qgemm_any(a, c->st); });
	const float one = 1.f, zero = 0.f;
	const double cb = time_ms(c, 50, [&] {
		to_half(dx, hx, (long)n * n_in, c->st);
		dequant_f16_any(m, hw, c->st);
		cublasGemmEx(c->cub, CUBLAS_OP_T, CUBLAS_OP_N, n_out, n, n_in, &one, hw, CUDA_R_16F, n_in, hx, CUDA_R_16F, n_in, &zero,
		             dy, CUDA_R_32F, n_out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
	});
	printf("bench gemm %-5s [%5d x %5d] x %3d tokens: tensor-core %8.1f us, F16 copy + cuBLAS %8.1f us (%.2fx)\n", tname(type),
	       n_out, n_in, n, qg * 1e3, cb * 1e3, cb / qg);
	cudaFree(dx), cudaFree(dy), cudaFree(hw), cudaFree(hx);
}
