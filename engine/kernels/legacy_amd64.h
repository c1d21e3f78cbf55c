// Macros shared by the legacy types' row dots (dot_legacy_amd64.s and
// dot_legacy_vnni_amd64.s).

// CHAIN4 adds the four floats of X<t> to X0 one by one, in order: the
// serial sumf += t_b of ggml's generic loops over four blocks, which the
// legacy row dots (dot_legacy_amd64.s, dot_legacy_vnni_amd64.s) keep so
// that they equal the references bit for bit. X1 is scratch.
#define CHAIN4(t) \
	VADDSS    t, X0, X0; \
	VMOVSHDUP t, X1; \
	VADDSS    X1, X0, X0; \
	VPERMILPS $0xaa, t, X1; \
	VADDSS    X1, X0, X0; \
	VPERMILPS $0xff, t, X1; \
	VADDSS    X1, X0, X0

// Q5_0_FLOATS4 finishes four Q5_0 blocks (22 bytes each, at SI) from
// their int32 sums in X4: t_b = (d_b·dy_b)·sumi_b, dy at DX, then
// CHAIN4. X5 is scratch, AX too.
#define Q5_0_FLOATS4 \
	VCVTDQ2PS X4, X4; \
	MOVWLZX   0(SI), AX; \
	VMOVD     AX, X5; \
	VPINSRW   $1, 22(SI), X5, X5; \
	VPINSRW   $2, 44(SI), X5, X5; \
	VPINSRW   $3, 66(SI), X5, X5; \
	VCVTPH2PS X5, X5; \
	VMULPS    (DX), X5, X5; \
	VMULPS    X4, X5, X5; \
	CHAIN4(X5)

// DM4 leaves in Y7 the (d, m) scales of four Q4_1/Q5_1 blocks of bs bytes
// at SI, deinterleaved to [d0..3 | m0..3] (the table is
// dot_legacy_amd64.s's). Y8 and AX are scratch.
#define DM4(bs) \
	MOVL      0(SI), AX; \
	VMOVD     AX, X7; \
	VPINSRD   $1, bs(SI), X7, X7; \
	VPINSRD   $2, (2*bs)(SI), X7, X7; \
	VPINSRD   $3, (3*bs)(SI), X7, X7; \
	VCVTPH2PS X7, Y7; \
	VMOVDQU   ·legacyDeintIdx(SB), Y8; \
	VPERMPS   Y7, Y8, Y7

// HSUM_I32 leaves the sum of the 8 int32 of Y<v> in every lane of X<v>.
#define HSUM_I32(v, xv, xt) \
	VEXTRACTI128 $1, v, xt; \
	VPADDD xt, xv, xv; \
	VPSHUFD $0x4e, xv, xt; \
	VPADDD xt, xv, xv; \
	VPSHUFD $0xb1, xv, xt; \
	VPADDD xt, xv, xv

// Q5_0_FLOAT1 finishes one Q5_0 block from its int32 sum in X4:
// sumf += (d·dy)·sumi. X5 and AX are scratch.
#define Q5_0_FLOAT1 \
	VCVTDQ2PS X4, X4; \
	MOVWLZX   0(SI), AX; \
	VMOVD     AX, X5; \
	VCVTPH2PS X5, X5; \
	VMULSS    (DX), X5, X5; \
	VMULSS    X4, X5, X5; \
	VADDSS    X5, X0, X0
