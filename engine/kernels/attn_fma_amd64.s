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

// func attnScoresFMA(att, q, k *float32, stride, n, hd int, scale float32)
// att[j] = (q · k[j*stride : j*stride+hd]) * scale for j < n; hd is a
// multiple of 8. Eight keys at once: eight accumulators over the head's
// chunks, then one vhaddps/vperm2f128 network makes the eight sums.
TEXT ·attnScoresFMA(SB), NOSPLIT, $0-52
	MOVQ att+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVQ hd+40(FP), R9
	SHLQ $2, R9 // bytes
	VBROADCASTSS scale+48(FP), Y15
	LEAQ (R8)(R8*2), R10 // 3 rows
	LEAQ (R8)(R8*4), R11 // 5 rows
	LEAQ (R10)(R10*1), R12 // 6 rows
	LEAQ (R11)(R8*2), R13 // 7 rows

fs8:
	CMPQ CX, $8
	JLT  fs1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ DX, AX  // this chunk of row 0
	XORQ BX, BX  // chunk offset in q
fs8chunk:
	VMOVUPS (SI)(BX*1), Y8
	VFMADD231PS (AX), Y8, Y0
	VFMADD231PS (AX)(R8*1), Y8, Y1
	VFMADD231PS (AX)(R8*2), Y8, Y2
	VFMADD231PS (AX)(R10*1), Y8, Y3
	VFMADD231PS (AX)(R8*4), Y8, Y4
	VFMADD231PS (AX)(R11*1), Y8, Y5
	VFMADD231PS (AX)(R12*1), Y8, Y6
	VFMADD231PS (AX)(R13*1), Y8, Y7
	ADDQ $32, AX
	ADDQ $32, BX
	CMPQ BX, R9
	JLT  fs8chunk
	SUMS8
	VMULPS Y15, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	LEAQ (DX)(R8*8), DX
	SUBQ $8, CX
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
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMULSS X15, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, DX
	DECQ CX
	JMP  fs1

fsdone:
	VZEROUPPER
	RET

// func attnMixFMA(o, att, v *float32, stride, n, hd int)
// o[i] = sum over j < n, in order, of att[j] * v[j*stride+i], by FMA;
// hd is a multiple of 8. Up to 64 outputs stay in registers while every
// row goes past them.
TEXT ·attnMixFMA(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ att+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ hd+40(FP), R9
	SHLQ $2, R9 // bytes

fmblock:
	// A block of up to 64 outputs: eight accumulators when hd allows,
	// else one chunk at a time.
	CMPQ R9, $256
	JLT  fmchunk
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ n+32(FP), CX
	MOVQ DX, AX
	XORQ BX, BX
fmrow8:
	VBROADCASTSS (SI)(BX*4), Y8
	VFMADD231PS (AX), Y8, Y0
	VFMADD231PS 32(AX), Y8, Y1
	VFMADD231PS 64(AX), Y8, Y2
	VFMADD231PS 96(AX), Y8, Y3
	VFMADD231PS 128(AX), Y8, Y4
	VFMADD231PS 160(AX), Y8, Y5
	VFMADD231PS 192(AX), Y8, Y6
	VFMADD231PS 224(AX), Y8, Y7
	ADDQ R8, AX
	INCQ BX
	CMPQ BX, CX
	JLT  fmrow8
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, DX
	SUBQ $256, R9
	JNZ  fmblock
	VZEROUPPER
	RET

fmchunk:
	VXORPS Y0, Y0, Y0
	MOVQ n+32(FP), CX
	MOVQ DX, AX
	XORQ BX, BX
fmrow1:
	VBROADCASTSS (SI)(BX*4), Y8
	VFMADD231PS (AX), Y8, Y0
	ADDQ R8, AX
	INCQ BX
	CMPQ BX, CX
	JLT  fmrow1
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $32, R9
	JNZ  fmblock
	VZEROUPPER
	RET

// func attnScores4FMA(att, q, k *float32, stride, n, hd int, scale float32, astride int)
// The scores of four query heads that share a KV head (GQA): head h's
// query at q + h*hd, its scores at att + h*astride. Two keys at a time,
// each key chunk loaded once for the four heads; per score the sums and
// the reduction network are attnScoresFMA's. n is even; hd a multiple of 8.
TEXT ·attnScores4FMA(SB), NOSPLIT, $0-64
	MOVQ att+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVQ hd+40(FP), R9
	SHLQ $2, R9 // bytes of a head
	VBROADCASTSS scale+48(FP), Y15
	MOVQ astride+56(FP), R14
	SHLQ $2, R14
	LEAQ (R9)(R9*2), R10 // three heads of q
	LEAQ (R14)(R14*2), R11 // three rows of att
	LEAQ (R8)(R8*8), R13 // nine key rows

g4pair:
	TESTQ CX, CX
	JZ    g4done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ DX, AX // chunk of key j
	MOVQ SI, BX // chunk of head 0's query
	LEAQ (SI)(R9*1), R12 // end of head 0's query
g4chunk:
	PREFETCHT0 (AX)(R8*8) // the chunk of key j+8, then j+9: a cold
	PREFETCHT0 (AX)(R13*1) // cache's rows are a stride apart
	VMOVUPS (AX), Y8
	VMOVUPS (AX)(R8*1), Y9
	VFMADD231PS (BX), Y8, Y0
	VFMADD231PS (BX), Y9, Y1
	VFMADD231PS (BX)(R9*1), Y8, Y2
	VFMADD231PS (BX)(R9*1), Y9, Y3
	VFMADD231PS (BX)(R9*2), Y8, Y4
	VFMADD231PS (BX)(R9*2), Y9, Y5
	VFMADD231PS (BX)(R10*1), Y8, Y6
	VFMADD231PS (BX)(R10*1), Y9, Y7
	ADDQ $32, AX
	ADDQ $32, BX
	CMPQ BX, R12
	JLT  g4chunk
	SUMS8 // h0k0 h0k1 h1k0 h1k1 | h2k0 h2k1 h3k0 h3k1
	VMULPS Y15, Y1, Y1
	VMOVLPS X1, (DI)
	VMOVHPS X1, (DI)(R14*1)
	VEXTRACTF128 $1, Y1, X1
	VMOVLPS X1, (DI)(R14*2)
	VMOVHPS X1, (DI)(R11*1)
	ADDQ $8, DI
	LEAQ (DX)(R8*2), DX
	SUBQ $2, CX
	JMP  g4pair

g4done:
	VZEROUPPER
	RET

// func attnMix4FMA(o, att, v *float32, stride, n, hd, astride int)
// attnMixFMA for the four query heads sharing a KV head: head h's output
// at o + h*hd, its weights at att + h*astride. The head is done sixteen
// outputs at a time (then eight), each value row slice loaded once for
// the four heads; every output is the same running FMA sum, in key order,
// as attnMixFMA's, so results are bit for bit four attnMixFMA calls.
TEXT ·attnMix4FMA(SB), NOSPLIT, $0-56
	MOVQ o+0(FP), DI
	MOVQ att+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ hd+40(FP), R9
	SHLQ $2, R9 // bytes of a head
	MOVQ astride+48(FP), R14
	SHLQ $2, R14
	LEAQ (R14)(R14*2), R11
	LEAQ (R9)(R9*2), R12
	MOVQ R9, R13 // bytes of the head left

m4slice:
	CMPQ R13, $64
	JLT  m4half
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ n+32(FP), CX
	MOVQ DX, AX
	XORQ BX, BX
m4row:
	PREFETCHT0 (AX)(R8*8) // this slice of row +8
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	LEAQ (SI)(BX*4), R10
	VBROADCASTSS (R10), Y10
	VBROADCASTSS (R10)(R14*1), Y11
	VBROADCASTSS (R10)(R14*2), Y12
	VBROADCASTSS (R10)(R11*1), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ R8, AX
	INCQ BX
	CMPQ BX, CX
	JLT  m4row
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, (DI)(R9*1)
	VMOVUPS Y3, 32(DI)(R9*1)
	VMOVUPS Y4, (DI)(R9*2)
	VMOVUPS Y5, 32(DI)(R9*2)
	VMOVUPS Y6, (DI)(R12*1)
	VMOVUPS Y7, 32(DI)(R12*1)
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $64, R13
	JNZ  m4slice
	VZEROUPPER
	RET

m4half:
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	MOVQ n+32(FP), CX
	MOVQ DX, AX
	XORQ BX, BX
m4row8:
	PREFETCHT0 (AX)(R8*8)
	VMOVUPS (AX), Y8
	LEAQ (SI)(BX*4), R10
	VBROADCASTSS (R10), Y10
	VBROADCASTSS (R10)(R14*1), Y11
	VBROADCASTSS (R10)(R14*2), Y12
	VBROADCASTSS (R10)(R11*1), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y8, Y13, Y6
	ADDQ R8, AX
	INCQ BX
	CMPQ BX, CX
	JLT  m4row8
	VMOVUPS Y0, (DI)
	VMOVUPS Y2, (DI)(R9*1)
	VMOVUPS Y4, (DI)(R9*2)
	VMOVUPS Y6, (DI)(R12*1)
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $32, R13
	JNZ  m4slice
	VZEROUPPER
	RET
