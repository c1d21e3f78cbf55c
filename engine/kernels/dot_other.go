//go:build !amd64

package kernels

// Off amd64 there are no AVX kernels: the AVX entry points below are
// never selected. The dot set is chosen in dot_arm64.go (NEON) or
// dot_generic.go (the pure-Go references).

var hasAVX2, hasVNNI, hasAVX512BW = false, false, false

// roundF16Slice sets dst[i] to src[i] rounded to f16 precision.
func roundF16Slice(dst, src []float32) {
	for i, v := range src {
		dst[i] = roundF16(v)
	}
}

func attnScoresAVX2(att, q, k *float32, stride, n, hd int, scale float32) {
	panic("kernels: no AVX2 on this architecture")
}

func attnMixAVX2(o, att, v *float32, stride, n, hd int) {
	panic("kernels: no AVX2 on this architecture")
}

// UseAVX2Only reports false: there is no AVX2 on this architecture.
func UseAVX2Only() bool { return false }

// hasAVX512 is false off amd64: no tile kernels.
var hasAVX512 = false

// legacyWide: no AVX-512 VNNI forms of the legacy row dots here.
func legacyWide() bool { return false }
