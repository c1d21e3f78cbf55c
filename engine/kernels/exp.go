package kernels

import "math"

// Softmax and SwiGLU spend their time in exp. math.Exp works in float64 one
// value at a time; here exp is evaluated in float32, eight lanes at once
// (exp_amd64.s; NEON: exp_arm64.s), the way ggml's soft_max and silu do. expRef is the same
// computation in Go, operation for operation (fused multiply-adds included),
// so the assembly and the Go fallback give the same bits.
//
// exp(x) = 2^n * exp(r) with n = round(x/ln2) and r = x - n*ln2, |r| <= ln2/2:
//   - x is first clamped to [-104, 89]: exp(-104) rounds to 0 and exp(89)
//     overflows to +Inf, so ±Inf land on the right side and n stays small
//     enough for the rounding trick below. NaN passes through the clamp.
//   - n is rounded by adding 1.5*2^23 (expShift): the float32 sum keeps no
//     fraction bits, and its low mantissa bits are n as an integer.
//   - r subtracts n*ln2 in two parts; ln2Hi has 15 significant bits, so
//     n*ln2Hi is exact for |n| < 512 and the first subtraction loses nothing.
//   - exp(r) is 1 + r + r^2*(c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4), the
//     quartic a minimax fit of (exp(r)-1-r)/r^2 on [-0.35, 0.35] (absolute
//     error 6.5e-8, so at most 1.2e-8 relative on exp), evaluated by Horner
//     with one rounding per step.
//   - 2^n is applied as 2^(n>>1) * 2^(n-n>>1): each factor is a normal
//     float32 for every n in [-150, 128], so results that are subnormal or
//     overflow round once, in the last multiply, without a special case.
//
// Measured against math.Exp rounded to float32 (exp_test.go) on every
// float32 in [-88, 88]: at most 1 ulp apart (subnormal results included),
// at most 8.0e-8 relative where the result is a normal float32.
const (
	expHi    = 89   // exp(89) > MaxFloat32
	expLo    = -104 // exp(-104) < half the smallest subnormal
	expShift = 0x1.8p23
	expLog2e = 0x1.715476p+0 // float32(1/ln2)
	expLn2Hi = 0x1.62e4p-1   // ln2 rounded to 15 bits
	expLn2Lo = 0x1.7f7d1cp-20
	expC2    = 0x1p-1
	expC3    = 0x1.5554d8p-3
	expC4    = 0x1.5554b2p-5
	expC5    = 0x1.121062p-7
	expC6    = 0x1.6d7c34p-10
)

// expRef is exp(x) in float32, the scalar form of the vector kernel.
func expRef(x float32) float32 {
	x = min(max(x, expLo), expHi)
	z := fma32(x, expLog2e, expShift)
	n := z - expShift // exact: n = round(x/ln2)
	r := fma32(-n, expLn2Hi, x)
	r = fma32(-n, expLn2Lo, r)
	p := fma32(expC6, r, expC5)
	p = fma32(p, r, expC4)
	p = fma32(p, r, expC3)
	p = fma32(p, r, expC2)
	p = fma32(p, r, 1)
	p = fma32(p, r, 1)
	ni := int32(math.Float32bits(z) - math.Float32bits(expShift))
	n1 := ni >> 1
	n2 := ni - n1
	s1 := math.Float32frombits(uint32(n1+127) << 23)
	s2 := math.Float32frombits(uint32(n2+127) << 23)
	return float32(p*s1) * s2
}

// fma32 is a*b+c rounded once to float32, as VFMADD does. a*b is exact in
// float64, but rounding the float64 sum and then again to float32 can land
// on the wrong side of a float32 tie, so the sum is first rounded to odd
// (the inexact bit kept in the last place), which makes the second
// rounding correct.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s)
	}
	// err is the exact p + c - s (Knuth's two-sum).
	bb := s - p
	err := (p - (s - bb)) + (float64(c) - bb)
	bits := math.Float64bits(s)
	if err != 0 && bits&1 == 0 {
		if (err > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

// Softmax turns x into probabilities in place: x[i] = exp(x[i]-max) / sum.
// Entries of -Inf become 0; a NaN or +Inf anywhere, or all entries -Inf,
// makes every entry NaN, as in engine/cpu's float64 softmax. The sum of the
// float32 exponentials is accumulated in float64, in eight lanes l holding
// i ≡ l mod 8, added as ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)).
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	if floatSIMD() {
		m := vecMax(x)
		sum := vecExpSub(x, m)
		vecScale(x, float32(1/sum))
		return
	}
	softmaxGo(x)
}

// softmaxGo is Softmax in Go, giving the same bits as the assembly.
func softmaxGo(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var s [8]float64
	for i, v := range x {
		e := expRef(v - m)
		x[i] = e
		s[i%8] += float64(e)
	}
	sum := ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// SwiGLU sets h[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
// h may alias gate or up; all three have len(h) entries at least.
func SwiGLU(h, gate, up []float32) {
	n := len(h)
	if n == 0 {
		return
	}
	_, _ = gate[n-1], up[n-1]
	if floatSIMD() {
		vecSwiGLU(h[:n], gate[:n], up[:n])
		return
	}
	swigluGo(h, gate[:n], up[:n])
}

// swigluGo is SwiGLU in Go, giving the same bits as the assembly.
func swigluGo(h, gate, up []float32) {
	for i := range h {
		g := gate[i]
		h[i] = g / (1 + expRef(-g)) * up[i]
	}
}
