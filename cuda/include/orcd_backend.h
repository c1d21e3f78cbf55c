/*
 * orcd_backend.h: the C ABI between orcd (Go, through cgo + dlopen) and a
 * native backend library (liborcd_cuda.so today, a Metal one later).
 *
 * Rules of the ABI:
 *  - Every function returns an orcd_status; ORCD_OK is 0. On failure the
 *    message is in orcd_last_error(ctx) (or in the err buffer for
 *    orcd_create, which has no context yet). Nothing aborts the process.
 *  - Tensors are passed in GGUF layout: ggml type number, dims fastest-
 *    varying first ([n_in, n_out] is n_out rows of n_in values), and a host
 *    pointer into the mmap. The library copies what it needs during the call
 *    and keeps no host pointer.
 *  - One context is used by one thread at a time, except orcd_memory and
 *    orcd_kv_used, which may run concurrently with orcd_forward.
 */
#ifndef ORCD_BACKEND_H
#define ORCD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ORCD_ABI_VERSION 2

typedef enum {
	ORCD_OK = 0,
	ORCD_ERR_INVALID = 1,      /* bad argument: a caller bug or bad model */
	ORCD_ERR_OOM = 2,          /* device memory exhausted (retriable) */
	ORCD_ERR_DEVICE = 3,       /* device/driver failure; context unusable */
	ORCD_ERR_UNSUPPORTED = 4,  /* tensor type or shape not implemented */
	ORCD_ERR_CONTEXT_FULL = 5, /* a position past the KV cache */
	ORCD_ERR_NO_DEVICE = 6     /* no usable device */
} orcd_status;

typedef struct orcd_ctx orcd_ctx;

/* Hyperparameters (engine.Config) plus the cache geometry. */
typedef struct {
	int32_t n_vocab, n_embd, n_layer, n_ff;
	int32_t n_head, n_head_kv, head_dim, n_rot;
	float rope_base, rms_eps;
	int32_t rope_neox; /* 1: rotate (x[i], x[i+n_rot/2]); 0: (x[2i], x[2i+1]) */
	int32_t n_ctx;     /* KV positions per sequence */
	int32_t n_seq;     /* sequences held at once */
	int32_t max_batch; /* most tokens one orcd_forward takes */
	int32_t kv_f32;    /* 1: F32 keys and values (head_dim <= 128), as llama.cpp's goldens; 0: F16 */
} orcd_params;

/* Tensor roles, one per field of engine.Weights / engine.Layer. */
typedef enum {
	ORCD_T_TOK_EMBD = 0,
	ORCD_T_OUTPUT_NORM,
	ORCD_T_OUTPUT, /* absent when tied: token_embd is the LM head */
	ORCD_T_ROPE_FREQS,
	ORCD_T_ATTN_NORM, /* per-layer roles from here on */
	ORCD_T_WQ,
	ORCD_T_WK,
	ORCD_T_WV,
	ORCD_T_WQKV,
	ORCD_T_BQ,
	ORCD_T_BK,
	ORCD_T_BV,
	ORCD_T_QNORM,
	ORCD_T_KNORM,
	ORCD_T_WO,
	ORCD_T_FFN_NORM,
	ORCD_T_GATE,
	ORCD_T_UP,
	ORCD_T_GATEUP,
	ORCD_T_DOWN,
	ORCD_T_COUNT
} orcd_role;

/* A tensor as the library sees it (orcd_set_tensor's arguments). */
typedef struct {
	int32_t type;    /* ggml type: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1, 8 Q8_0, 10 Q2_K, 11 Q3_K, 12 Q4_K, 13 Q5_K, 14 Q6_K, 20 IQ4_NL, 23 IQ4_XS */
	int64_t ne[2];   /* [n_in, n_out]; ne[1] = 1 for vectors */
	const void *data;
	uint64_t size;   /* bytes at data */
} orcd_tensor;

typedef struct {
	uint64_t total, free_;  /* cudaMemGetInfo */
	uint64_t model_bytes;   /* weights + KV cache + scratch held by the context */
	int64_t kv_used;        /* cached positions, summed over sequences */
	char device[128];
} orcd_meminfo;

int orcd_abi_version(void);

/* Number of devices; ORCD_ERR_NO_DEVICE with a message when there are none. */
int orcd_device_count(int *n, char *err, size_t errlen);

int orcd_create(int device, orcd_ctx **out, char *err, size_t errlen);
const char *orcd_last_error(orcd_ctx *ctx);

/*
 * Loading: orcd_load_begin checks that the model, its KV cache and scratch
 * fit in free device memory (ORCD_ERR_OOM, saying bytes needed and free,
 * when not), then orcd_set_tensor once per tensor, then orcd_load_end.
 */
int orcd_load_begin(orcd_ctx *ctx, const orcd_params *p, uint64_t weight_bytes);
/* layer is ignored for model-wide roles. Flat arguments, so that a Go
 * caller passes its data pointer directly (cgo forbids Go pointers stored
 * inside structs handed to C). */
int orcd_set_tensor(orcd_ctx *ctx, int role, int layer, int32_t type, int64_t ne0, int64_t ne1,
                    const void *data, uint64_t size);
int orcd_load_end(orcd_ctx *ctx);

/*
 * orcd_forward runs one batch: token i at position pos[i] of sequence
 * seq[i]. Positions of a sequence must continue its cache. For every i with
 * want[i] != 0, in order, it writes n_vocab logits to logits (when not NULL)
 * and the argmax (lowest id on ties) to argmax (when not NULL).
 */
int orcd_forward(orcd_ctx *ctx, int n, const int32_t *tokens, const int32_t *pos,
                 const int32_t *seq, const uint8_t *want, float *logits, int32_t *argmax);

int orcd_clear_seq(orcd_ctx *ctx, int seq);
/* orcd_copy_seq makes dst's cache src's first n positions (n at most
 * src's length). With dst == src it copies nothing and only truncates:
 * the scheduler's prompt cache keeps a prefix that way. */
int orcd_copy_seq(orcd_ctx *ctx, int dst, int src, int n);
int orcd_memory(orcd_ctx *ctx, orcd_meminfo *m);
void orcd_destroy(orcd_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif
