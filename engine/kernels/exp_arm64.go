//go:build arm64

package kernels

// The float kernels of Softmax, SwiGLU and attention run in NEON on every
// arm64 CPU (exp_arm64.s, attn_arm64.s): NEON is part of the base
// architecture. The wrappers here give the vector bodies whole groups and
// run the few values past them on the Go forms, which compute the same
// bits.

// floatSIMD: the vector float kernels run, unless UseReference(true) is in
// force; CPUs without the dot product instructions run them too.
func floatSIMD() bool { return !refRequested }

func vecMax(x []float32) float32 {
	n := len(x) &^ 3
	m := x[0]
	if n > 0 {
		m = maxNEON(&x[0], n)
	}
	for _, v := range x[n:] {
		m = max(m, v)
	}
	return m
}

func vecExpSub(x []float32, m float32) float64 {
	var s [8]float64
	n := len(x) &^ 7
	if n > 0 {
		expSubNEON(&x[0], n, m, &s)
	}
	for i := n; i < len(x); i++ {
		e := expRef(x[i] - m)
		x[i] = e
		s[i%8] += float64(e)
	}
	return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
}

func vecScale(x []float32, s float32) {
	n := len(x) &^ 3
	if n > 0 {
		scaleNEON(&x[0], n, s)
	}
	for i := n; i < len(x); i++ {
		x[i] *= s
	}
}

func vecSwiGLU(h, gate, up []float32) {
	n := len(h) &^ 3
	if n > 0 {
		swigluNEON(&h[0], &gate[0], &up[0], n)
	}
	swigluGo(h[n:], gate[n:len(h)], up[n:len(h)])
}

//go:noescape
func maxNEON(x *float32, n int) float32

//go:noescape
func expSubNEON(x *float32, n int, m float32, s *[8]float64)

//go:noescape
func scaleNEON(x *float32, n int, s float32)

//go:noescape
func swigluNEON(h, gate, up *float32, n int)

//go:noescape
func attnScoresFMA(att, q, k *float32, stride, n, hd int, scale float32)

//go:noescape
func attnScoresFMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32)

//go:noescape
func attnMixFMA(o, att, v *float32, stride, n, hd int)

//go:noescape
func attnMixFMA16(o, att *float32, v *uint16, stride, n, hd int)

//go:noescape
func attnScores4FMA(att, q, k *float32, stride, n, hd int, scale float32, astride int)

//go:noescape
func attnScores4FMA16(att, q *float32, k *uint16, stride, n, hd int, scale float32, astride int)

//go:noescape
func attnMix4FMA(o, att, v *float32, stride, n, hd, astride int)

//go:noescape
func attnMix4FMA16(o, att *float32, v *uint16, stride, n, hd, astride int)
