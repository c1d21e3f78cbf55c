package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// The pieces the tests of the extra types' kernels (dot_{q2k,q3k,q5k,
// legacy,iq4}{,_x4}_test.go) share: activations, the float64 definition,
// the sweeps that hold the assembly to a Go model bit for bit, and the
// benchmarks. What makes a type's rows (realistic scales, planted edge
// cases) stays in its own file, as a sweepGen.

// sweepGen makes the rep-th case of a sweep: a row of nb blocks and
// activations of (at least) blocks token blocks.
type sweepGen func(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8)

// actsFor quantizes blocks activation blocks of normal values times scale
// as ggml quantizes them for typ (actBlock): Q8_K blocks with their BSums
// for the K-quants and IQ4_XS, Q8_0 blocks (with Corr) otherwise.
func actsFor(tb testing.TB, r *rand.Rand, typ gguf.Type, blocks int, scale float32) *Q8 {
	tb.Helper()
	x := randVec(r, blocks*actBlock(typ))
	if scale != 1 {
		for i := range x {
			x[i] *= scale
		}
	}
	var a Q8
	var err error
	if actBlock(typ) == QK_K {
		err = QuantizeQ8_K(&a, x)
	} else {
		err = QuantizeQ8_0(&a, x)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return &a
}

// setActs sets every activation quant of a to q(i) (the extremes: ±127,
// -128) and recomputes the sums the kernels read.
func setActs(a *Q8, q func(i int) int8) {
	for i := range a.Qs {
		a.Qs[i] = q(i)
	}
	recomputeBSums(a)
}

// fillBlocks sets bytes [lo, hi) of every bs-byte block of w to v: all
// quant and scale bits set (0xff) or clear.
func fillBlocks(w []byte, bs, lo, hi int, v byte) {
	for b := 0; b+bs <= len(w); b += bs {
		for i := b + lo; i < b+hi; i++ {
			w[i] = v
		}
	}
}

func sameBits(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }

// rowDefinition is the float64 dot of gguf's dequantization of the row's
// nb blocks with token blocks [blk0, blk0+nb) of a, and Σ|products|, which
// bounds its rounding.
func rowDefinition(tb testing.TB, typ gguf.Type, w []byte, a *Q8, blk0, nb int) (dot, abs float64) {
	tb.Helper()
	deq, err := gguf.RowDequantizer(typ)
	if err != nil {
		tb.Fatal(err)
	}
	wf := make([]float32, nb*typ.BlockSize())
	deq(w[:nb*typ.BlockBytes()], wf)
	off := blk0 * typ.BlockSize()
	for i, v := range wf {
		p := float64(v) * float64(a.Qs[off+i]) * float64(a.D[(off+i)/a.Block])
		dot += p
		abs += math.Abs(p)
	}
	return dot, abs
}

// sweepDefinition holds refExtra[typ] to rowDefinition within
// 1e-5·Σ|products| + 1e-6 (plus slack(w, a, blk0, nb) where slack is not
// nil), on reps cases from gen for each nb of 1, 2 and 5 blocks at blk0 =
// 0..3, nb and 2·nb: the start of the activations and later tokens' blocks.
func sweepDefinition(t *testing.T, typ gguf.Type, r *rand.Rand, reps int, gen sweepGen, slack func(w []byte, a *Q8, blk0, nb int) float64) {
	t.Helper()
	ref := refExtra[typ]
	rep := 0
	for _, nb := range []int{1, 2, 5} {
		for _, blk0 := range []int{0, 1, 2, 3, nb, 2 * nb} {
			for i := 0; i < reps; i, rep = i+1, rep+1 {
				w, a := gen(t, r, rep, nb, blk0+nb)
				got := float64(ref(w, a, blk0, nb))
				want, abs := rowDefinition(t, typ, w, a, blk0, nb)
				tol := 1e-5*abs + 1e-6
				if slack != nil {
					tol += slack(w, a, blk0, nb)
				}
				if d := math.Abs(got - want); d > tol {
					t.Errorf("%v rep %d nb=%d blk0=%d: reference %v, definition %v (diff %g, tol %g)", typ, rep, nb, blk0, got, want, d, tol)
					return
				}
			}
		}
	}
}

// sweepShape is the shape of a sweep's rep-th case: nb = 1..17 in turn
// (64 every 50th), blk0 = 0..3 in turn.
func sweepShape(rep int) (nb, blk0 int) {
	nb = 1 + rep%17
	if rep%50 == 0 {
		nb = 64
	}
	return nb, rep % 4
}

// sweepRow holds fastExtra[typ] to model bit for bit on reps cases of
// sweepShape from gen.
func sweepRow(t *testing.T, typ gguf.Type, model rowDot, r *rand.Rand, reps int, gen sweepGen) {
	t.Helper()
	fast := fastExtra[typ]
	if fast == nil {
		t.Logf("no fast %v kernel on this CPU", typ)
		return
	}
	for rep := 0; rep < reps; rep++ {
		nb, blk0 := sweepShape(rep)
		w, a := gen(t, r, rep, nb, blk0+nb)
		if got, want := fast(w, a, blk0, nb), model(w, a, blk0, nb); !sameBits(got, want) {
			t.Errorf("%v rep %d nb=%d blk0=%d: fast %v, model %v", typ, rep, nb, blk0, got, want)
			return
		}
	}
}

// sweepTokens holds fastExtra[typ] to refExtra[typ] bit for bit on reps
// cases of nb = 1..maxNB blocks, drawn at random, against one of one to
// three tokens of nb blocks each, from gen. It returns how many of the
// activation quants the kernel read were -128.
func sweepTokens(t *testing.T, typ gguf.Type, r *rand.Rand, reps, maxNB int, gen sweepGen) (neg128 int) {
	t.Helper()
	fast, ref := fastExtra[typ], refExtra[typ]
	if fast == nil {
		t.Logf("no fast %v kernel on this CPU", typ)
		return 0
	}
	for rep := 0; rep < reps; rep++ {
		nb, tokens := 1+r.IntN(maxNB), 1+r.IntN(3)
		w, a := gen(t, r, rep, nb, tokens*nb)
		blk0 := r.IntN(tokens) * nb
		for _, q := range a.Qs[blk0*a.Block : (blk0+nb)*a.Block] {
			if q == -128 {
				neg128++
			}
		}
		if got, want := fast(w, a, blk0, nb), ref(w, a, blk0, nb); !sameBits(got, want) {
			t.Errorf("%v rep %d nb=%d blk0=%d: fast %v, reference %v", typ, rep, nb, blk0, got, want)
			return neg128
		}
	}
	return neg128
}

// sweepQuad holds every out[t] of typ's four-token kernel bit for bit to
// its row dot and to model on token t (a token's result may not depend on
// the batch it shares), on reps cases of sweepShape from gen with
// tokBlocks = nb (MatMul's layout) or, every third case, nb+1..nb+5.
func sweepQuad(t *testing.T, typ gguf.Type, model rowDot, r *rand.Rand, reps int, gen sweepGen) {
	t.Helper()
	quad := fastExtraQuad[typ]
	if quad == nil {
		t.Logf("no fast four-token %v kernel on this CPU", typ)
		return
	}
	sweepBatch(t, typ, "quad", 4, func(w []byte, a *Q8, blk0, nb, tokBlocks int, out []float32) {
		quad(w, a, blk0, nb, tokBlocks, (*[4]float32)(out))
	}, model, r, reps, gen)
}

// sweepOct is sweepQuad for the eight-token kernel.
func sweepOct(t *testing.T, typ gguf.Type, model rowDot, r *rand.Rand, reps int, gen sweepGen) {
	t.Helper()
	oct := fastExtraOct[typ]
	if oct == nil {
		t.Logf("no fast eight-token %v kernel on this CPU", typ)
		return
	}
	sweepBatch(t, typ, "oct", 8, func(w []byte, a *Q8, blk0, nb, tokBlocks int, out []float32) {
		oct(w, a, blk0, nb, tokBlocks, (*[8]float32)(out))
	}, model, r, reps, gen)
}

// sweepBatch is sweepQuad and sweepOct: kernel computes n tokens at once.
func sweepBatch(t *testing.T, typ gguf.Type, name string, n int, kernel func(w []byte, a *Q8, blk0, nb, tokBlocks int, out []float32),
	model rowDot, r *rand.Rand, reps int, gen sweepGen) {
	t.Helper()
	row := fastExtra[typ]
	if row == nil {
		t.Logf("no fast %v row dot on this CPU", typ)
		return
	}
	got := make([]float32, n)
	for rep := 0; rep < reps; rep++ {
		nb, blk0 := sweepShape(rep)
		tokBlocks := nb
		if rep%3 == 1 {
			tokBlocks = nb + 1 + r.IntN(5)
		}
		w, a := gen(t, r, rep, nb, blk0+(n-1)*tokBlocks+nb)
		kernel(w, a, blk0, nb, tokBlocks, got)
		for tok, g := range got {
			b := blk0 + tok*tokBlocks
			want, exact := row(w, a, b, nb), model(w, a, b, nb)
			if !sameBits(g, want) || !sameBits(g, exact) {
				t.Errorf("%v rep %d nb=%d blk0=%d tokBlocks=%d token %d: %s %v, row dot %v, model %v",
					typ, rep, nb, blk0, tokBlocks, tok, name, g, want, exact)
				return
			}
		}
	}
}

// benchRowDots streams rows rows of nb blocks of typ (w) through
// fastExtra[typ] ("fast") and refExtra[typ] ("ref") against the first
// token of a. The metric is weight GB/s.
func benchRowDots(b *testing.B, typ gguf.Type, w []byte, a *Q8, rows, nb int) {
	rb := nb * typ.BlockBytes()
	for _, k := range []struct {
		name string
		dot  rowDot
	}{{"fast", fastExtra[typ]}, {"ref", refExtra[typ]}} {
		if k.dot == nil {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(rows * rb))
			var sink float32
			for b.Loop() {
				for i := 0; i < rows; i++ {
					sink += k.dot(w[i*rb:(i+1)*rb], a, 0, nb)
				}
			}
			reportGBs(b, rows*rb)
			_ = sink
		})
	}
}

// benchQuad streams the same rows against the first four tokens of a
// (tokBlocks = nb): the four-token kernel once per row (sub-benchmark
// names[0]), or the row dot four times (names[1]). The metric is weight
// GB/s, each row counted once per pass, so the two lines' ratio is the
// speed-up.
func benchQuad(b *testing.B, typ gguf.Type, w []byte, a *Q8, rows, nb int, names [2]string) {
	quad, row := fastExtraQuad[typ], fastExtra[typ]
	if quad == nil || row == nil {
		b.Skipf("no fast %v kernels on this CPU", typ)
	}
	rb := nb * typ.BlockBytes()
	b.Run(names[0], func(b *testing.B) {
		var out [4]float32
		var sink float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				quad(w[i*rb:(i+1)*rb], a, 0, nb, nb, &out)
				sink += out[0]
			}
		}
		reportGBs(b, rows*rb)
		_ = sink
	})
	b.Run(names[1], func(b *testing.B) {
		var sink float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				for tok := 0; tok < 4; tok++ {
					sink += row(w[i*rb:(i+1)*rb], a, tok*nb, nb)
				}
			}
		}
		reportGBs(b, rows*rb)
		_ = sink
	})
}

// benchOct streams rows rows of nb blocks of typ (w) against eight tokens
// of a: the eight-token kernel once per row ("x8"), or the four-token
// kernel twice ("2x4"). The metric is weight GB/s, each row counted once
// per pass.
func benchOct(b *testing.B, typ gguf.Type, w []byte, a *Q8, rows, nb int) {
	oct, quad := fastExtraOct[typ], fastExtraQuad[typ]
	if oct == nil || quad == nil {
		b.Skipf("no fast eight-token %v kernel on this CPU", typ)
	}
	rb := nb * typ.BlockBytes()
	b.Run("x8", func(b *testing.B) {
		var out [8]float32
		var sink float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				oct(w[i*rb:(i+1)*rb], a, 0, nb, nb, &out)
				sink += out[0]
			}
		}
		reportGBs(b, rows*rb)
		_ = sink
	})
	b.Run("2x4", func(b *testing.B) {
		var out [4]float32
		var sink float32
		for b.Loop() {
			for i := 0; i < rows; i++ {
				quad(w[i*rb:(i+1)*rb], a, 0, nb, nb, &out)
				sink += out[0]
				quad(w[i*rb:(i+1)*rb], a, 4*nb, nb, nb, &out)
				sink += out[0]
			}
		}
		reportGBs(b, rows*rb)
		_ = sink
	})
}

// quadNames are the four-token benchmarks' sub-benchmark names (the
// legacy types' are "quad" and "row4").
var quadNames = [2]string{"x4", "4x1"}
