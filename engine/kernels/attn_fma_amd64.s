#include "textflag.h"

// Attention kernels for the quantized path, where bit-equality with the
// float reference is not required (softmax there uses the vector exp
// too): 256-bit FMA, eight keys at a time for the scores. A query's
// result depends only on its own keys and values, never on the other
// queries of a batch.

// SUMS8 leaves in Y1 the sums of the eight lanes of Y0..Y7, in that
// order: pairs within 128-bit lanes, then the two halves.
#define SUMS8 \
	VHADDPS Y1, Y0, Y0; \
	VHADDPS Y3, Y2, Y2; \
	VHADDPS Y5, Y4, Y4; \
	VHADDPS Y7, Y6, Y6; \
	VHADDPS Y2, Y0, Y0; \
	VHADDPS Y6, Y4, Y4; \
	VPERM2F128 $0x20, Y4, Y0, Y1; \
	VPERM2F128 $0x31, Y4, Y0, Y2; \
	VADDPS Y2, Y1, Y1

// Pieces of attnScoresFMA and attnMixFMA and their F16 twins (below).
// KF_* is one key row's chunk times the query chunk Y8 into acc; VF_* one
// value chunk times the broadcast weight Y8. The F16 forms widen the row
// exactly as they load it, so a twin's results are bit for bit the float32
// kernel's over the widened rows.
#define KF_F32(a, acc) VFMADD231PS a, Y8, acc
#define KF_F16(a, acc) VCVTPH2PS a, Y9; VFMADD231PS Y9, Y8, acc

#define S1_ARGS(eshift) \
	MOVQ att+0(FP), DI; \
	MOVQ q+8(FP), SI; \
	MOVQ k+16(FP), DX; \
	MOVQ stride+24(FP), R8; \
	SHLQ $eshift, R8; \
	MOVQ n+32(FP), CX; \
	MOVQ hd+40(FP), R9; \
	SHLQ $2, R9; \
	VBROADCASTSS scale+48(FP), Y15; \
	LEAQ (R8)(R8*2), R10; \
	LEAQ (R8)(R8*4), R11; \
	LEAQ (R10)(R10*1), R12; \
	LEAQ (R11)(R8*2), R13

// S1_START8 zeroes the eight keys' sums; AX is the chunk of the first
// key, BX the chunk's offset in q.
#define S1_START8 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	MOVQ DX, AX; \
	XORQ BX, BX

#define S1_CHUNK8(KF, kstep) \
	VMOVUPS (SI)(BX*1), Y8; \
	KF((AX), Y0); \
	KF((AX)(R8*1), Y1); \
	KF((AX)(R8*2), Y2); \
	KF((AX)(R10*1), Y3); \
	KF((AX)(R8*4), Y4); \
	KF((AX)(R11*1), Y5); \
	KF((AX)(R12*1), Y6); \
	KF((AX)(R13*1), Y7); \
	ADDQ $kstep, AX; \
	ADDQ $32, BX

#define S1_STORE8 \
	SUMS8; \
	VMULPS Y15, Y1, Y1; \
	VMOVUPS Y1, (DI); \
	ADDQ $32, DI; \
	LEAQ (DX)(R8*8), DX; \
	SUBQ $8, CX

#define S1_STORE1 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0; \
	VMULSS X15, X0, X0; \
	VMOVSS X0, (DI); \
	ADDQ $4, DI; \
	ADDQ R8, DX; \
	DECQ CX

#define VF_F32(a, acc) VFMADD231PS a, Y8, acc
#define VF_F16(a, acc) VCVTPH2PS a, Y9; VFMADD231PS Y9, Y8, acc

#define M1_ARGS(eshift) \
	MOVQ o+0(FP), DI; \
	MOVQ att+8(FP), SI; \
	MOVQ v+16(FP), DX; \
	MOVQ stride+24(FP), R8; \
	SHLQ $eshift, R8; \
	MOVQ hd+40(FP), R9; \
	SHLQ $2, R9

#define M1_START8 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	MOVQ n+32(FP), CX; \
	MOVQ DX, AX; \
	XORQ BX, BX

// M1_ROW8 adds row BX's 64 values (vs bytes per eight) times its weight.
#define M1_ROW8(VF, vs) \
	VBROADCASTSS (SI)(BX*4), Y8; \
	VF((AX), Y0); \
	VF(vs(AX), Y1); \
	VF((2*vs)(AX), Y2); \
	VF((3*vs)(AX), Y3); \
	VF((4*vs)(AX), Y4); \
	VF((5*vs)(AX), Y5); \
	VF((6*vs)(AX), Y6); \
	VF((7*vs)(AX), Y7); \
	ADDQ R8, AX; \
	INCQ BX

#define M1_STORE8(vs) \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	VMOVUPS Y4, 128(DI); \
	VMOVUPS Y5, 160(DI); \
	VMOVUPS Y6, 192(DI); \
	VMOVUPS Y7, 224(DI); \
	ADDQ $256, DI; \
	ADDQ $(8*vs), DX; \
	SUBQ $256, R9

#define M1_START1 \
	VXORPS Y0, Y0, Y0; \
	MOVQ n+32(FP), CX; \
	MOVQ DX, AX; \
	XORQ BX, BX

#define M1_ROW1(VF) \
	VBROADCASTSS (SI)(BX*4), Y8; \
	VF((AX), Y0); \
	ADDQ R8, AX; \
	INCQ BX

#define M1_STORE1(vs) \
	VMOVUPS Y0, (DI); \
	ADDQ $32, DI; \
	ADDQ $vs, DX; \
	SUBQ $32, R9

// Pieces of attnScores4FMA and attnMix4FMA and their F16 twins (below).
// The macros come before every TEXT block, where vet's argument checks
// do not take their argument references for another function's.
//
// attnScores4FMA: the scores of four query heads that share a KV head (GQA): head h's
// query at q + h*hd, its scores at att + h*astride. Two keys at a time,
// each key chunk loaded once for the four heads; per score the sums and
// the reduction network are attnScoresFMA's. n is even; hd a multiple of 8.
// attnScores4FMA16 is the same over f16 keys (an F16 KV cache): each
// chunk is widened exactly as it is loaded, so the scores are bit for bit
// those of attnScores4FMA over the widened keys. The two share their
// pieces: S4_ARGS(shift of a key element), S4_CHUNK(load, key bytes per
// chunk), S4_STORE.
#define LD_F32(a, r) VMOVUPS a, r
#define LD_F16(a, r) VCVTPH2PS a, r

#define S4_ARGS(eshift) \
	MOVQ att+0(FP), DI; \
	MOVQ q+8(FP), SI; \
	MOVQ k+16(FP), DX; \
	MOVQ stride+24(FP), R8; \
	SHLQ $eshift, R8; \
	MOVQ n+32(FP), CX; \
	MOVQ hd+40(FP), R9; \
	SHLQ $2, R9; \
	VBROADCASTSS scale+48(FP), Y15; \
	MOVQ astride+56(FP), R14; \
	SHLQ $2, R14; \
	LEAQ (R9)(R9*2), R10; \
	LEAQ (R14)(R14*2), R11; \
	LEAQ (R8)(R8*8), R13

// S4_PAIR starts a pair of keys: zero sums, AX the chunk of key j, BX the
// chunk of head 0's query, R12 the end of head 0's query.
#define S4_PAIR \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	MOVQ DX, AX; \
	MOVQ SI, BX; \
	LEAQ (SI)(R9*1), R12

// S4_CHUNK prefetches the chunk of key j+8, then j+9 (a cold cache's rows
// are a stride apart), and adds eight values of keys j and j+1 times the
// four queries.
#define S4_CHUNK(LD, kstep) \
	PREFETCHT0 (AX)(R8*8); \
	PREFETCHT0 (AX)(R13*1); \
	LD((AX), Y8); \
	LD((AX)(R8*1), Y9); \
	VFMADD231PS (BX), Y8, Y0; \
	VFMADD231PS (BX), Y9, Y1; \
	VFMADD231PS (BX)(R9*1), Y8, Y2; \
	VFMADD231PS (BX)(R9*1), Y9, Y3; \
	VFMADD231PS (BX)(R9*2), Y8, Y4; \
	VFMADD231PS (BX)(R9*2), Y9, Y5; \
	VFMADD231PS (BX)(R10*1), Y8, Y6; \
	VFMADD231PS (BX)(R10*1), Y9, Y7; \
	ADDQ $kstep, AX; \
	ADDQ $32, BX

// S4_STORE writes the pair's eight scores (h0k0 h0k1 h1k0 h1k1 | h2k0
// h2k1 h3k0 h3k1 after SUMS8) and moves to the next pair.
#define S4_STORE \
	SUMS8; \
	VMULPS Y15, Y1, Y1; \
	VMOVLPS X1, (DI); \
	VMOVHPS X1, (DI)(R14*1); \
	VEXTRACTF128 $1, Y1, X1; \
	VMOVLPS X1, (DI)(R14*2); \
	VMOVHPS X1, (DI)(R11*1); \
	ADDQ $8, DI; \
	LEAQ (DX)(R8*2), DX; \
	SUBQ $2, CX

// attnMix4FMA: attnMixFMA for the four query heads sharing a KV head: head h's output
// at o + h*hd, its weights at att + h*astride. The head is done sixteen
// outputs at a time (then eight), each value row slice loaded once for
// the four heads; every output is the same running FMA sum, in key order,
// as attnMixFMA's, so results are bit for bit four attnMixFMA calls.
// attnMix4FMA16 is the same over f16 values, widened as they are loaded
// (bit for bit attnMix4FMA over the widened values). The pieces: M4_ARGS
// (shift of a value element), M4_ROW16 and M4_ROW8 (load, value bytes of
// eight outputs), M4_STORE16 and M4_STORE8.
#define M4_ARGS(eshift) \
	MOVQ o+0(FP), DI; \
	MOVQ att+8(FP), SI; \
	MOVQ v+16(FP), DX; \
	MOVQ stride+24(FP), R8; \
	SHLQ $eshift, R8; \
	MOVQ hd+40(FP), R9; \
	SHLQ $2, R9; \
	MOVQ astride+48(FP), R14; \
	SHLQ $2, R14; \
	LEAQ (R14)(R14*2), R11; \
	LEAQ (R9)(R9*2), R12; \
	MOVQ R9, R13

// M4_START zeroes the sums of a slice (Y0..Y7, or the even ones for
// eight outputs) and starts at row 0: AX the row's slice, BX its index.
#define M4_START M1_START8

#define M4_START8 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y6, Y6, Y6; \
	MOVQ n+32(FP), CX; \
	MOVQ DX, AX; \
	XORQ BX, BX

// M4_WEIGHTS broadcasts row BX's weight of each of the four heads.
#define M4_WEIGHTS \
	LEAQ (SI)(BX*4), R10; \
	VBROADCASTSS (R10), Y10; \
	VBROADCASTSS (R10)(R14*1), Y11; \
	VBROADCASTSS (R10)(R14*2), Y12; \
	VBROADCASTSS (R10)(R11*1), Y13

// M4_ROW16 adds row BX's sixteen values times the weights (prefetching
// this slice of row +8); M4_ROW8 eight of them.
#define M4_ROW16(LD, vstep) \
	PREFETCHT0 (AX)(R8*8); \
	LD((AX), Y8); \
	LD(vstep(AX), Y9); \
	M4_WEIGHTS; \
	VFMADD231PS Y8, Y10, Y0; \
	VFMADD231PS Y9, Y10, Y1; \
	VFMADD231PS Y8, Y11, Y2; \
	VFMADD231PS Y9, Y11, Y3; \
	VFMADD231PS Y8, Y12, Y4; \
	VFMADD231PS Y9, Y12, Y5; \
	VFMADD231PS Y8, Y13, Y6; \
	VFMADD231PS Y9, Y13, Y7; \
	ADDQ R8, AX; \
	INCQ BX

#define M4_ROW8(LD) \
	PREFETCHT0 (AX)(R8*8); \
	LD((AX), Y8); \
	M4_WEIGHTS; \
	VFMADD231PS Y8, Y10, Y0; \
	VFMADD231PS Y8, Y11, Y2; \
	VFMADD231PS Y8, Y12, Y4; \
	VFMADD231PS Y8, Y13, Y6; \
	ADDQ R8, AX; \
	INCQ BX

#define M4_STORE16(vstep) \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, (DI)(R9*1); \
	VMOVUPS Y3, 32(DI)(R9*1); \
	VMOVUPS Y4, (DI)(R9*2); \
	VMOVUPS Y5, 32(DI)(R9*2); \
	VMOVUPS Y6, (DI)(R12*1); \
	VMOVUPS Y7, 32(DI)(R12*1); \
	ADDQ $64, DI; \
	ADDQ $(2*vstep), DX; \
	SUBQ $64, R13

#define M4_STORE8(vstep) \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y2, (DI)(R9*1); \
	VMOVUPS Y4, (DI)(R9*2); \
	VMOVUPS Y6, (DI)(R12*1); \
	ADDQ $32, DI; \
	ADDQ $vstep, DX; \
	SUBQ $32, R13

// func attnScoresFMA(att, q, k *float32, stride, n, hd int, scale float32)
// att[j] = (q · k[j*stride : j*stride+hd]) * scale for j < n; hd is a
// multiple of 8. Eight keys at once: eight accumulators over the head's
// chunks, then one vhaddps/vperm2f128 network makes the eight sums.
TEXT ·attnScoresFMA(SB), NOSPLIT, $0-52
	S1_ARGS(2)

fs8:
	CMPQ CX, $8
	JLT  fs1
	S1_START8
fs8chunk:
	S1_CHUNK8(KF_F32, 32)
	CMPQ BX, R9
	JLT  fs8chunk
	S1_STORE8
	JMP  fs8

fs1:
	TESTQ CX, CX
	JZ    fsdone
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
fs1chunk:
	VMOVUPS (SI)(BX*1), Y8
	VFMADD231PS (DX)(BX*1), Y8, Y0
	ADDQ $32, BX
	CMPQ BX, R9
	JLT  fs1chunk
	S1_STORE1
	JMP  fs1

fsdone:
	VZEROUPPER
	RET

// func attnScoresFMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32)
// attnScoresFMA over f16 keys; R14 is the key chunk's offset for one key.
TEXT ·attnScoresFMA16(SB), NOSPLIT, $0-52
	S1_ARGS(1)

fh8:
	CMPQ CX, $8
	JLT  fh1
	S1_START8
fh8chunk:
	S1_CHUNK8(KF_F16, 16)
	CMPQ BX, R9
	JLT  fh8chunk
	S1_STORE8
	JMP  fh8

fh1:
	TESTQ CX, CX
	JZ    fhdone
	VXORPS Y0, Y0, Y0
	XORQ BX, BX
	XORQ R14, R14
fh1chunk:
	VMOVUPS (SI)(BX*1), Y8
	VCVTPH2PS (DX)(R14*1), Y9
	VFMADD231PS Y9, Y8, Y0
	ADDQ $16, R14
	ADDQ $32, BX
	CMPQ BX, R9
	JLT  fh1chunk
	S1_STORE1
	JMP  fh1

fhdone:
	VZEROUPPER
	RET

// func attnMixFMA(o, att, v *float32, stride, n, hd int)
// o[i] = sum over j < n, in order, of att[j] * v[j*stride+i], by FMA;
// hd is a multiple of 8. Up to 64 outputs stay in registers while every
// row goes past them: eight accumulators when hd allows, else one chunk
// at a time.
TEXT ·attnMixFMA(SB), NOSPLIT, $0-48
	M1_ARGS(2)

fmblock:
	CMPQ R9, $256
	JLT  fmchunk
	M1_START8
fmrow8:
	M1_ROW8(VF_F32, 32)
	CMPQ BX, CX
	JLT  fmrow8
	M1_STORE8(32)
	JNZ  fmblock
	VZEROUPPER
	RET

fmchunk:
	M1_START1
fmrow1:
	M1_ROW1(VF_F32)
	CMPQ BX, CX
	JLT  fmrow1
	M1_STORE1(32)
	JNZ  fmblock
	VZEROUPPER
	RET

// func attnMixFMA16(o, att *float32, v *uint16, stride, n, hd int)
// attnMixFMA over f16 values.
TEXT ·attnMixFMA16(SB), NOSPLIT, $0-48
	M1_ARGS(1)

fhblock:
	CMPQ R9, $256
	JLT  fhchunk
	M1_START8
fhrow8:
	M1_ROW8(VF_F16, 16)
	CMPQ BX, CX
	JLT  fhrow8
	M1_STORE8(16)
	JNZ  fhblock
	VZEROUPPER
	RET

fhchunk:
	M1_START1
fhrow1:
	M1_ROW1(VF_F16)
	CMPQ BX, CX
	JLT  fhrow1
	M1_STORE1(16)
	JNZ  fhblock
	VZEROUPPER
	RET

// func attnScores4FMA(att, q, k *float32, stride, n, hd int, scale float32, astride int)
TEXT ·attnScores4FMA(SB), NOSPLIT, $0-64
	S4_ARGS(2)

g4pair:
	TESTQ CX, CX
	JZ    g4done
	S4_PAIR
g4chunk:
	S4_CHUNK(LD_F32, 32)
	CMPQ BX, R12
	JLT  g4chunk
	S4_STORE
	JMP  g4pair

g4done:
	VZEROUPPER
	RET

// func attnScores4FMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32, astride int)
TEXT ·attnScores4FMA16(SB), NOSPLIT, $0-64
	S4_ARGS(1)

g4hpair:
	TESTQ CX, CX
	JZ    g4hdone
	S4_PAIR
g4hchunk:
	S4_CHUNK(LD_F16, 16)
	CMPQ BX, R12
	JLT  g4hchunk
	S4_STORE
	JMP  g4hpair

g4hdone:
	VZEROUPPER
	RET

// func attnMix4FMA(o, att, v *float32, stride, n, hd, astride int)
TEXT ·attnMix4FMA(SB), NOSPLIT, $0-56
	M4_ARGS(2)

m4slice:
	CMPQ R13, $64
	JLT  m4half
	M4_START
m4row:
	M4_ROW16(LD_F32, 32)
	CMPQ BX, CX
	JLT  m4row
	M4_STORE16(32)
	JNZ  m4slice
	VZEROUPPER
	RET

m4half:
	M4_START8
m4row8:
	M4_ROW8(LD_F32)
	CMPQ BX, CX
	JLT  m4row8
	M4_STORE8(32)
	JNZ  m4slice
	VZEROUPPER
	RET

// func attnMix4FMA16(o, att *float32, v *uint16, stride, n, hd, astride int)
TEXT ·attnMix4FMA16(SB), NOSPLIT, $0-56
	M4_ARGS(1)

m4hslice:
	CMPQ R13, $64
	JLT  m4hhalf
	M4_START
m4hrow:
	M4_ROW16(LD_F16, 16)
	CMPQ BX, CX
	JLT  m4hrow
	M4_STORE16(16)
	JNZ  m4hslice
	VZEROUPPER
	RET

m4hhalf:
	M4_START8
m4hrow8:
	M4_ROW8(LD_F16)
	CMPQ BX, CX
	JLT  m4hrow8
	M4_STORE8(16)
	JNZ  m4hslice
	VZEROUPPER
	RET
