// profile.cu: where a forward pass's time goes, kernel group by kernel
// group. With ORCD_CUDA_PROFILE=1 in the environment, steps run without
// graphs and with an event recorded after each group of kernels; the totals
// per group go to stderr when the context is destroyed. Events between
// launches add a little overhead of their own, so the figures are for
// finding the largest parts, not for quoting speed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include "backend.cuh"

struct Profile {
	std::vector<cudaEvent_t> ev; // the pool; the first `used` are this step's
	std::vector<const char *> label;
	size_t used = 0;
	std::map<std::string, double> ms;
	std::map<std::string, long> calls;
	long steps = 0;
};

Profile *prof_new() {
	const char *v = getenv("ORCD_CUDA_PROFILE");
	return v && strcmp(v, "1") == 0 ? new Profile : nullptr;
}

void prof_mark(orcd_ctx *c, const char *label) {
	Profile *p = c->prof;
	if (!p) return;
	if (p->used == p->ev.size()) {
		cudaEvent_t e;
		if (cudaEventCreate(&e) != cudaSuccess) return;
		p->ev.push_back(e);
		p->label.push_back(nullptr);
	}
	cudaEventRecord(p->ev[p->used], c->st);
	p->label[p->used++] = label;
}

// prof_collect adds the synchronized step's intervals to the totals: the
// time between two marks belongs to the later mark's label.
void prof_collect(orcd_ctx *c) {
	Profile *p = c->prof;
	if (!p || p->used < 2) return;
	for (size_t i = 1; i < p->used; i++) {
		float ms = 0.f;
		if (cudaEventElapsedTime(&ms, p->ev[i - 1], p->ev[i]) != cudaSuccess) continue;
		p->ms[p->label[i]] += ms;
		p->calls[p->label[i]]++;
	}
	p->used = 0;
	p->steps++;
}

void prof_report(orcd_ctx *c) {
	Profile *p = c->prof;
	if (!p) return;
	std::vector<std::pair<double, std::string>> rows;
	double total = 0;
	for (auto &kv : p->ms) rows.push_back({kv.second, kv.first}), total += kv.second;
	std::sort(rows.rbegin(), rows.rend());
	fprintf(stderr, "orcd cuda profile: %ld steps, %.3f ms in all (%.3f ms a step)\n", p->steps, total,
	        p->steps ? total / p->steps : 0.);
	for (auto &r : rows)
		fprintf(stderr, "  %-34s %9.3f ms  %5.1f%%  %7.3f ms/step  %ld calls\n", r.second.c_str(), r.first,
		        total > 0 ? 100 * r.first / total : 0., p->steps ? r.first / p->steps : 0., p->calls[r.second]);
	for (cudaEvent_t e : p->ev) cudaEventDestroy(e);
	delete p;
	c->prof = nullptr;
}
