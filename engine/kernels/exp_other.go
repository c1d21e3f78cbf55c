//go:build !amd64 && !arm64

package kernels

// Other architectures run softmaxGo, swigluGo and the Go attention loops:
// floatSIMD is false there, so nothing below is called.

func floatSIMD() bool { return false }

func vecMax(x []float32) float32 { panic("kernels: no vector kernels on this architecture") }

func vecExpSub(x []float32, m float32) float64 {
	panic("kernels: no vector kernels on this architecture")
}

func vecScale(x []float32, s float32) { panic("kernels: no vector kernels on this architecture") }

func vecSwiGLU(h, gate, up []float32) { panic("kernels: no vector kernels on this architecture") }

func attnScoresFMA(att, q, k *float32, stride, n, hd int, scale float32) {
	panic("kernels: no vector kernels on this architecture")
}

func attnMixFMA(o, att, v *float32, stride, n, hd int) {
	panic("kernels: no vector kernels on this architecture")
}

func attnScores4FMA(att, q, k *float32, stride, n, hd int, scale float32, astride int) {
	panic("kernels: no vector kernels on this architecture")
}

func attnMix4FMA(o, att, v *float32, stride, n, hd, astride int) {
	panic("kernels: no vector kernels on this architecture")
}

func attnScores4FMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32, astride int) {
	panic("kernels: no vector kernels on this architecture")
}

func attnMix4FMA16(o, att *float32, v *uint16, stride, n, hd, astride int) {
	panic("kernels: no vector kernels on this architecture")
}

func attnScoresFMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32) {
	panic("kernels: no vector kernels on this architecture")
}

func attnMixFMA16(o, att *float32, v *uint16, stride, n, hd int) {
	panic("kernels: no vector kernels on this architecture")
}
