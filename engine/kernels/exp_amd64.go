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

// floatSIMD: the vector float kernels (exp_amd64.s, attn_fma_amd64.s)
// run: the CPU has AVX2 and FMA and the reference set is not active.
func floatSIMD() bool { return hasAVX2 && activeName != "ref" }

// The arch-neutral entry points exp.go calls (exp_arm64.go has NEON
// ones); each takes n >= 1.

func vecMax(x []float32) float32 { return maxAVX2(&x[0], len(x)) }

func vecExpSub(x []float32, m float32) float64 { return expSubAVX2(&x[0], len(x), m) }

func vecScale(x []float32, s float32) { scaleAVX2(&x[0], len(x), s) }

func vecSwiGLU(h, gate, up []float32) { swigluAVX2(&h[0], &gate[0], &up[0], len(h)) }
