package kernels

import (
	"golang.org/x/sys/cpu"
)

//go:noescape
func dotQ8_0AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ4_0AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ8_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ4_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ4_0VNNI(w *byte, qs *int8, d *float32, corr *int32, nb int) float32

//go:noescape
func dotQ4_0x4VNNI(w *byte, qs *int8, d *float32, corr *int32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func gemmQ4_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

//go:noescape
func gemmQ4_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

//go:noescape
func gemmQ8_0x8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x8x4AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x1AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x2AVX2(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ8_0x8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ4_Kx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx8x8VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x2VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ5_Kx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func gemmQ6_Kx8x1VNNI(w *byte, qs *int8, d *float32, off *int32, nb int, out *float32)

//go:noescape
func gemmQ6_Kx8x4VNNI(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int)

//go:noescape
func dotQ8_0x4VNNI(w *byte, qs *int8, d *float32, corr *int32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ4_Kx4VNNI(w *byte, qs *int8, d *float32, bsums *int16, nb, qstride, dstride, bstride int, out *[4]float32)

//go:noescape
func dotQ6_Kx4AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ4_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32

//go:noescape
func dotQ6_KAVX2(w *byte, qs *int8, d *float32, bsums *int16, nb int) float32

//go:noescape
func dotF16AVX2(w *byte, x *float32, n int) float32

//go:noescape
func dotF32AVX2(w *byte, x *float32, n int) float32

//go:noescape
func quantizeQ8_0AVX2(x *float32, qs *int8, d *float32, nb int)

//go:noescape
func roundF16AVX2(dst, src *float32, n int)

// roundF16Slice sets dst[i] to src[i] rounded to f16 precision.
func roundF16Slice(dst, src []float32) {
	n := 0
	if hasAVX2 && len(src) >= 8 {
		n = len(src) &^ 7
		roundF16AVX2(&dst[0], &src[0], n)
	}
	for i := n; i < len(src); i++ {
		dst[i] = roundF16(src[i])
	}
}

// hasAVX2 gates every assembly kernel: AVX2 integer ops, FMA and F16C.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX

// fastDots are the assembly kernels behind the same signatures as the
// references. Callers guarantee nb >= 1 and in-range slices.
var fastDots = dotSet{
	q8_0: func(w []byte, a *Q8, blk0, nb int) float32 {
		return dotQ8_0AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
	},
	q4_0: func(w []byte, a *Q8, blk0, nb int) float32 {
		return dotQ4_0AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
	},
	q4_K: func(w []byte, a *Q8, blk0, nb int) float32 {
		return dotQ4_KAVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
	},
	q6_K: func(w []byte, a *Q8, blk0, nb int) float32 {
		return dotQ6_KAVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb)
	},
	q8_0x4: func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
		dotQ8_0x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
	},
	q4_0x4: func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
		dotQ4_0x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
	},
	f16: func(w []byte, x []float32) float32 {
		n := len(x) &^ 31
		s := float32(0)
		if n > 0 {
			s = dotF16AVX2(&w[0], &x[0], n)
		}
		if n < len(x) {
			s += refDotF16(w[2*n:], x[n:])
		}
		return s
	},
	f32: func(w []byte, x []float32) float32 {
		n := len(x) &^ 31
		s := float32(0)
		if n > 0 {
			s = dotF32AVX2(&w[0], &x[0], n)
		}
		if n < len(x) {
			s += refDotF32(w[4*n:], x[n:])
		}
		return s
	},
}

// hasVNNI adds the AVX-512 VNNI Q4_0 kernel (vpdpbusd and embedded
// broadcasts on 256-bit registers).
var hasVNNI = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

// packedQ4_0AVX2 are the packed Q4_0 kernels for CPUs with AVX2 but not
// AVX-512 VNNI (bit for bit the VNNI ones); they need the VNNI set's Off,
// so quantization makes it (needCorr).
var packedQ4_0AVX2 = struct {
	x1     func(w []byte, a *Q8, blk0, nb int, out []float32)
	x2, x4 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
}{
	x1: func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		gemmQ4_0x8x1AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, 0, 0, &out[0], 0)
	},
	x2: func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[ostride+7]
		_ = a.Off[blk0+2*nb-1]
		gemmQ4_0x8x2AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	},
	x4: func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[3*ostride+7]
		_ = a.Off[blk0+4*nb-1]
		gemmQ4_0x8x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
	},
}

// packedQ4_KAVX2 are the packed Q4_K kernels for CPUs with AVX2 but not
// AVX-512 VNNI (one and two tokens; bit for bit the VNNI ones).
var packedQ4_KAVX2 = struct {
	x1 func(w []byte, a *Q8, blk0, nb int, out []float32)
	x2 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
}{
	x1: func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		gemmQ4_Kx8x1AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 0)
	},
	x2: func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[ostride+7]
		_ = a.Off[(blk0+2*nb)*4-1]
		gemmQ4_Kx8x2AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
	},
}

// packedQ5_KAVX2 are the packed Q5_K kernels for CPUs with AVX2 but not
// AVX-512 VNNI (one and two tokens; bit for bit the VNNI ones).
var packedQ5_KAVX2 = struct {
	x1 func(w []byte, a *Q8, blk0, nb int, out []float32)
	x2 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
}{
	x1: func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		_ = w[nb*q5KPackedBlock-1]
		gemmQ5_Kx8x1AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 0)
	},
	x2: func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[ostride+7]
		_ = w[nb*q5KPackedBlock-1]
		_ = a.Off[(blk0+2*nb)*4-1]
		gemmQ5_Kx8x2AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
	},
}

// packedQ6_KAVX2 are the packed Q6_K kernels for CPUs with AVX2 but not
// AVX-512 VNNI (one and two tokens; bit for bit the VNNI ones).
var packedQ6_KAVX2 = struct {
	x1 func(w []byte, a *Q8, blk0, nb int, out []float32)
	x2 func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int)
}{
	x1: func(w []byte, a *Q8, blk0, nb int, out []float32) {
		_ = out[7]
		gemmQ6_Kx8x1AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, nb*QK_K, nb*4, nb*64, &out[0], 0)
	},
	x2: func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		_ = out[ostride+7]
		_ = a.Off[(blk0+2*nb)*16-1]
		gemmQ6_Kx8x2AVX2(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, nb*QK_K, nb*4, nb*64, &out[0], 4*ostride)
	},
}

// avx2Dots is the set an AVX2-only CPU runs: fastDots before the AVX-512
// additions, with the AVX2 packed kernels.
var avx2Dots dotSet

func init() {
	if hasAVX2 {
		fastDots.f16rows, fastDots.bf16rows = f16TilesAVX2.rows, bf16TilesAVX2.rows
	}
	avx2Dots = fastDots
	avx2Dots.q4_0x8x1, avx2Dots.q4_0x8x2, avx2Dots.q4_0x8x4 = packedQ4_0AVX2.x1, packedQ4_0AVX2.x2, packedQ4_0AVX2.x4
	avx2Dots.q4_Kx8x1, avx2Dots.q4_Kx8x2 = packedQ4_KAVX2.x1, packedQ4_KAVX2.x2
	avx2Dots.q5_Kx8x1, avx2Dots.q5_Kx8x2 = packedQ5_KAVX2.x1, packedQ5_KAVX2.x2
	avx2Dots.q6_Kx8x1, avx2Dots.q6_Kx8x2 = packedQ6_KAVX2.x1, packedQ6_KAVX2.x2
	addLegacyPackedAVX2(&avx2Dots)
	addXSAVX2(&avx2Dots)
	avx2Dots.needCorr = true // Q8.Off for the packed kernels
	if hasAVX2 && !hasVNNI {
		fastDots = avx2Dots
	}
	if hasVNNI {
		fastDots.q4_0 = func(w []byte, a *Q8, blk0, nb int) float32 {
			return dotQ4_0VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Corr[blk0*8], nb)
		}
		fastDots.q4_0x4 = func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
			dotQ4_0x4VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Corr[blk0*8], nb, tokBlocks*32, tokBlocks*4, out)
		}
		fastDots.q8_0x4 = func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
			dotQ8_0x4VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Corr[blk0*8], nb, tokBlocks*32, tokBlocks*4, out)
		}
		fastDots.q4_Kx4 = func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
			dotQ4_Kx4VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.BSums[blk0*16], nb, tokBlocks*QK_K, tokBlocks*4, tokBlocks*32, out)
		}
		fastDots.q4_0x8x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
			_ = out[7]
			gemmQ4_0x8x1VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, &out[0])
		}
		fastDots.q4_0x8x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[3*ostride+7]
			_ = a.Off[blk0+4*nb-1]
			gemmQ4_0x8x4VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
		}
		fastDots.q8_0x8x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
			_ = out[7]
			gemmQ8_0x8x1VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, &out[0])
		}
		fastDots.q8_0x8x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[3*ostride+7]
			_ = a.Off[blk0+4*nb-1]
			gemmQ8_0x8x4VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
		}
		fastDots.q4_0x8x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[ostride+7]
			_ = a.Off[blk0+2*nb-1]
			gemmQ4_0x8x2VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
		}
		fastDots.q8_0x8x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[ostride+7]
			_ = a.Off[blk0+2*nb-1]
			gemmQ8_0x8x2VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
		}
		fastDots.q4_0x8x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[7*ostride+7]
			_ = a.Off[blk0+8*nb-1]
			gemmQ4_0x8x8VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
		}
		fastDots.q8_0x8x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[7*ostride+7]
			_ = a.Off[blk0+8*nb-1]
			gemmQ8_0x8x8VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb, nb*32, nb*4, &out[0], 4*ostride)
		}
		fastDots.needCorr = true
	}
	if hasAVX512BW && hasVNNI {
		addRows16(&fastDots)
		addXSAVX2(&fastDots) // IQ3 matrices of an odd number of eight-row groups
		addLegacyPacked(&fastDots)
		fastDots.q6_Kx8x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
			_ = out[7]
			gemmQ6_Kx8x1VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, &out[0])
		}
		fastDots.q4_Kx8x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
			_ = out[7]
			gemmQ4_Kx8x1VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 0)
		}
		fastDots.q4_Kx8x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[ostride+7]
			_ = a.Off[(blk0+2*nb)*4-1]
			gemmQ4_Kx8x2VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
		}
		fastDots.q4_Kx8x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[3*ostride+7]
			_ = a.Off[(blk0+4*nb)*4-1]
			gemmQ4_Kx8x4VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
		}
		fastDots.q4_Kx8x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[7*ostride+7]
			_ = a.Off[(blk0+8*nb)*4-1]
			gemmQ4_Kx8x8VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
		}
		fastDots.q5_Kx8x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[7*ostride+7]
			_ = a.Off[(blk0+8*nb)*4-1]
			gemmQ5_Kx8x8VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
		}
		fastDots.q5_Kx8x1 = func(w []byte, a *Q8, blk0, nb int, out []float32) {
			_ = out[7]
			gemmQ5_Kx8x1VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 0)
		}
		fastDots.q5_Kx8x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[ostride+7]
			_ = a.Off[(blk0+2*nb)*4-1]
			gemmQ5_Kx8x2VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
		}
		fastDots.q5_Kx8x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[3*ostride+7]
			_ = a.Off[(blk0+4*nb)*4-1]
			gemmQ5_Kx8x4VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*4], nb, nb*QK_K, nb*4, nb*16, &out[0], 4*ostride)
		}
		fastDots.q6_Kx8x8 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[7*ostride+7]
			_ = a.Off[(blk0+8*nb)*16-1]
			gemmQ6_Kx8x8VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, nb*QK_K, nb*4, nb*64, &out[0], 4*ostride)
		}
		fastDots.q6_Kx8x2 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[ostride+7]
			_ = a.Off[(blk0+2*nb)*16-1]
			gemmQ6_Kx8x2VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, nb*QK_K, nb*4, nb*64, &out[0], 4*ostride)
		}
		fastDots.q6_Kx8x4 = func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[3*ostride+7]
			_ = a.Off[(blk0+4*nb)*16-1]
			gemmQ6_Kx8x4VNNI(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*16], nb, nb*QK_K, nb*4, nb*64, &out[0], 4*ostride)
		}
	}
	fastDots.wide = hasAVX512BW
	if hasAVX512 {
		fastDots.f16rows = f16Tiles.rows
		fastDots.bf16rows = bf16Tiles.rows
		if hasAVX512BF16 {
			fastDots.bf16rows, fastDots.bf16DP = bf16DPRows, true
		}
	}
	if hasAVX512BW {
		fastDots.q6_Kx4 = func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
			dotQ6_Kx4AVX512(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, tokBlocks*QK_K, tokBlocks*4, out)
		}
	}
}

// hasAVX512BW adds the four-token Q6_K kernel, which needs AVX-512's
// upper sixteen vector registers for byte and word instructions.
var hasAVX512BW = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BW

func init() {
	useFast()
	if hasAVX2 {
		quantizeQ8_0Blocks = func(dst *Q8, x []float32, b0 int) {
			quantizeQ8_0AVX2(&x[0], &dst.Qs[b0*QK8_0], &dst.D[b0], len(x)/QK8_0)
		}
	}
}

// UseAVX2Only switches to the kernels a CPU with AVX2 but no AVX-512 runs,
// so that tests on an AVX-512 machine cover them end to end; it reports
// false (and changes nothing) without AVX2. UseReference(false) switches
// back. Like UseReference it must not be called while a MatMul runs. A
// matrix packed before the switch stays valid; layouts and types this set
// has no packed kernel for (LayoutRows16, Q8_0, Q5_K) then run on the Go
// reference of the layout.
func UseAVX2Only() bool {
	if !hasAVX2 {
		return false
	}
	active, activeName = avx2Dots, "avx2"
	return true
}

func useFast() {
	if hasVNNI {
		active, activeName = fastDots, "avx2+avx512vnni"
		return
	}
	if hasAVX2 {
		active, activeName = fastDots, "avx2"
		return
	}
	active, activeName = refDots, "ref"
}

//go:noescape
func attnScoresAVX2(att, q, k *float32, stride, n, hd int, scale float32)

//go:noescape
func attnScoresFMA(att, q, k *float32, stride, n, hd int, scale float32)

//go:noescape
func attnScores4FMA(att, q, k *float32, stride, n, hd int, scale float32, astride int)

//go:noescape
func attnMix4FMA(o, att, v *float32, stride, n, hd, astride int)

//go:noescape
func attnScores4FMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32, astride int)

//go:noescape
func attnMix4FMA16(o, att *float32, v *uint16, stride, n, hd, astride int)

//go:noescape
func attnMixFMA(o, att, v *float32, stride, n, hd int)

//go:noescape
func attnMixAVX2(o, att, v *float32, stride, n, hd int)

//go:noescape
func attnScoresFMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32)

//go:noescape
func attnMixFMA16(o, att *float32, v *uint16, stride, n, hd int)
