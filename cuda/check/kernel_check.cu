// kernel_check: every CUDA kernel against a naive CPU reference (in the
// manner of llm.c's dev/cuda), printing the max difference, then a
// bandwidth benchmark of the decode matvec. Exit status 1 if any check
// exceeds its tolerance. Build: make -C cuda check (see cuda/Makefile).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "../backend.cuh"
#include "reference.cuh"

template <class T> static T *dev(const std::vector<T> &h) {
	T *d;
	CK(cudaMalloc(&d, h.size() * sizeof(T) + 16));
	CK(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
	return d;
}
template <class T> static std::vector<T> host(const T *d, size_t n) {
	std::vector<T> h(n);
	CK(cudaDeviceSynchronize());
	CK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
	return h;
}
static std::vector<float> rvec(size_t n, float a = -1, float b = 1) {
	std::vector<float> v(n);
	for (auto &x : v) x = urand(a, b);
	return v;
}

// report prints the max abs difference relative to the reference scale.
static void report(const char *name, const std::vector<float> &got, const std::vector<double> &ref, double tol) {
	double md = 0, mr = 1e-30;
	bool bad = false;
	for (size_t i = 0; i < ref.size(); i++) {
		if (!std::isfinite(got[i])) bad = true;
		md = std::max(md, std::fabs(got[i] - ref[i]));
		mr = std::max(mr, std::fabs(ref[i]));
	}
	const bool ok = !bad && md / mr <= tol;
	printf("%-44s max|diff| %.3e  (max|ref| %.3e, rel %.2e, tol %.0e) %s\n", name, md, mr, md / mr, tol, ok ? "OK" : "FAIL");
	if (!ok) failures++;
}

static const char *tname(int t) {
	switch (t) {
	case GT_F32: return "F32";
	case GT_F16: return "F16";
	case GT_Q4_0: return "Q4_0";
	case GT_Q8_0: return "Q8_0";
	case GT_Q5_0: return "Q5_0";
	case GT_Q4_1: return "Q4_1";
	case GT_Q5_1: return "Q5_1";
	case GT_Q2_K: return "Q2_K";
	case GT_Q3_K: return "Q3_K";
	case GT_IQ4_NL: return "IQ4_NL";
	case GT_IQ4_XS: return "IQ4_XS";
	case GT_Q4_K: return "Q4_K";
	case GT_Q5_K: return "Q5_K";
	case GT_IQ2_XXS: return "IQ2_XXS";
	case GT_IQ2_XS: return "IQ2_XS";
	case GT_IQ2_S: return "IQ2_S";
	case GT_IQ3_XXS: return "IQ3_XXS";
	case GT_IQ3_S: return "IQ3_S";
	case GT_IQ1_S: return "IQ1_S";
	case GT_IQ1_M: return "IQ1_M";
	default: return "Q6_K";
	}
}

// acts_ref is what the matvec multiplies W by: x itself, or where n
// tokens of this type take the 8-bit path (mvq.cuh), x quantized and
// dequantized again by the host twins of kernels.quantizeQ8_0Go (Q4_0,
// Q8_0 weights) and kernels.quantizeQ8KInto (Q4_K, Q6_K).
static std::vector<double> acts_ref(int type, const std::vector<float> &x, int n, int K) {
	std::vector<double> out(x.begin(), x.end());
	if (!mvq_used(type, n, K)) return out;
	const int bq = block_elems(type);
	for (size_t b = 0; b < x.size(); b += bq) {
		const float *v = &x[b];
		float amax = 0, vmax = 0;
		for (int i = 0; i < bq; i++)
			if (std::fabs(v[i]) > amax) amax = std::fabs(v[i]), vmax = v[i];
		if (bq == 32) {
			const float id = amax != 0 ? 127.f / amax : 0.f, d = f16_to_f32(f32_to_f16(amax / 127.f));
			for (int i = 0; i < bq; i++) {
				const float p = v[i] * id;
				out[b + i] = std::nearbyint(p) * (double)d;
			}
		} else {
			const float iscale = amax != 0 ? -127.f / vmax : 0.f, d = amax != 0 ? 1.f / iscale : 0.f;
			for (int i = 0; i < bq; i++) {
				const float p = iscale * v[i];
				out[b + i] = std::min(127.0, (double)std::nearbyint(p)) * (double)d;
			}
		}
	}
	return out;
}

static QMat upload(orcd_ctx *c, const RefMat &r) {
	orcd_tensor t{r.type, {r.n_in, r.n_out}, r.raw.data(), r.raw.size()};
	QMat m;
	if (mat_to_device(c, "test", &t, r.n_in, r.n_out, m)) {
		printf("upload failed: %s\n", orcd_last_error(c));
		exit(2);
	}
	return m;
}

// With g_qbuf set, matvecs of MVQ_PRE_MIN tokens or more quantize their
// activations once into it (forward.cu always passes one).
static void *g_qbuf;
static const size_t g_qbuf_bytes = MVQ_QBUF_BYTES(32, 2048);
static const char *pre_note(int type, int n, int K) {
	return g_qbuf && mvq_used(type, n, K) && n >= MVQ_PRE_MIN ? ", quantized once" : "";
}

// ref_dot is row o of r times one token's activations x as the kernel
// sees them (acts_ref). With 8-bit activations, Q4_1 and Q5_1 take their
// mins term m Σx of each block from ggml's q8_1 sum, rounded to f16: the
// same rounding is added here.
static double ref_dot(const RefMat &r, int o, const double *x, bool q8) {
	double s = 0;
	for (int i = 0; i < r.n_in; i++) s += (double)r.w[(size_t)o * r.n_in + i] * x[i];
	if (q8 && (r.type == GT_Q4_1 || r.type == GT_Q5_1)) {
		const int nb = r.n_in / 32, bb = r.type == GT_Q4_1 ? 20 : 24;
		for (int b = 0; b < nb; b++) {
			double v = 0;
			for (int i = 0; i < 32; i++) v += x[32 * b + i];
			s += (double)get16(&r.raw[((size_t)o * nb + b) * bb + 2]) * (f16_to_f32(f32_to_f16((float)v)) - v);
		}
	}
	return s;
}

static void check_matvec(orcd_ctx *c, int type, int n_in, int n_out, int n) {
	RefMat r = make_mat(type, n_in, n_out);
	QMat m = upload(c, r);
	std::vector<float> x = rvec((size_t)n * n_in), ss(n), wn = rvec(n_out, 0.5f, 1.5f);
	for (int t = 0; t < n; t++) ss[t] = urand(0.5f, 2.f) * n_in;
	float *dx = dev(x), *dss = dev(ss), *dy = dev(std::vector<float>((size_t)n * n_out, NAN));
	MVArgs a{};
	a.A = a.B = m;
	a.x = dx, a.ldx = n_in, a.in_sumsq = dss, a.norm_n = n_in, a.eps = 1e-5f, a.y = dy, a.ldy = n_out;
	a.qbuf = g_qbuf, a.qbuf_bytes = g_qbuf_bytes;
	mv_any(a, n, MV_STORE, c->st);
	// The 8-bit path quantizes the normalized row (as engine/cpu does);
	// the float path scales the result.
	const bool q8 = mvq_used(type, n, n_in);
	std::vector<float> xs = x;
	for (int t = 0; t < n && q8; t++) {
		const float sc = (float)(1.0 / std::sqrt((double)ss[t] / n_in + (double)1e-5f));
		for (int i = 0; i < n_in; i++) xs[(size_t)t * n_in + i] *= sc;
	}
	auto wx = [&](const std::vector<float> &in) { // W times in (as the kernel sees it), per token
		const std::vector<double> xr = acts_ref(type, in, n, n_in);
		std::vector<double> out((size_t)n * n_out);
		for (int t = 0; t < n; t++)
			for (int o = 0; o < n_out; o++) out[(size_t)t * n_out + o] = ref_dot(r, o, &xr[(size_t)t * n_in], q8);
		return out;
	};
	std::vector<double> ref = wx(xs);
	for (int t = 0; t < n && !q8; t++)
		for (int o = 0; o < n_out; o++) ref[(size_t)t * n_out + o] /= std::sqrt(ss[t] / n_in + 1e-5);
	char name[96];
	snprintf(name, sizeof name, "matvec %s [%d x %d] x %d tokens%s%s", tname(type), n_out, n_in, n, mvq_used(type, n, n_in) ? ", 8-bit acts" : "",
	         pre_note(type, n, n_in));
	report(name, host(dy, ref.size()), ref, 1e-5);

	// dequantize to F16 (the cuBLAS path)
	__half *dh;
	CK(cudaMalloc(&dh, r.w.size() * 2));
	dequant_f16_any(m, dh, c->st);
	std::vector<__half> hh = host(dh, r.w.size());
	std::vector<float> got(r.w.size());
	std::vector<double> wref(r.w.begin(), r.w.end());
	for (size_t i = 0; i < got.size(); i++) got[i] = __half2float(hh[i]);
	snprintf(name, sizeof name, "dequant->F16 %s", tname(type));
	report(name, got, wref, 1e-3);

	// embedding rows
	std::vector<int> tok = {0, n_out - 1, n_out / 3};
	int *dt = dev(tok);
	float *de = dev(std::vector<float>(3 * (size_t)n_in, NAN));
	embed_any(m, dt, 3, de, n_in, c->st);
	std::vector<double> eref;
	for (int k : tok)
		for (int i = 0; i < n_in; i++) eref.push_back(r.w[(size_t)k * n_in + i]);
	snprintf(name, sizeof name, "embedding rows %s", tname(type));
	report(name, host(de, eref.size()), eref, 1e-6);

	// residual-add mode: y += W x; xn = y * wn; sumsq += y^2
	std::vector<float> y0 = rvec((size_t)n * n_out);
	float *dy0 = dev(y0), *dxn = dev(std::vector<float>((size_t)n * n_out, NAN)), *dsq = dev(std::vector<float>(n, 0.f)), *dwn = dev(wn);
	MVArgs b = a;
	b.in_sumsq = nullptr, b.y = dy0, b.wnext = dwn, b.xn_out = dxn, b.sumsq_out = dsq;
	mv_any(b, n, MV_ADD, c->st);
	const std::vector<double> raw = wx(x);
	std::vector<double> yref((size_t)n * n_out), xnref(yref.size()), sqref(n, 0);
	for (int t = 0; t < n; t++)
		for (int o = 0; o < n_out; o++) {
			const size_t k = (size_t)t * n_out + o;
			const double v = y0[k] + raw[k];
			yref[k] = v, xnref[k] = v * wn[o], sqref[t] += v * v;
		}
	snprintf(name, sizeof name, "matvec+residual %s (y, xn, sumsq)%s", tname(type), pre_note(type, n, n_in));
	std::vector<float> g1 = host(dy0, yref.size()), g2 = host(dxn, yref.size()), g3 = host(dsq, n);
	g1.insert(g1.end(), g2.begin(), g2.end());
	yref.insert(yref.end(), xnref.begin(), xnref.end());
	report(name, g1, yref, 1e-5);
	snprintf(name, sizeof name, "  sumsq of the residual %s", tname(type));
	report(name, g3, sqref, 1e-5);
	cudaFree(dx), cudaFree(dss), cudaFree(dy), cudaFree(dh), cudaFree(dt), cudaFree(de), cudaFree(dy0), cudaFree(dxn), cudaFree(dsq), cudaFree(dwn);
}

// check_qgemm: the tensor-core path for batches past 8 tokens, with a
// partial tile of tokens and of rows, Y = WX and then Y += WX.
static void check_qgemm(orcd_ctx *c, int type, int n_in, int n_out, int n) {
	RefMat r = make_mat(type, n_in, n_out);
	QMat m = upload(c, r);
	std::vector<float> x = rvec((size_t)n * n_in), y0 = rvec((size_t)n * n_out);
	float *dx = dev(x), *dy = dev(std::vector<float>((size_t)n * n_out, NAN)), *dy0 = dev(y0);
	QGemmArgs a{m, dx, n_in, dy, n_out, n, 0.f};
	if (!qgemm_any(a, c->st)) {
		printf("qgemm %s: no kernel\n", tname(type));
		failures++;
		return;
	}
	a.y = dy0, a.beta = 1.f;
	qgemm_any(a, c->st);
	std::vector<double> ref((size_t)n * n_out), ref0(ref.size());
	for (int t = 0; t < n; t++)
		for (int o = 0; o < n_out; o++) {
			double s = 0;
			for (int i = 0; i < n_in; i++) s += (double)r.w[(size_t)o * n_in + i] * x[(size_t)t * n_in + i];
			ref[(size_t)t * n_out + o] = s;
			ref0[(size_t)t * n_out + o] = s + y0[(size_t)t * n_out + o];
		}
	char name[96];
	snprintf(name, sizeof name, "tensor-core gemm %s [%d x %d] x %d tokens", tname(type), n_out, n_in, n);
	report(name, host(dy, ref.size()), ref, 5e-3); // weights and inputs rounded to FP16
	snprintf(name, sizeof name, "  accumulating (Y += WX)");
	report(name, host(dy0, ref0.size()), ref0, 5e-3);
	cudaFree(dx), cudaFree(dy), cudaFree(dy0);
}

static void check_glu_argmax(orcd_ctx *c, int type, int n = 2) {
	const int n_in = 512, F = 384;
	RefMat g = make_mat(type, n_in, F), u = make_mat(type, n_in, F);
	QMat mg = upload(c, g), mu = upload(c, u);
	std::vector<float> x = rvec((size_t)n * n_in);
	float *dx = dev(x), *dy = dev(std::vector<float>((size_t)n * F, NAN));
	MVArgs a{};
	a.A = mg, a.B = mu, a.x = dx, a.ldx = n_in, a.y = dy, a.ldy = F;
	a.qbuf = g_qbuf, a.qbuf_bytes = g_qbuf_bytes;
	mv_any(a, n, MV_GLU, c->st);
	const std::vector<double> xr = acts_ref(type, x, n, n_in);
	const bool q8 = mvq_used(type, n, n_in);
	std::vector<double> ref((size_t)n * F), lg((size_t)n * F);
	for (int t = 0; t < n; t++)
		for (int o = 0; o < F; o++) {
			const double s1 = ref_dot(g, o, &xr[t * n_in], q8), s2 = ref_dot(u, o, &xr[t * n_in], q8);
			ref[t * F + o] = s1 / (1 + std::exp(-s1)) * s2;
			lg[t * F + o] = s1;
		}
	char name[96];
	snprintf(name, sizeof name, "matvec GLU silu(gate)*up %s x %d%s", tname(type), n, pre_note(type, n, n_in));
	report(name, host(dy, ref.size()), ref, 1e-5);
	unsigned long long *am;
	CK(cudaMalloc(&am, 8 * n));
	CK(cudaMemset(am, 0, 8 * n));
	a.B = mg, a.amax = am;
	mv_any(a, n, MV_ARGMAX, c->st);
	std::vector<unsigned long long> got = host(am, n);
	int ok = 1;
	for (int t = 0; t < n; t++) {
		int best = 0;
		for (int o = 1; o < F; o++)
			if (lg[t * F + o] > lg[t * F + best]) best = o;
		const int row = (int)(0xffffffffu - (uint32_t)(got[t] & 0xffffffffu));
		if (row != best) ok = 0;
		if (n <= 2 || row != best)
			printf("argmax %s token %d: device %d cpu %d %s\n", tname(type), t, row, best, row == best ? "OK" : "FAIL");
	}
	if (n > 2 && ok) printf("argmax %s: %d tokens OK\n", tname(type), n);
	failures += !ok;
	cudaFree(dx), cudaFree(dy), cudaFree(am);
}

static void rope_ref(double *v, int p, int n_rot, float base, bool neox, const float *ff) {
	for (int i = 0; i < n_rot / 2; i++) {
		double th = p * std::pow((double)base, -2.0 * i / n_rot);
		if (ff) th /= ff[i];
		const int i0 = neox ? i : 2 * i, i1 = neox ? i + n_rot / 2 : 2 * i + 1;
		const double x0 = v[i0], x1 = v[i1];
		v[i0] = x0 * std::cos(th) - x1 * std::sin(th);
		v[i1] = x0 * std::sin(th) + x1 * std::cos(th);
	}
}

// qkv_post + attention over a cache with several sequences.
static void check_attention(orcd_ctx *c, int H, int Hkv, int hd, int n_rot, bool neox, bool extras, int n_pos, int nsplit,
                            bool f32 = false) {
	const int kvd = Hkv * hd, qkvd = H * hd + 2 * kvd, n_ctx = n_pos + 8, n_seq = 2;
	const float base = 10000.f, eps = 1e-6f;
	// every position of sequence 1, in one batch
	std::vector<int> pos(n_pos), seq(n_pos, 1);
	for (int i = 0; i < n_pos; i++) pos[i] = i;
	std::vector<float> qkv = rvec((size_t)n_pos * qkvd), bq = rvec(H * hd), bk = rvec(kvd), bv = rvec(kvd);
	std::vector<float> qn = rvec(hd, 0.5f, 1.5f), kn = rvec(hd, 0.5f, 1.5f), ff = rvec(n_rot / 2, 1.f, 8.f);
	float *dq = dev(qkv), *dbq = dev(bq), *dbk = dev(bk), *dbv = dev(bv), *dqn = dev(qn), *dkn = dev(kn), *dff = dev(ff);
	int *dp = dev(pos), *ds = dev(seq);
	void *kc, *vc;
	const size_t es = f32 ? 4 : 2;
	CK(cudaMalloc(&kc, (size_t)n_seq * n_ctx * kvd * es));
	CK(cudaMalloc(&vc, (size_t)n_seq * n_ctx * kvd * es));
	QKVPost a{dq, qkvd, dp, ds, extras ? dbq : nullptr, extras ? dbk : nullptr, extras ? dbv : nullptr, extras ? dqn : nullptr,
	          extras ? dkn : nullptr, eps, extras ? dff : nullptr, n_rot, base, neox, kc, vc, n_ctx, H, Hkv, hd, f32};
	qkv_post(a, n_pos, c->st);
	float *dout = dev(std::vector<float>((size_t)n_pos * H * hd, NAN));
	AttnArgs aa{dq, qkvd, dp, ds, kc, vc, dout, H * hd, n_ctx, H, Hkv, hd, 1.f / std::sqrt((float)hd), nullptr, 1, f32};
	attention(aa, n_pos, c->st);
	// The decode path: the last k tokens again, split over positions.
	const int k = std::min(n_pos, ATTN_SPLIT_N), t0 = n_pos - k;
	AttnArgs sa = aa;
	float *dsplit = dev(std::vector<float>((size_t)k * H * hd, NAN));
	sa.nsplit = nsplit;
	CK(cudaMalloc(&sa.part, (size_t)k * H * sa.nsplit * (hd + 2) * 4));
	sa.q = dq + (size_t)t0 * qkvd, sa.pos = dp + t0, sa.seq = ds + t0, sa.out = dsplit;
	attention(sa, k, c->st);
	// reference
	std::vector<double> r(qkv.begin(), qkv.end());
	for (int t = 0; t < n_pos; t++)
		for (int hh = 0; hh < H + 2 * Hkv; hh++) {
			double *v = &r[(size_t)t * qkvd + hh * hd];
			const int kind = hh < H ? 0 : hh < H + Hkv ? 1 : 2, h = kind == 0 ? hh : kind == 1 ? hh - H : hh - H - Hkv;
			const float *bias = kind == 0 ? bq.data() : kind == 1 ? bk.data() : bv.data();
			const float *nw = kind == 0 ? qn.data() : kind == 1 ? kn.data() : nullptr;
			if (extras) {
				double ssq = 0;
				for (int i = 0; i < hd; i++) v[i] += bias[h * hd + i], ssq += v[i] * v[i];
				if (nw)
					for (int i = 0; i < hd; i++) v[i] = v[i] / std::sqrt(ssq / hd + eps) * nw[i];
			}
			if (kind < 2) rope_ref(v, pos[t], n_rot, base, neox, extras ? ff.data() : nullptr);
		}
	std::vector<double> out((size_t)n_pos * H * hd);
	for (int t = 0; t < n_pos; t++)
		for (int h = 0; h < H; h++) {
			const int kh = h / (H / Hkv);
			const double *q = &r[(size_t)t * qkvd + h * hd];
			std::vector<double> s(t + 1);
			double mx = -1e300, sum = 0;
			for (int p = 0; p <= t; p++) {
				const double *k = &r[(size_t)p * qkvd + H * hd + kh * hd];
				double d = 0;
				for (int i = 0; i < hd; i++) d += q[i] * k[i];
				s[p] = d / std::sqrt((double)hd);
				mx = std::max(mx, s[p]);
			}
			for (int p = 0; p <= t; p++) s[p] = std::exp(s[p] - mx), sum += s[p];
			for (int i = 0; i < hd; i++) {
				double o = 0;
				for (int p = 0; p <= t; p++) o += s[p] * r[(size_t)p * qkvd + H * hd + kvd + kh * hd + i];
				out[((size_t)t * H + h) * hd + i] = o / sum;
			}
		}
	char name[128];
	snprintf(name, sizeof name, "q/k post (%s%s) H %d/%d hd %d rot %d", neox ? "neox" : "norm", extras ? ", bias+qknorm+freqs" : "", H, Hkv, hd, n_rot);
	std::vector<float> gq = host(dq, qkv.size());
	std::vector<float> gqs;
	std::vector<double> rqs;
	for (int t = 0; t < n_pos; t++)
		for (int i = 0; i < H * hd; i++) gqs.push_back(gq[(size_t)t * qkvd + i]), rqs.push_back(r[(size_t)t * qkvd + i]);
	report(name, gqs, rqs, 1e-5 + 6e-8 * n_pos); // a float32 angle p*theta is off by ~6e-8 p radians
	// K/V rounded to FP16, or float32 all through.
	const double tol = f32 ? 1e-5 : 2e-3;
	snprintf(name, sizeof name, "attention GQA %s cache, %d positions", f32 ? "F32" : "FP16", n_pos);
	report(name, host(dout, out.size()), out, tol);
	const int ch = std::max(ATTN_MIN_CHUNK, (n_pos + nsplit - 1) / nsplit);
	snprintf(name, sizeof name, "  last %d tokens, %d split(s) of %d at most", k, (n_pos + ch - 1) / ch, ch);
	report(name, host(dsplit, (size_t)k * H * hd), std::vector<double>(out.begin() + (size_t)t0 * H * hd, out.end()), tol);
	cudaFree(dsplit), cudaFree(sa.part);
	cudaFree(dq), cudaFree(dbq), cudaFree(dbk), cudaFree(dbv), cudaFree(dqn), cudaFree(dkn), cudaFree(dff), cudaFree(dp), cudaFree(ds);
	cudaFree(kc), cudaFree(vc), cudaFree(dout);
}

static void check_norms(orcd_ctx *c) {
	const int n = 3, E = 1000, F = 700;
	std::vector<float> x = rvec(n * E), w = rvec(E, 0.5f, 1.5f), gu = rvec(n * 2 * F, -4, 4);
	float *dx = dev(x), *dw = dev(w), *dxn = dev(std::vector<float>(n * E)), *dss = dev(std::vector<float>(n)), *dxs = dev(std::vector<float>(n * E));
	resid_finish(dx, dw, dxn, dss, n, E, c->st);
	stage_norm(dxn, dss, n, E, 1e-5f, dxs, nullptr, c->st);
	std::vector<double> ref(n * E);
	for (int t = 0; t < n; t++) {
		double s = 0;
		for (int i = 0; i < E; i++) s += (double)x[t * E + i] * x[t * E + i];
		for (int i = 0; i < E; i++) ref[t * E + i] = x[t * E + i] / std::sqrt(s / E + 1e-5) * w[i];
	}
	report("RMSNorm (resid_finish + stage_norm)", host(dxs, ref.size()), ref, 1e-6);
	float *dgu = dev(gu), *dact = dev(std::vector<float>(n * F));
	swiglu(dgu, n, F, dact, nullptr, c->st);
	std::vector<double> sref(n * F);
	for (int t = 0; t < n; t++)
		for (int i = 0; i < F; i++) {
			const double g = gu[t * 2 * F + i];
			sref[t * F + i] = g / (1 + std::exp(-g)) * gu[t * 2 * F + F + i];
		}
	report("SwiGLU", host(dact, sref.size()), sref, 1e-6);
	cudaFree(dx), cudaFree(dw), cudaFree(dxn), cudaFree(dss), cudaFree(dxs), cudaFree(dgu), cudaFree(dact);
}

// bench_matvec: decode matvec bandwidth (weights read once per call).
#include "benchmarks.cuh"

int main(int argc, char **argv) {
	char err[256];
	orcd_ctx *c;
	if (orcd_create(0, &c, err, sizeof err)) {
		printf("orcd_create: %s\n", err);
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "smoke") == 0) { // every benchmark once, at small sizes (the emulator)
		bench_read(c, 1 << 20, 1);
		bench_matvec(c, GT_Q4_0, 256, 512);
		bench_matvec_wide(c, GT_Q4_0, 64, 64, 16);
		bench_attention(c, 300);
		bench_qgemm(c, GT_Q4_K, 512, 128, 20);
		CK(cudaGetLastError());
		orcd_destroy(c);
		return failures ? 1 : 0;
	}
	if (argc > 1 && strcmp(argv[1], "bandwidth") == 0) { // the roofline of this machine, for gpucheck.sh
		const double gbs = bench_read(c, 2ull << 30, 20);
		orcd_destroy(c);
		return gbs > 0 ? 0 : 1;
	}
	if (argc > 1 && strcmp(argv[1], "profile") == 0) { // one kernel of each kind, for ncu
		bench_matvec(c, GT_Q4_0, 2048, 8192);
		bench_matvec(c, GT_Q6_K, 2048, 128256);
		orcd_destroy(c);
		return 0;
	}
	printf("device: %s, %d SMs\n", c->prop.name, c->prop.multiProcessorCount);
	// The quantized types (each with both matvec paths), then all of them.
	const int qtypes[] = {GT_Q4_0, GT_Q4_1, GT_Q5_0, GT_Q5_1, GT_Q8_0, GT_Q2_K, GT_Q3_K, GT_Q4_K, GT_Q5_K, GT_Q6_K, GT_IQ4_NL, GT_IQ4_XS,
	                      GT_IQ2_XXS, GT_IQ2_XS, GT_IQ2_S, GT_IQ3_XXS, GT_IQ3_S, GT_IQ1_S, GT_IQ1_M};
	std::vector<int> types = {GT_F32, GT_F16};
	types.insert(types.end(), std::begin(qtypes), std::end(qtypes));
	for (int t : types) {
		check_matvec(c, t, 512, 96, 1);
		check_matvec(c, t, 768, 130, 5);
		check_glu_argmax(c, t);
	}
	check_matvec(c, GT_F32, 172, 64, 3); // stories260K's ffn_down row length
	check_matvec(c, GT_Q4_K, 2048, 40, 8);   // 8 tokens of 2048: 8-bit path, 20 KB of shared memory
	check_matvec(c, GT_Q4_K, 256, 128, 5); check_matvec(c, GT_Q4_K, 256, 128, 1);
	check_matvec(c, GT_Q8_0, 16640, 12, 8);  // 8 x 16640 needs 163 KB: past MVQ_SMEM_MAX, the float path
	orcd_mvq = false; // the float path for the types that have both
	for (int t : qtypes) {
		check_matvec(c, t, 512, 96, 1);
		check_matvec(c, t, 768, 130, 5);
		check_glu_argmax(c, t);
	}
	orcd_mvq = true;
	void *qbuf;
	CK(cudaMalloc(&qbuf, g_qbuf_bytes));
	for (void *q : {(void *)nullptr, qbuf}) { // each block quantizes, then once a call
		g_qbuf = q;
		for (int tokens : {8, 16}) { // 16 tokens a launch (then 4, 1; the argmax 8, 8, 2)
			orcd_mvq_tokens = tokens;
			for (int t : qtypes) {
				check_matvec(c, t, 768, 130, 21);
				check_glu_argmax(c, t, 18);
			}
		}
	}
	orcd_mvq_tokens = 8;
	check_matvec(c, GT_Q4_K, 2048, 40, 8); // quantized once, 8 tokens: one launch that only copies
	check_matvec(c, GT_Q8_0, 256, 64, 5);  // under MVQ_PRE_MIN: each block quantizes
	g_qbuf = nullptr;
	cudaFree(qbuf);
	for (int t : types) check_qgemm(c, t, 768, 130, 70);
	check_qgemm(c, GT_F16, 172, 64, 13); // a row shorter than one step, not a multiple of 16
	check_norms(c);
	check_attention(c, 8, 4, 32, 32, false, false, 40, 4);
	check_attention(c, 4, 2, 64, 64, true, true, 300, 4);
	check_attention(c, 4, 2, 16, 16, false, true, 20, 1);
	check_attention(c, 2, 2, 4, 4, false, false, 7, 2);
	check_attention(c, 2, 1, 160, 160, true, false, 130, 3);
	check_attention(c, 4, 1, 64, 64, false, false, 1000, ATTN_SPLIT_MAX);
	check_attention(c, 8, 2, 32, 32, true, false, 700, 3); // chunks of 234: two tiles each
	check_attention(c, 4, 2, 64, 64, true, true, 300, 4, true);   // F32 cache
	check_attention(c, 2, 1, 128, 128, false, false, 200, 2, true); // F32 cache at its largest head
	CK(cudaGetLastError());
	if (argc > 1 && strcmp(argv[1], "checks") == 0) { // no benchmarks (the CPU emulator)
		printf("\nkernel checks: %d failed\n", failures);
		orcd_destroy(c);
		return failures ? 1 : 0;
	}
	printf("\n");
	bench_read(c, 2ull << 30, 20);
	bench_copy();
	for (int t : {GT_Q4_0, GT_Q8_0, GT_Q6_K, GT_Q4_K, GT_Q5_K, GT_Q5_0, GT_Q3_K, GT_Q2_K, GT_IQ4_XS, GT_Q4_1, GT_F16}) {
		bench_matvec(c, t, 2048, 8192);
		bench_matvec(c, t, 8192, 2048);
		bench_matvec(c, t, 2048, 8192, 8);
	}
	for (int t : {GT_IQ2_XXS, GT_IQ2_XS, GT_IQ2_S, GT_IQ3_XXS, GT_IQ3_S, GT_IQ1_S, GT_IQ1_M}) {
		bench_matvec(c, t, 2048, 8192);
		bench_matvec(c, t, 8192, 2048);
	}
	for (int t : {GT_Q4_0, GT_Q8_0, GT_Q6_K, GT_Q4_K, GT_Q5_K, GT_IQ4_XS}) {
		bench_matvec_wide(c, t, 2048, 8192, 32);
		bench_matvec_wide(c, t, 8192, 2048, 32);
	}
	bench_matvec(c, GT_Q6_K, 2048, 128256);
	bench_matvec(c, GT_Q8_0, 2048, 128256);
	for (int n_pos : {128, 512, 2048, 8192}) bench_attention(c, n_pos);
	for (int t : {GT_Q4_0, GT_Q8_0})
		for (int n : {16, 32, 64, 512}) bench_qgemm(c, t, 2048, 8192, n);
	printf("\nkernel checks: %d failed\n", failures);
	orcd_destroy(c);
	return failures ? 1 : 0;
}
