package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// randWeights fills nb random blocks of type t. Scales are f16 values of
// realistic size; quant bytes are uniformly random, so every bit pattern of
// the packed formats (including Q8_0's -128) is exercised.
func randWeights(r *rand.Rand, t gguf.Type, nb int) []byte {
	bs := t.BlockBytes()
	w := make([]byte, nb*bs)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	putHalf := func(b []byte, f float32) { h := f32ToF16(f); b[0], b[1] = byte(h), byte(h>>8) }
	for b := 0; b < nb; b++ {
		blk := w[b*bs : (b+1)*bs]
		switch t {
		case gguf.TypeQ8_0, gguf.TypeQ4_0:
			putHalf(blk, r.Float32()*0.02+1e-4)
		case gguf.TypeQ4_K:
			putHalf(blk, r.Float32()*0.01)
			putHalf(blk[2:], r.Float32()*0.01)
		case gguf.TypeQ6_K:
			putHalf(blk[208:], r.Float32()*0.01)
		case gguf.TypeIQ4_NL:
			putHalf(blk, r.Float32()*0.0002)
		case gguf.TypeIQ4_XS:
			putHalf(blk, r.Float32()*0.00001)
		}
	}
	return w
}

func randVec(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

var quantTypes = []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K}

func dotOf(s dotSet, t gguf.Type) func(w []byte, a *Q8, blk0, nb int) float32 {
	switch t {
	case gguf.TypeQ8_0:
		return s.q8_0
	case gguf.TypeQ4_0:
		return s.q4_0
	case gguf.TypeQ4_K:
		return s.q4_K
	case gguf.TypeQ6_K:
		return s.q6_K
	}
	panic("no kernel for " + t.String())
}

func quantizeFor(t gguf.Type, a *Q8, x []float32) error {
	if actBlock(t) == QK_K {
		return QuantizeQ8_K(a, x)
	}
	return QuantizeQ8_0(a, x)
}

// absDot bounds the float rounding of a dot product: Σ|w_i·y_i| over the
// dequantized weights and activations, in float64.
func absDot(t testing.TB, typ gguf.Type, w []byte, a *Q8, blk0, nb int) float64 {
	n := nb * typ.BlockSize()
	wf := make([]float32, n)
	if err := gguf.Dequantize(typ, w[:nb*typ.BlockBytes()], wf); err != nil {
		t.Fatalf("%v: %v", typ, err)
	}
	var s float64
	off := blk0 * typ.BlockSize()
	for i, v := range wf {
		s += math.Abs(float64(v) * float64(a.Qs[off+i]) * float64(a.D[(off+i)/a.Block]))
	}
	return s
}

// TestReferenceMatchesDequantized checks the reference kernels' reading of
// the block layouts against gguf's dequantizers: dequantize the weight row
// and the activation, dot in float64.
func TestReferenceMatchesDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, typ := range quantTypes {
		nb := 3
		n := nb * typ.BlockSize()
		w := randWeights(r, typ, nb)
		var a Q8
		if err := quantizeFor(typ, &a, randVec(r, n)); err != nil {
			t.Fatal(err)
		}
		wf := make([]float32, n)
		if err := gguf.Dequantize(typ, w, wf); err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		var want float64
		for i := range wf {
			want += float64(wf[i]) * float64(a.Qs[i]) * float64(a.D[i/a.Block])
		}
		ref := dotOf(refDots, typ)
		got := ref(w, &a, 0, nb)
		tol := 1e-5 * absDot(t, typ, w, &a, 0, nb)
		if math.Abs(float64(got)-want) > tol+1e-6 {
			t.Errorf("%v: reference %v, dequantized %v (tol %g)", typ, got, want, tol)
		}
	}
}

// TestFastMatchesReference runs the selected kernels against the
// references on odd block counts and at offsets into the activation.
func TestFastMatchesReference(t *testing.T) {
	if !hasAVX2 {
		t.Logf("no AVX2: the fast kernels are %s", Impl())
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range quantTypes {
		for _, nb := range []int{1, 2, 3, 5, 7, 9, 33} {
			blk0 := nb % 3
			n := (nb + blk0) * typ.BlockSize()
			w := randWeights(r, typ, nb)
			var a Q8
			if err := quantizeFor(typ, &a, randVec(r, n)); err != nil {
				t.Fatal(err)
			}
			ref := dotOf(refDots, typ)
			want := ref(w, &a, blk0, nb)
			got := dotOf(fastDots, typ)(w, &a, blk0, nb)
			tol := 1e-5 * absDot(t, typ, w, &a, blk0, nb)
			if math.Abs(float64(got-want)) > tol+1e-6 {
				t.Errorf("%v nb=%d: fast %v, reference %v (tol %g)", typ, nb, got, want, tol)
			}
		}
	}
}

// TestFastIntegerPartExact sets every scale to 1 so the float arithmetic is
// exact, which makes any difference in the integer sums visible.
func TestFastIntegerPartExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	one := f32ToF16(1)
	for _, typ := range quantTypes {
		nb := 3
		w := randWeights(r, typ, nb)
		bs := typ.BlockBytes()
		for b := 0; b < nb; b++ {
			blk := w[b*bs:]
			switch typ {
			case gguf.TypeQ6_K:
				blk[208], blk[209] = byte(one), byte(one>>8)
			case gguf.TypeQ4_K:
				blk[2], blk[3] = byte(one), byte(one>>8)
				fallthrough
			default:
				blk[0], blk[1] = byte(one), byte(one>>8)
			}
		}
		var a Q8
		if err := quantizeFor(typ, &a, randVec(r, nb*typ.BlockSize())); err != nil {
			t.Fatal(err)
		}
		for i := range a.D {
			a.D[i] = 1
		}
		want := dotOf(refDots, typ)(w, &a, 0, nb)
		got := dotOf(fastDots, typ)(w, &a, 0, nb)
		if got != want {
			t.Errorf("%v: fast %v != reference %v with unit scales", typ, got, want)
		}
	}
}

func TestFastFloatDots(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 31, 32, 33, 64, 100, 2048} {
		x := randVec(r, n)
		w16 := make([]byte, 2*n)
		w32 := make([]byte, 4*n)
		var abs float64
		for i := 0; i < n; i++ {
			v := float32(r.NormFloat64())
			h := f32ToF16(v)
			w16[2*i], w16[2*i+1] = byte(h), byte(h>>8)
			b := math.Float32bits(v)
			w32[4*i], w32[4*i+1], w32[4*i+2], w32[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
			abs += math.Abs(float64(v * x[i]))
		}
		tol := 1e-5*abs + 1e-6
		if got, want := fastDots.f16(w16, x), refDotF16(w16, x); math.Abs(float64(got-want)) > tol {
			t.Errorf("f16 n=%d: fast %v, reference %v", n, got, want)
		}
		if got, want := fastDots.f32(w32, x), refDotF32(w32, x); math.Abs(float64(got-want)) > tol {
			t.Errorf("f32 n=%d: fast %v, reference %v", n, got, want)
		}
	}
}

// FuzzFastDot feeds arbitrary block bytes (weights and activation quants)
// through fast and reference kernels with unit scales, where both must agree
// exactly.
func FuzzFastDot(f *testing.F) {
	f.Add(uint8(0), []byte{1, 2, 3})
	f.Add(uint8(3), []byte{0xff, 0x80, 0x7f})
	f.Fuzz(func(t *testing.T, sel uint8, seed []byte) {
		typ := quantTypes[int(sel)%len(quantTypes)]
		nb := 1 + int(sel/4)%3
		r := rand.New(rand.NewPCG(uint64(len(seed)), uint64(sel)))
		w := randWeights(r, typ, nb)
		for i, b := range seed {
			w[i%len(w)] ^= b
		}
		var a Q8
		if err := quantizeFor(typ, &a, randVec(r, nb*typ.BlockSize())); err != nil {
			t.Fatal(err)
		}
		for i, b := range seed {
			if v := int8(b); v != -128 {
				a.Qs[(i*7)%len(a.Qs)] = v
			}
		}
		recomputeBSums(&a)
		// Unit scales keep the float part exact; weight scales in the block
		// may be anything the fuzzer wrote, including NaN, so compare bits
		// only when the reference is finite.
		for i := range a.D {
			a.D[i] = 1
		}
		want := dotOf(refDots, typ)(w, &a, 0, nb)
		got := dotOf(fastDots, typ)(w, &a, 0, nb)
		if math.IsNaN(float64(want)) || math.IsInf(float64(want), 0) {
			return
		}
		tol := 1e-5 * absDot(t, typ, w, &a, 0, nb)
		if math.IsInf(tol, 0) || math.IsNaN(tol) {
			return
		}
		if math.Abs(float64(got-want)) > tol {
			t.Fatalf("%v nb=%d: fast %v, reference %v", typ, nb, got, want)
		}
	})
}

func recomputeBSums(a *Q8) {
	if a.Block != QK_K {
		makeCorr(a, 0, len(a.D))
		makeSums(a, 0, len(a.D))
		return
	}
	for g := range a.BSums {
		var s int16
		for _, q := range a.Qs[g*16 : (g+1)*16] {
			s += int16(q)
		}
		a.BSums[g] = s
	}
}

// TestRoundF16Slice checks the vector f16 rounding against the scalar one,
// including ties, subnormals, overflow and odd lengths.
func TestRoundF16Slice(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	x := []float32{0, -0, 1, 65504, 65520, 1e6, -1e6, 6e-8, 3e-8, 1e-10, 2.98e-8,
		1 + 1.0/2048, 1 + 3.0/2048, float32(math.Inf(1)), 5.96e-8, 0.1, -0.3}
	for i := 0; i < 1000; i++ {
		x = append(x, float32(r.NormFloat64()*math.Pow(10, float64(r.IntN(14)-9))))
	}
	got := make([]float32, len(x))
	roundF16Slice(got, x)
	for i, v := range x {
		if want := roundF16(v); math.Float32bits(got[i]) != math.Float32bits(want) {
			t.Errorf("round %g: vector %g, scalar %g", v, got[i], want)
		}
	}
}

// TestQuadMatchesSingle checks the four-token kernels against four calls of
// the one-token kernel: bit for bit for Q8_0 and Q4_K (same summation
// order), within float rounding for Q4_0 (whose one-token kernel uses two
// accumulators).
func TestQuadMatchesSingle(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, typ := range []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K} {
		x4 := map[gguf.Type]func([]byte, *Q8, int, int, int, *[4]float32){
			gguf.TypeQ8_0: fastDots.q8_0x4, gguf.TypeQ4_0: fastDots.q4_0x4, gguf.TypeQ4_K: fastDots.q4_Kx4,
			gguf.TypeQ6_K: fastDots.q6_Kx4}[typ]
		if x4 == nil {
			t.Logf("%v: no four-token kernel on this CPU", typ)
			continue
		}
		bs := actBlock(typ)
		for _, nb := range []int{1, 2, 7, 64} {
			w := randWeights(r, typ, nb)
			var a Q8
			if err := quantizeFor(typ, &a, randVec(r, 6*nb*bs)); err != nil {
				t.Fatal(err)
			}
			var out [4]float32
			x4(w, &a, nb, nb, nb, &out) // tokens 1..4 of 6
			for i := 0; i < 4; i++ {
				want := dotOf(fastDots, typ)(w, &a, (1+i)*nb, nb)
				tol := 0.0
				if typ == gguf.TypeQ4_0 && runtime.GOARCH == "amd64" { // arm64: bit for bit
					tol = 1e-5 * absDot(t, typ, w, &a, (1+i)*nb, nb)
				}
				if math.Abs(float64(out[i]-want)) > tol {
					t.Errorf("%v nb=%d token %d: four-token %v, single %v", typ, nb, i, out[i], want)
				}
			}
		}
	}
}
