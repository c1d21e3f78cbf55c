#include "textflag.h"
#include "x8_amd64.h"

// Q4_0 and Q8_0 weights repacked eight rows at a time (see pack.go),
// multiplied with AVX-512 VNNI on 256-bit registers. Each int32 lane is one weight
// row, so a block of eight rows against one token is eight vpdpbusd whose
// activation operand is one dword of the token's quants broadcast from
// memory: no per-row unpacking, no horizontal sums, and the weight unpack
// is shared by every token of the call.
//
// Per token and block the arithmetic is fixed: the int32 dot starts at
// the token's Q8.Off (-8 times the block's quant sum, the nibbles' offset),
// adds the even dwords' products in one register and the odd ones' in
// another, sums the two, converts to float and adds it times (weight scale
// times activation scale) with one FMA. The one- and four-token kernels do
// exactly this, so a token's result does not depend on its batch.

// func gemmQ4_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ4_0x8x1VNNI(SB), NOSPLIT, $0-48
	X1_PROLOGUE
	NIBBLE_MASK

g1loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	TOKEN8(R12*1, R12*1, Y0, ;)
	NEXT_BLOCK(144)
	JNZ  g1loop

	X1_EPILOGUE

// func gemmQ4_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
//
// Four tokens: token t's quants are at qs + t*qstride, its scales and
// offsets at d, off + t*dstride (bytes), its eight results at out +
// t*ostride.
TEXT ·gemmQ4_0x8x4VNNI(SB), NOSPLIT, $0-72
	X4_PROLOGUE
	NIBBLE_MASK

g4loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	TOKEN8(R12*1, R12*1, Y0, ;)
	TOKEN8(R8*1, R10*1, Y1, ;)
	TOKEN8(R8*2, R10*2, Y2, ;)
	TOKEN8(R9*1, R11*1, Y3, ;)
	NEXT_BLOCK(144)
	JNZ  g4loop

	X4_EPILOGUE

// func gemmQ8_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)
TEXT ·gemmQ8_0x8x1VNNI(SB), NOSPLIT, $0-48
	X1_PROLOGUE
	FLIP_MASK

q1loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	NEXT_BLOCK(272)
	JNZ  q1loop

	X1_EPILOGUE

// func gemmQ8_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x4VNNI(SB), NOSPLIT, $0-72
	X4_PROLOGUE
	FLIP_MASK

q4loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	TOKEN8(R8*1, R10*1, Y1, Q8_0_OFF)
	TOKEN8(R8*2, R10*2, Y2, Q8_0_OFF)
	TOKEN8(R9*1, R11*1, Y3, Q8_0_OFF)
	NEXT_BLOCK(272)
	JNZ  q4loop

	X4_EPILOGUE

// func gemmQ4_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x8VNNI(SB), NOSPLIT, $0-72
	X8_PROLOGUE
	NIBBLE_MASK

g8loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	X8_TOKENS(;)
	X8_NEXT(144)
	JNZ g8loop
	X8_EPILOGUE

// func gemmQ8_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x8VNNI(SB), NOSPLIT, $0-72
	X8_PROLOGUE
	FLIP_MASK

q8loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	X8_TOKENS(Q8_0_OFF)
	X8_NEXT(272)
	JNZ q8loop
	X8_EPILOGUE

// Two tokens, so that a two-sequence decode step computes both while the
// weights stream in once (two one-token passes left memory idle during
// the second).
// func gemmQ4_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ4_0x8x2VNNI(SB), NOSPLIT, $0-72
	X2_PROLOGUE
	NIBBLE_MASK

g2loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	UNPACK8
	TOKEN8(R12*1, R12*1, Y0, ;)
	TOKEN8(R8*1, R10*1, Y1, ;)
	NEXT_BLOCK(144)
	JNZ  g2loop
	X2_EPILOGUE

// func gemmQ8_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)
TEXT ·gemmQ8_0x8x2VNNI(SB), NOSPLIT, $0-72
	X2_PROLOGUE
	FLIP_MASK

q2loop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	PREFETCHT0 4288(SI)
	PREFETCHT0 4352(SI)
	UNPACK8_Q8_0
	TOKEN8(R12*1, R12*1, Y0, Q8_0_OFF)
	TOKEN8(R8*1, R10*1, Y1, Q8_0_OFF)
	NEXT_BLOCK(272)
	JNZ  q2loop
	X2_EPILOGUE
