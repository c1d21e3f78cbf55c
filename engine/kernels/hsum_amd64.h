// HSUM_FLOAT8 reduces the 8 floats of y (x its low half) into the low
// lane of x in the order of ggml's hsum_float_8: (lo+hi), then lanes
// (0+2)+(1+3). t is scratch. Every row dot that ends this way includes it,
// so that they all round the same.
#define HSUM_FLOAT8(y, x, t) \
	VEXTRACTF128 $1, y, t; \
	VADDPS t, x, x; \
	VMOVHLPS x, x, t; \
	VADDPS t, x, x; \
	VMOVSHDUP x, t; \
	VADDSS t, x, x
