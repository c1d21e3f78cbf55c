package kernels

//go:noescape
func f16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16AVX2(dst *uint16, src *float32, n int)

func f16ToF32Vec(dst []float32, src []uint16) int {
	if !hasAVX2 || len(src) < 8 {
		return 0
	}
	n := len(src) &^ 7
	f16ToF32AVX2(&dst[0], &src[0], n)
	return n
}

func f32ToF16Vec(dst []uint16, src []float32) int {
	if !hasAVX2 || len(src) < 8 {
		return 0
	}
	n := len(src) &^ 7
	f32ToF16AVX2(&dst[0], &src[0], n)
	return n
}
