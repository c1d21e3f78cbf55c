package kernels

// Vector exp kernels (exp_amd64.s), AVX2+FMA, 256 bits: eight float32 lanes.
// Each handles every n >= 1 itself, the last partial group of eight with
// masked loads and stores, and gives the bits of its Go form in exp.go.

// maxAVX2 returns the largest of x[:n], n >= 1. It may miss a NaN (Softmax
// does not need it to: a NaN entry makes the sum NaN).
//
//go:noescape
func maxAVX2(x *float32, n int) float32

// expSubAVX2 sets x[i] = exp(x[i]-m) for i < n and returns their sum,
// accumulated in float64 as softmaxGo does.
//
//go:noescape
func expSubAVX2(x *float32, n int, m float32) float64

// scaleAVX2 sets x[i] *= s for i < n.
//
//go:noescape
func scaleAVX2(x *float32, n int, s float32)

// swigluAVX2 sets h[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n.
//
//go:noescape
func swigluAVX2(h, gate, up *float32, n int)
