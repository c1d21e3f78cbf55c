// dl.h: the Go side's view of liborcd_cuda.so, resolved with dlopen/dlsym.
// Included by the cgo preambles of lib.go and backend.go.
#ifndef ORCD_DL_H
#define ORCD_DL_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "include/orcd_backend.h"

// The library's entry points, resolved by dlsym. Calls go through these
// small trampolines because cgo cannot call C function pointers directly.
typedef struct {
	int (*abi_version)(void);
	int (*device_count)(int *, char *, size_t);
	int (*create)(int, orcd_ctx **, char *, size_t);
	const char *(*last_error)(orcd_ctx *);
	int (*load_begin)(orcd_ctx *, const orcd_params *, uint64_t);
	int (*set_tensor)(orcd_ctx *, int, int, int32_t, int64_t, int64_t, const void *, uint64_t);
	int (*load_end)(orcd_ctx *);
	int (*forward)(orcd_ctx *, int, const int32_t *, const int32_t *, const int32_t *, const uint8_t *, float *, int32_t *);
	int (*clear_seq)(orcd_ctx *, int);
	int (*copy_seq)(orcd_ctx *, int, int, int);
	int (*memory)(orcd_ctx *, orcd_meminfo *);
	void (*destroy)(orcd_ctx *);
} orcd_fns;

static inline void *orcd_open(const char *path, char *err, size_t n) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(err, n, "%s", e ? e : "dlopen failed");
	}
	return h;
}

// orcd_bind fills f; it returns the name of the first missing symbol.
static inline const char *orcd_bind(void *h, orcd_fns *f) {
#define BIND(field, name) if (!(*(void **)&f->field = dlsym(h, name))) return name;
	BIND(abi_version, "orcd_abi_version")
	BIND(device_count, "orcd_device_count")
	BIND(create, "orcd_create")
	BIND(last_error, "orcd_last_error")
	BIND(load_begin, "orcd_load_begin")
	BIND(set_tensor, "orcd_set_tensor")
	BIND(load_end, "orcd_load_end")
	BIND(forward, "orcd_forward")
	BIND(clear_seq, "orcd_clear_seq")
	BIND(copy_seq, "orcd_copy_seq")
	BIND(memory, "orcd_memory")
	BIND(destroy, "orcd_destroy")
#undef BIND
	return NULL;
}

static inline int c_abi_version(orcd_fns *f) { return f->abi_version(); }
static inline int c_device_count(orcd_fns *f, int *n, char *e, size_t l) { return f->device_count(n, e, l); }
static inline int c_create(orcd_fns *f, int d, orcd_ctx **c, char *e, size_t l) { return f->create(d, c, e, l); }
static inline const char *c_last_error(orcd_fns *f, orcd_ctx *c) { return f->last_error(c); }
static inline int c_load_begin(orcd_fns *f, orcd_ctx *c, const orcd_params *p, uint64_t w) { return f->load_begin(c, p, w); }
static inline int c_set_tensor(orcd_fns *f, orcd_ctx *c, int role, int layer, int32_t type, int64_t ne0, int64_t ne1, const void *data, uint64_t size) {
	return f->set_tensor(c, role, layer, type, ne0, ne1, data, size);
}
static inline int c_load_end(orcd_fns *f, orcd_ctx *c) { return f->load_end(c); }
static inline int c_forward(orcd_fns *f, orcd_ctx *c, int n, const int32_t *t, const int32_t *p, const int32_t *s, const uint8_t *w, float *l, int32_t *a) {
	return f->forward(c, n, t, p, s, w, l, a);
}
static inline int c_clear_seq(orcd_fns *f, orcd_ctx *c, int s) { return f->clear_seq(c, s); }
static inline int c_copy_seq(orcd_fns *f, orcd_ctx *c, int d, int s, int n) { return f->copy_seq(c, d, s, n); }
static inline int c_memory(orcd_fns *f, orcd_ctx *c, orcd_meminfo *m) { return f->memory(c, m); }
static inline void c_destroy(orcd_fns *f, orcd_ctx *c) { f->destroy(c); }
#endif
