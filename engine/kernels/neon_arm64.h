// NEON instructions Go's arm64 assembler has no mnemonic for, as WORDs.
// Arguments are register numbers (0-31; m below 16 where noted). Each
// encoding was compared with GNU as's, and the kernels that use them are
// held to the Go references and lane models (make test-arm64 runs them
// under qemu-aarch64); aarch64-linux-gnu-objdump -d reads them back.

// SDOT Vd.4S, Vn.16B, Vm.16B (ARMv8.2 dotprod): each int32 lane of d
// gains the dot product of four signed bytes of n and m.
#define SDOT(m, n, d) WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d))

// SCVTF Vd.4S, Vn.4S: int32 lanes to float32.
#define SCVTF4(n, d) WORD $(0x4E21D800 | ((n)<<5) | (d))

// FMLA Vd.4S, Vn.4S, Vm.S[0] (m < 16): d += n * lane 0 of m.
#define FMLAE(m, n, d) WORD $(0x4F801000 | ((m)<<16) | ((n)<<5) | (d))

// FADD Vd.4S, Vn.4S, Vm.4S.
#define FADD4(m, n, d) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))

// FADDP Vd.4S, Vn.4S, Vm.4S: pairwise sums, n's pairs first.
#define FADDP4(m, n, d) WORD $(0x6E20D400 | ((m)<<16) | ((n)<<5) | (d))

// FADDP Sd, Vn.2S: lane 0 + lane 1.
#define FADDPS(n, d) WORD $(0x7E30D800 | ((n)<<5) | (d))

// FCVTL Vd.4S, Vn.4H and FCVTL2 Vd.4S, Vn.8H: f16 lanes (low or high
// half of n) to float32.
#define FCVTL(n, d) WORD $(0x0E217800 | ((n)<<5) | (d))
#define FCVTL2(n, d) WORD $(0x4E217800 | ((n)<<5) | (d))

// ADDP Vd.8H, Vn.8H, Vm.8H.
#define ADDP8H(m, n, d) WORD $(0x4E60BC00 | ((m)<<16) | ((n)<<5) | (d))

// SMULL Vd.4S, Vn.4H, Vm.4H, SMLAL2 Vd.4S, Vn.8H, Vm.8H and SMLAL
// Vd.4S, Vn.4H, Vm.4H: widening int16 products of the low (high) halves.
#define SMULL4(m, n, d) WORD $(0x0E60C000 | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL24(m, n, d) WORD $(0x4E608000 | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL4(m, n, d) WORD $(0x0E608000 | ((m)<<16) | ((n)<<5) | (d))
#define SMULL24(m, n, d) WORD $(0x4E60C000 | ((m)<<16) | ((n)<<5) | (d))

// ADDP Vd.4S, Vn.4S, Vm.4S: pairwise int32 sums, n's pairs first.
#define ADDP4(m, n, d) WORD $(0x4EA0BC00 | ((m)<<16) | ((n)<<5) | (d))

// SXTL Vd.8H, Vn.8B; SXTL2 Vd.8H, Vn.16B; SXTL Vd.4S, Vn.4H; SXTL2
// Vd.4S, Vn.8H (sign extension: SSHLL #0). UXTL the same for unsigned.
#define SXTL8H(n, d) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define SXTL4S(n, d) WORD $(0x0F10A400 | ((n)<<5) | (d))
#define SXTL24S(n, d) WORD $(0x4F10A400 | ((n)<<5) | (d))
#define SXTL28H(n, d) WORD $(0x4F08A400 | ((n)<<5) | (d))
#define UXTL8H(n, d) WORD $(0x2F08A400 | ((n)<<5) | (d))
#define UXTL28H(n, d) WORD $(0x6F08A400 | ((n)<<5) | (d))
#define UXTL4S(n, d) WORD $(0x2F10A400 | ((n)<<5) | (d))
#define UXTL24S(n, d) WORD $(0x6F10A400 | ((n)<<5) | (d))

// ADDV Sd, Vn.4S: the sum of n's int32 lanes.
#define ADDV4(n, d) WORD $(0x4EB1B800 | ((n)<<5) | (d))

// SCVTF Sd, Sn: lane 0 int32 to float32.
#define SCVTFS(n, d) WORD $(0x5E21D800 | ((n)<<5) | (d))

// MLA Vd.4S, Vn.4S, Vm.S[idx]: d += n * lane idx of m.
#define MLAE4(m, idx, n, d) WORD $(0x6F800000 | (((idx)&1)<<21) | (((idx)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// MOVI Vd.2D, #0: d = 0, for macros that take register numbers.
#define VZERO(d) WORD $(0x6F00E400 | (d))

// HSUM8 leaves in S28 ggml's hsum_float_8 of the float lanes V28:V29:
// (lo+hi), then (0+2)+(1+3). HSUM_HADD is GGML_F32x8_REDUCE's order:
// (lo+hi), then (0+1)+(2+3). Both clobber V29.
#define HSUM8 \
	FADD4(29, 28, 28) \
	VEXT $8, V28.B16, V28.B16, V29.B16 \
	FADD4(29, 28, 28) \
	FADDPS(28, 28)

#define HSUM_HADD \
	FADD4(29, 28, 28) \
	FADDP4(28, 28, 28) \
	FADDPS(28, 28)

// BLOCK_LANES: the weights of one 32-value block in V0:V1 (values 0-15 :
// 16-31), its activations in V2:V3, the f16 weight scale in R4 and the
// activation scale in F5: the block's eight int32 lanes, converted, times
// the two scales' product, fused into the float lanes lo:hi. Clobbers
// V4, V6, V7.
#define BLOCK_LANES(lo, hi) \
	VEOR    V4.B16, V4.B16, V4.B16 \
	VEOR    V7.B16, V7.B16, V7.B16 \
	SDOT(2, 0, 4) \
	SDOT(3, 1, 7) \
	SCVTF4(4, 4) \
	SCVTF4(7, 7) \
	FMOVS   R4, F6 \
	FCVTHS  F6, F6 \
	FMULS   F5, F6, F6 \
	FMLAE(6, 4, lo) \
	FMLAE(6, 7, hi)

// DOTS_K: two 32-value sub-blocks, their quants in V4:V5 and V0:V1
// (values 0-15 : 16-31) and activations in V8:V9 and V10:V11, add their
// dots times their scales (lane s0i of V(s0), lane s1i of V(s1)) to the
// lanes V16 (values 0-15) and V17 (16-31).
#define DOTS_K(s0, s0i, s1, s1i) \
	VEOR   V12.B16, V12.B16, V12.B16 \
	VEOR   V13.B16, V13.B16, V13.B16 \
	VEOR   V14.B16, V14.B16, V14.B16 \
	VEOR   V15.B16, V15.B16, V15.B16 \
	SDOT(8, 4, 12) \
	SDOT(9, 5, 13) \
	SDOT(10, 0, 14) \
	SDOT(11, 1, 15) \
	MLAE4(s0, s0i, 12, 16) \
	MLAE4(s0, s0i, 13, 17) \
	MLAE4(s1, s1i, 14, 16) \
	MLAE4(s1, s1i, 15, 17)

// BLOCK_FMA ends a 256-value block whose int32 lanes are in V16:V17: the
// lanes converted, times f16(dreg)·a.D (a.D read at R2, moving on; left
// in F12), fused into the float lanes V28:V29. Clobbers F13.
#define BLOCK_FMA(dreg) \
	SCVTF4(16, 16) \
	SCVTF4(17, 17) \
	FMOVS.P 4(R2), F12 \
	FMOVS   dreg, F13 \
	FCVTHS  F13, F13 \
	FMULS   F12, F13, F13 \
	FMLAE(13, 16, 28) \
	FMLAE(13, 17, 29)

// Float vector arithmetic for the attention and exp kernels (attn_arm64.s,
// exp_arm64.s), all on 4S lanes unless named: FMLA4 d += n*m and FMLS4
// d -= n*m (each fused, one rounding, as VFMADD231PS and VFNMADD231PS),
// FMUL4 d = n*m, FMULE d = n * lane 0 of m (m < 16), FDIV4 d = n/m,
// FSUB4 d = n-m, FMAX4 and FMIN4 (a NaN operand gives NaN), FNEG4.
#define FMLA4(m, n, d) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMLS4(m, n, d) WORD $(0x4EA0CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMUL4(m, n, d) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMULE(m, n, d) WORD $(0x4F809000 | ((m)<<16) | ((n)<<5) | (d))
#define FDIV4(m, n, d) WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB4(m, n, d) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMAX4(m, n, d) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMIN4(m, n, d) WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
#define FNEG4(n, d) WORD $(0x6EA0F800 | ((n)<<5) | (d))

// FMAXV Sd, Vn.4S: the largest lane.
#define FMAXV4(n, d) WORD $(0x6E30F800 | ((n)<<5) | (d))

// SSHR Vd.4S, Vn.4S, #1: arithmetic shift right of int32 lanes.
#define SSHR4_1(n, d) WORD $(0x4F3F0400 | ((n)<<5) | (d))

// FCVTL Vd.2D, Vn.2S and FCVTL2 Vd.2D, Vn.4S: float32 lanes 0-1 (2-3)
// widened to float64; FADD2D d = n+m on 2D lanes; FADDPD Dd = lane 0 +
// lane 1 of n.
#define FCVTL2D(n, d) WORD $(0x0E617800 | ((n)<<5) | (d))
#define FCVTL22D(n, d) WORD $(0x4E617800 | ((n)<<5) | (d))
#define FADD2D(m, n, d) WORD $(0x4E60D400 | ((m)<<16) | ((n)<<5) | (d))
#define FADDPD(n, d) WORD $(0x7E70D800 | ((n)<<5) | (d))

// FCVTN Vd.4H, Vn.4S and FCVTN2 Vd.8H, Vn.4S: float32 lanes narrowed to
// f16 (to nearest, ties to even, as FPCR is left by Go) into the low
// (high) half of d.
#define FCVTN4H(n, d) WORD $(0x0E216800 | ((n)<<5) | (d))
#define FCVTN28H(n, d) WORD $(0x4E216800 | ((n)<<5) | (d))

// FMLA Vd.4S, Vn.4S, Vm.S[idx] (m < 16): d += n * lane idx of m.
#define FMLAEI(m, idx, n, d) WORD $(0x4F801000 | (((idx)&1)<<21) | (((idx)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// SDOT Vd.4S, Vn.16B, Vm.4B[idx]: each int32 lane j of d gains the dot
// product of bytes 4j..4j+3 of n with bytes 4idx..4idx+3 of m (any m).
#define SDOTE(m, idx, n, d) WORD $(0x4F80E000 | (((idx)&1)<<21) | (((idx)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

// MLA Vd.4S, Vn.4S, Vm.4S: d += n*m on int32 lanes.
#define MLA4S(m, n, d) WORD $(0x4EA09400 | ((m)<<16) | ((n)<<5) | (d))
