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
