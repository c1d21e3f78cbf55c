package kernels

import (
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

var expAll = flag.Bool("exp.all", false, "check the vector exp on every float32 in [-88, 88] (minutes)")

// expVec sets x[i] = exp(x[i]) with the kernel Softmax uses (exp(x-0)).
func expVec(x []float32) {
	if len(x) == 0 {
		return
	}
	if floatSIMD() {
		vecExpSub(x, 0)
		return
	}
	for i, v := range x {
		x[i] = expRef(v)
	}
}

// ulps is how many float32 values lie between a and b (0 when equal).
func ulps(a, b float32) int64 {
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u>>31 != 0 {
			return -int64(u &^ (1 << 31))
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	return max(d, -d)
}

// expErr accumulates the error of exp(x) against math.Exp rounded to float32.
type expErr struct {
	maxUlps int64
	maxRel  float64 // where the result is a normal float32
	worst   float32
}

func (e *expErr) add(x, got float32) {
	want := math.Exp(float64(x))
	if u := ulps(got, float32(want)); u > e.maxUlps {
		e.maxUlps, e.worst = u, x
	}
	if want >= 0x1p-126 && want <= math.MaxFloat32 {
		e.maxRel = max(e.maxRel, math.Abs(float64(got)-want)/want)
	}
}

// expSweep is the dense sweep of [-88, 88]: n evenly spaced points, and
// every stride-th float32 bit pattern of magnitude up to 88 (which covers
// the tiny arguments as densely as the large ones).
func expSweep(n int, stride uint32) []float32 {
	xs := make([]float32, 0, 2*n+2000)
	for i := 0; i <= n; i++ {
		xs = append(xs, float32(-88+176*float64(i)/float64(n)))
	}
	lim := math.Float32bits(88)
	for u := uint32(0); u <= lim; u += stride {
		f := math.Float32frombits(u)
		xs = append(xs, f, -f)
	}
	return xs
}

// expSpecial are arguments at the edges: overflow, the subnormal range,
// underflow to 0, infinities, NaN, signed zeros.
var expSpecial = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 1e-30, -1e-30,
	88, 88.37, 88.38, 88.72, 88.7228, 88.7229, 88.73, 89, 89.5, 100, 1e10, math.MaxFloat32,
	-87.33, -87.34, -87.5, -88, -90, -100, -103, -103.27, -103.28, -103.9, -103.97, -104, -104.5, -200, -1e10, -math.MaxFloat32,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
}

// TestExp measures the vector exp against math.Exp over the dense sweep,
// and checks it gives expRef's bits.
func TestExp(t *testing.T) {
	xs := expSweep(1<<20, 2003)
	xs = append(xs, expSpecial...)
	got := append([]float32(nil), xs...)
	expVec(got)
	var e expErr
	for i, x := range xs {
		if ref := expRef(x); math.Float32bits(ref) != math.Float32bits(got[i]) && !(isNaN32(ref) && isNaN32(got[i])) {
			t.Fatalf("exp(%v): kernel %v (%#x), expRef %v (%#x)", x, got[i], math.Float32bits(got[i]), ref, math.Float32bits(ref))
		}
		if isNaN32(x) {
			continue
		}
		e.add(x, got[i])
	}
	t.Logf("exp over %d arguments in [-88, 88] and edges: max %d ulp (at %v), max relative error %.3g where normal", len(xs), e.maxUlps, e.worst, e.maxRel)
	e.check(t)
}

// check holds the bound exp.go states.
func (e *expErr) check(t *testing.T) {
	if e.maxUlps > 1 || e.maxRel > 1.2e-7 {
		t.Errorf("exp error %d ulp (at %v), %.3g relative; want <= 1 ulp, <= 1.2e-7", e.maxUlps, e.worst, e.maxRel)
	}
}

// TestExpSpecial pins the edge results exactly.
func TestExpSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct{ x, want float32 }{
		{0, 1}, {float32(math.Copysign(0, -1)), 1},
		{inf, inf}, {89, inf}, {88.73, inf}, {1e10, inf}, {math.MaxFloat32, inf},
		{float32(math.Inf(-1)), 0}, {-104, 0}, {-200, 0}, {-1e10, 0}, {-math.MaxFloat32, 0},
		{-103.27, 0x1p-149}, // the smallest subnormal
	}
	for _, c := range cases {
		x := []float32{c.x}
		expVec(x)
		if x[0] != c.want || math.Signbit(float64(x[0])) {
			t.Errorf("exp(%v) = %v, want %v", c.x, x[0], c.want)
		}
		if r := expRef(c.x); r != c.want {
			t.Errorf("expRef(%v) = %v, want %v", c.x, r, c.want)
		}
	}
	x := []float32{float32(math.NaN())}
	if expVec(x); !isNaN32(x[0]) || !isNaN32(expRef(float32(math.NaN()))) {
		t.Errorf("exp(NaN) = %v, expRef %v; want NaN", x[0], expRef(float32(math.NaN())))
	}
}

// TestExpAll checks every float32 in [-88, 88], about 40 s of one core:
// go test -run TestExpAll ./engine/kernels/ -args -exp.all
func TestExpAll(t *testing.T) {
	if !*expAll {
		t.Skip("-exp.all not set")
	}
	var e expErr
	buf := make([]float32, 1<<16)
	for u := uint64(0); u <= uint64(math.Float32bits(88)); u += uint64(len(buf) / 2) {
		for i := 0; i < len(buf)/2; i++ {
			f := math.Float32frombits(uint32(min(u+uint64(i), uint64(math.Float32bits(88)))))
			buf[2*i], buf[2*i+1] = f, -f
		}
		xs := append([]float32(nil), buf...)
		expVec(buf)
		for i, x := range xs {
			e.add(x, buf[i])
		}
	}
	t.Logf("exp over every float32 in [-88, 88]: max %d ulp (at %v), max relative error %.3g where normal", e.maxUlps, e.worst, e.maxRel)
	e.check(t)
}

// TestFMA32 checks the float32 fused multiply-add against exact rounding,
// including sums that fall next to a float32 tie.
func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	exact := func(a, b, c float32) float32 {
		p := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		p.Mul(p, new(big.Float).SetFloat64(float64(b)))
		p.Add(p, new(big.Float).SetFloat64(float64(c)))
		f, _ := p.Float32()
		return f
	}
	for i := 0; i < 200000; i++ {
		a := float32(r.NormFloat64())
		b := float32(r.NormFloat64())
		c := -a * b // c near a*b: the sum is the product's rounding error
		switch i % 3 {
		case 1:
			c = float32(r.NormFloat64())
		case 2:
			// a*b with a 2^-25-scaled c: s sits just beside a tie of a*b's float32 neighbours
			c = math.Float32frombits(math.Float32bits(a*b)&0xff800000) * 0x1p-25 * float32(r.IntN(3)-1)
		}
		if got, want := fma32(a, b, c), exact(a, b, c); got != want {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
}

func isNaN32(f float32) bool { return f != f }

// softmax64 is the float64 definition, except that x[i]-max is rounded
// to float32 as in engine/cpu's softmax (for scores spread by tens that
// rounding is the larger error, and both paths share it).
func softmax64(x []float32) []float64 {
	if len(x) == 0 {
		return nil
	}
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	out := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(float64(v - m))
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// softmaxInputs are random and edge rows of n scores.
func softmaxInputs(r *rand.Rand, n int) map[string][]float32 {
	rows := map[string][]float32{}
	add := func(name string, f func(i int) float32) {
		x := make([]float32, n)
		for i := range x {
			x[i] = f(i)
		}
		rows[name] = x
	}
	add("normal", func(int) float32 { return float32(r.NormFloat64() * 3) })
	add("wide", func(int) float32 { return float32(r.NormFloat64() * 60) })
	add("equal", func(int) float32 { return 7.5 })
	add("masked", func(i int) float32 {
		if i%3 == 1 {
			return float32(math.Inf(-1))
		}
		return float32(r.NormFloat64())
	})
	add("underflow", func(i int) float32 { return float32(-i) * 13 })
	return rows
}

// TestSoftmax compares Softmax with the float64 definition and with
// softmaxGo (same bits) on lengths 0..67.
func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 67; n++ {
		for name, x := range softmaxInputs(r, n) {
			want := softmax64(x)
			got := append([]float32(nil), x...)
			Softmax(got)
			goGot := append([]float32(nil), x...)
			softmaxGo(goGot)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(goGot[i]) {
					t.Fatalf("%s n=%d [%d]: Softmax %v, softmaxGo %v", name, n, i, got[i], goGot[i])
				}
				// exp within 1 ulp (2^-23), the sum in float64, one
				// rounding each for 1/sum and the product (2^-24 each),
				// and the subnormal spacing twice absolute.
				if d := math.Abs(float64(got[i]) - want[i]); d > 4.5*0x1p-24*want[i]+0x1p-148 || isNaN32(got[i]) {
					t.Fatalf("%s n=%d [%d] of %v: %v, want %v", name, n, i, x, got[i], want[i])
				}
			}
		}
	}
}

// TestMax checks the vector max on every length to 100 with the largest
// entry at each position.
func TestMax(t *testing.T) {
	if !floatSIMD() {
		t.Logf("no vector kernels: Softmax runs softmaxGo")
		return
	}
	r := rand.New(rand.NewPCG(11, 12))
	for n := 1; n <= 100; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64()) - 10
		}
		for at := range x {
			y := append([]float32(nil), x...)
			y[at] = 1
			if got := vecMax(y); got != 1 {
				t.Fatalf("n=%d max at %d: got %v, want 1", n, at, got)
			}
		}
	}
}

// TestSoftmaxNaN checks the NaN cases of engine/cpu's softmax: a NaN or
// +Inf entry, or all entries -Inf, makes every entry NaN.
func TestSoftmaxNaN(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, n := range []int{1, 5, 8, 13, 40} {
		for _, c := range []struct {
			name string
			at   int
			v    float32
			fill float32
		}{
			{"nan", n / 2, nan, 1},
			{"+inf", n - 1, inf, 1},
			{"all -inf", 0, -inf, -inf},
		} {
			x := make([]float32, n)
			for i := range x {
				x[i] = c.fill + float32(i%2)*c.fill/2
			}
			x[c.at] = c.v
			for _, f := range []func([]float32){Softmax, softmaxGo} {
				y := append([]float32(nil), x...)
				f(y)
				for i, v := range y {
					if !isNaN32(v) {
						t.Fatalf("%s n=%d: [%d] = %v, want NaN", c.name, n, i, v)
					}
				}
			}
		}
	}
}

// silu64 is the float64 definition with exp(-g) rounded to float32, as
// engine/cpu's silu does (so exp(-g) > MaxFloat32 is +Inf and silu(g) -0).
func silu64(g float64) float64 { return g / (1 + float64(float32(math.Exp(-g)))) }

// TestSwiGLU compares SwiGLU with the float64 definition and with swigluGo
// (same bits) on lengths 0..67, with h aliasing gate and not.
func TestSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	edges := []float32{0, 1, -1, 20, -20, 87, -87, 88.8, -88.8, 89, -89, 100, -100, 104, -104, 1e6, -1e6, 1e-6, -1e-6, inf, -inf, nan}
	for n := 0; n <= 67; n++ {
		gate, up := make([]float32, n), make([]float32, n)
		for i := range gate {
			gate[i], up[i] = float32(r.NormFloat64()*4), float32(r.NormFloat64())
			if i%5 == 4 {
				gate[i] = edges[(i/5+n)%len(edges)]
			}
		}
		h := make([]float32, n)
		SwiGLU(h, gate, up)
		alias := append([]float32(nil), gate...)
		SwiGLU(alias, alias, up)
		goH := make([]float32, n)
		swigluGo(goH, gate, up)
		for i := range h {
			if math.Float32bits(h[i]) != math.Float32bits(goH[i]) && !(isNaN32(h[i]) && isNaN32(goH[i])) {
				t.Fatalf("n=%d [%d] gate %v: SwiGLU %v, swigluGo %v", n, i, gate[i], h[i], goH[i])
			}
			if math.Float32bits(h[i]) != math.Float32bits(alias[i]) {
				t.Fatalf("n=%d [%d]: aliased %v, separate %v", n, i, alias[i], h[i])
			}
			g := float64(gate[i])
			want := silu64(g) * float64(up[i])
			switch {
			case math.IsNaN(g) || math.IsInf(g, -1): // -Inf/(1+Inf) is NaN, as in engine/cpu
				if !isNaN32(h[i]) {
					t.Fatalf("n=%d: silu(%v)*%v = %v, want NaN", n, g, up[i], h[i])
				}
			case math.IsInf(g, 1):
				if float64(h[i]) != want {
					t.Fatalf("n=%d: silu(%v)*%v = %v, want %v", n, g, up[i], h[i], want)
				}
			default:
				// exp within 1 ulp (2^-23) of float32(math.Exp), itself
				// 2^-24 off, moves silu by at most that times e/(1+e) < 1;
				// then one rounding each for 1+e, the division and the
				// product.
				if d := math.Abs(float64(h[i]) - want); d > 6*0x1p-24*math.Abs(want)+0x1p-149 {
					t.Fatalf("n=%d: silu(%v)*%v = %v, want %v", n, g, up[i], h[i], want)
				}
			}
		}
	}
}

// softmaxMathExp and swigluMathExp are engine/cpu's reference loops, the
// baselines of the benchmarks.
func softmaxMathExp(x []float32) {
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

func swigluMathExp(h, gate, up []float32) {
	for i := range h {
		g := gate[i]
		h[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// BenchmarkSoftmax runs Softmax and the math.Exp loop on attention rows
// (scores of a few units, 1B prefill lengths).
func BenchmarkSoftmax(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{37, 40, 512} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(r.NormFloat64() * 3)
		}
		x := make([]float32, n)
		for _, impl := range []struct {
			name string
			f    func([]float32)
		}{{"kernel", Softmax}, {"mathExp", softmaxMathExp}} {
			b.Run(fmt.Sprintf("%s/n=%d", impl.name, n), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					copy(x, src)
					impl.f(x)
				}
			})
		}
	}
}

// BenchmarkSwiGLU runs SwiGLU and the math.Exp loop on one token's FFN
// width of the 1B model (8192).
func BenchmarkSwiGLU(b *testing.B) {
	const n = 8192
	r := rand.New(rand.NewPCG(2, 2))
	gate, up, h := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range gate {
		gate[i], up[i] = float32(r.NormFloat64()*2), float32(r.NormFloat64())
	}
	for _, impl := range []struct {
		name string
		f    func(h, gate, up []float32)
	}{{"kernel", SwiGLU}, {"mathExp", swigluMathExp}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				impl.f(h, gate, up)
			}
		})
	}
}
