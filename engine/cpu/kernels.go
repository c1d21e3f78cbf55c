package cpu

import (
	"math"

	"github.com/orcd/orcd/engine/kernels"
)

// The kernels below are the plain reference forms: one vector at a time,
// written for clarity. Sums that decide a scale run in float64 as ggml does.

// rmsnorm writes o = x / sqrt(mean(x^2) + eps) * w. o may alias x.
func rmsnorm(o, x, w []float32, eps float32) {
	var ss float64
	for _, v := range x {
		ss += float64(v * v)
	}
	scale := float32(1 / math.Sqrt(float64(ss/float64(len(x)))+float64(eps)))
	for i, v := range x {
		o[i] = v * scale * w[i]
	}
}

// softmax turns x into probabilities in place.
func softmax(x []float32) {
	maxv := x[0]
	for _, v := range x[1:] {
		maxv = max(maxv, v)
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - maxv)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// silu is x * sigmoid(x).
func silu(x float32) float32 {
	return x / (1 + float32(math.Exp(float64(-x))))
}

// swiglu writes h[i] = silu(gate[i]) * up[i].
func swiglu(h, gate, up []float32) {
	for i := range h {
		h[i] = silu(gate[i]) * up[i]
	}
}

// softmaxFast and swigluFast follow the matmul path: with quantized
// activations (engine/kernels, reproducing llama.cpp's quantized runs) they
// use the kernels' float32 vector exp, as ggml does, within 1 ulp of
// math.Exp; on the float reference path they are softmax and swiglu above.
func softmaxFast(x []float32) {
	if activationsQuantized {
		kernels.Softmax(x)
		return
	}
	softmax(x)
}

func swigluFast(h, gate, up []float32) {
	if activationsQuantized {
		kernels.SwiGLU(h, gate, up)
		return
	}
	swiglu(h, gate, up)
}

// ropeFreqs returns the rotation speed of each pair i < nRot/2:
// base^(-2i/nRot), divided by the llama3 factor freqs[i] when given.
func ropeFreqs(nRot int, base float32, factors []float32) []float64 {
	f := make([]float64, nRot/2)
	for i := range f {
		f[i] = math.Pow(float64(base), -2*float64(i)/float64(nRot))
		if factors != nil {
			f[i] /= float64(factors[i])
		}
	}
	return f
}

// ropeAngles fills cs with the cosine and sine of each rotation pair's
// angle at pos (cs[2i], cs[2i+1]): pair i turns by pos * freqs[i]. They
// depend on the position only, so a forward pass computes them once per
// token for every head of every layer.
func ropeAngles(cs []float32, pos int, freqs []float64) {
	for i, f := range freqs {
		sin, cos := math.Sincos(float64(pos) * f)
		cs[2*i], cs[2*i+1] = float32(cos), float32(sin)
	}
}

// ropeRotate rotates the first len(cs) dims of one head vector by the
// angles ropeAngles made: NORM (llama) pairs adjacent values (x[2i],
// x[2i+1]); NEOX pairs x[i] with x[i+nRot/2]. Dims past nRot are left as
// they are.
func ropeRotate(x []float32, cs []float32, neox bool) {
	half := len(cs) / 2
	for i := 0; i < half; i++ {
		c, s := cs[2*i], cs[2*i+1]
		a, b := 2*i, 2*i+1
		if neox {
			a, b = i, i+half
		}
		x0, x1 := x[a], x[b]
		x[a] = float32(x0*c) - float32(x1*s)
		x[b] = float32(x0*s) + float32(x1*c)
	}
}

// attendRef computes one head's attention output o (headDim) for query q
// over the first n cached positions: keys and values are rows of stride
// floats starting at k[0] / v[0]. att is scratch of at least n floats.
// It is the plain reference of attend.
func attendRef(o, q []float32, k, v []float32, stride, n int, att []float32) {
	hd := len(q)
	scale := float32(1 / math.Sqrt(float64(hd)))
	att = att[:n]
	for j := 0; j < n; j++ {
		att[j] = dot(q, k[j*stride:j*stride+hd]) * scale
	}
	softmax(att)
	clear(o)
	for j, a := range att {
		vj := v[j*stride : j*stride+hd]
		for i := range o {
			o[i] += float32(a * vj[i])
		}
	}
}
