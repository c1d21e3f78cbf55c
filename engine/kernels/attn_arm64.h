// Pieces shared by the NEON attention kernels (attn_arm64.s: one head;
// attn4_arm64.s: four heads sharing a KV head). Included before any
// TEXT block, where vet takes S_ARGS's and M_ARGS's argument references
// for the kernel that expands them.

#define ZERO8 \
	VZERO(0) \
	VZERO(1) \
	VZERO(2) \
	VZERO(3) \
	VZERO(4) \
	VZERO(5) \
	VZERO(6) \
	VZERO(7)

#define ZERO16 \
	ZERO8 \
	VZERO(8) \
	VZERO(9) \
	VZERO(10) \
	VZERO(11) \
	VZERO(12) \
	VZERO(13) \
	VZERO(14) \
	VZERO(15)

// S_ARGS loads the one-head scores' arguments: R0 att, R1 q, R2 key j's
// row, R3 the row stride in bytes (elements << eshift), R4 n, R5 the
// head's bytes of q, V31 the scale in every lane.
#define S_ARGS(eshift) \
	MOVD  att+0(FP), R0 \
	MOVD  q+8(FP), R1 \
	MOVD  k+16(FP), R2 \
	MOVD  stride+24(FP), R3 \
	LSL   $eshift, R3, R3 \
	MOVD  n+32(FP), R4 \
	MOVD  hd+40(FP), R5 \
	LSL   $2, R5, R5 \
	FMOVS scale+48(FP), F31 \
	VDUP  V31.S[0], V31.S4

// M_ARGS loads a one-head mix's arguments: R0 o, R1 att, R2 the values'
// current slice in row 0, R3 the row stride in bytes, R5 hd (outputs to
// go).
#define M_ARGS(eshift) \
	MOVD o+0(FP), R0 \
	MOVD att+8(FP), R1 \
	MOVD v+16(FP), R2 \
	MOVD stride+24(FP), R3 \
	LSL  $eshift, R3, R3 \
	MOVD hd+40(FP), R5
