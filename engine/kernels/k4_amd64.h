// K4_UTMP unpacks the twelve scale bytes of the Q4_K or Q5_K block at SI
// (4(SI)..15(SI)) with ggml's utmp trick: s ends with the eight 6-bit
// scales and u1 with the eight mins, a byte each, packed into 64 bits;
// u2, hi and t are clobbered. (Packed in registers: two 32-bit stores read
// back by one 64-bit load would miss store forwarding.) The row dots and
// four-token kernels of both types share it.
#define K4_UTMP(s, u1, u2, hi, t) \
	MOVL 4(SI), s; \
	MOVL 8(SI), u1; \
	MOVL 12(SI), u2; \
	MOVL u2, hi; \
	SHRL $4, hi; \
	ANDL $0x0f0f0f0f, hi; \
	MOVL u1, t; \
	SHRL $6, t; \
	ANDL $0x03030303, t; \
	SHLL $4, t; \
	ORL  t, hi; \
	ANDL $0x3f3f3f3f, u1; \
	ANDL $0x0f0f0f0f, u2; \
	MOVL s, t; \
	SHRL $6, t; \
	ANDL $0x03030303, t; \
	SHLL $4, t; \
	ORL  t, u2; \
	ANDL $0x3f3f3f3f, s; \
	SHLQ $32, u2; \
	ORQ  u2, s; \
	SHLQ $32, hi; \
	ORQ  hi, u1
