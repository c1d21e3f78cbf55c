//go:build !amd64

package kernels

// Other architectures run softmaxGo and swigluGo; hasAVX2 is false there,
// so these are never called.

func maxAVX2(x *float32, n int) float32 { panic("kernels: no AVX2 on this architecture") }

func expSubAVX2(x *float32, n int, m float32) float64 {
	panic("kernels: no AVX2 on this architecture")
}

func scaleAVX2(x *float32, n int, s float32) { panic("kernels: no AVX2 on this architecture") }

func swigluAVX2(h, gate, up *float32, n int) { panic("kernels: no AVX2 on this architecture") }
