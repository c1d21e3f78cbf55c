//go:build arm64

package kernels

//go:noescape
func f16ToF32NEON(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16NEON(dst *uint16, src *float32, n int)

func f16ToF32Vec(dst []float32, src []uint16) int {
	n := len(src) &^ 7
	if n > 0 {
		_ = dst[n-1]
		f16ToF32NEON(&dst[0], &src[0], n)
	}
	return n
}

func f32ToF16Vec(dst []uint16, src []float32) int {
	n := len(src) &^ 7
	if n > 0 {
		_ = dst[n-1]
		f32ToF16NEON(&dst[0], &src[0], n)
	}
	return n
}
