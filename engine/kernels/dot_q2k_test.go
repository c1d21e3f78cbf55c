package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// q2kRow is nb random Q2_K blocks: random quant and scale bytes, finite
// d and dmin of either sign (randWeights leaves Q2_K's halves random).
func q2kRow(r *rand.Rand, nb int) []byte {
	w := make([]byte, nb*q2KBlockBytes)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		blk := w[b*q2KBlockBytes:]
		for _, off := range []int{q2KD, q2KDmin} {
			h := f32ToF16((r.Float32()*2 - 1) * 0.01)
			blk[off], blk[off+1] = byte(h), byte(h>>8)
		}
	}
	return w
}

// q2kExtremeAct is n Q8_K blocks of every int8 (-128 included) with
// bsums to match: extreme activations no quantizer makes.
func q2kExtremeAct(r *rand.Rand, n int) *Q8 {
	var a Q8
	a.resize(n*QK_K, QK_K)
	for i := range a.Qs {
		a.Qs[i] = int8(r.Uint32())
	}
	for i := range a.D {
		a.D[i] = (r.Float32()*2 - 1) * 0.05
	}
	recomputeBSums(&a)
	return &a
}

// q2kCase is a sweep case (sweepGen): a random row against quantized
// activations, or every fourth case the extreme ones; and of every 25
// cases one with all quants and scales at their maximum, one with them all
// zero, and one with the quants at their maximum against -128 everywhere.
func q2kCase(tb testing.TB, r *rand.Rand, rep, nb, blocks int) ([]byte, *Q8) {
	w := q2kRow(r, nb)
	var a *Q8
	if rep%4 == 3 {
		a = q2kExtremeAct(r, blocks)
	} else {
		a = actsFor(tb, r, gguf.TypeQ2_K, blocks, 1)
	}
	switch rep % 25 {
	case 1, 2:
		fillBlocks(w, q2KBlockBytes, 0, q2KD, byte(0xff*(rep%2)))
	case 3:
		fillBlocks(w, q2KBlockBytes, q2KQs, q2KD, 0xff)
		setActs(a, func(int) int8 { return -128 })
	}
	return w, a
}

// q2kAVX2Model is ggml's AVX2 ggml_vec_dot_q2_K_q8_K lane by lane: what the
// assembly must reproduce bit for bit (fma32, from exp.go, rounds once).
func q2kAVX2Model(w []byte, a *Q8, blk0, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		blk := w[b*q2KBlockBytes:]
		ys := a.Qs[(blk0+b)*QK_K:]
		bs := a.BSums[(blk0+b)*16:]
		d := a.D[blk0+b] * f16ToF32(le16(blk[q2KD:]))
		dmin := -a.D[blk0+b] * f16ToF32(le16(blk[q2KDmin:]))
		var sumi [8]int32
		for c := 0; c < 8; c++ { // 32-value chunks
			q := blk[q2KQs+32*(c/4):]
			shift := uint(2 * (c % 4))
			for i := 0; i < 32; i++ {
				sc := int32(blk[2*c+i/16] & 0xf)
				sumi[i/4] += sc * int32(q[i]>>shift&3) * int32(ys[32*c+i])
			}
		}
		for l := 0; l < 8; l++ {
			m := int32(bs[2*l])*int32(blk[2*l]>>4) + int32(bs[2*l+1])*int32(blk[2*l+1]>>4)
			acc[l] = fma32(dmin, float32(m), acc[l])
		}
		for l := 0; l < 8; l++ {
			acc[l] = fma32(d, float32(sumi[l]), acc[l])
		}
	}
	var r [4]float32
	for i := range r {
		r[i] = acc[i+4] + acc[i]
	}
	return (r[0] + r[2]) + (r[1] + r[3])
}

// q2kScale bounds the float rounding of both orders: Σ over blocks of
// |dall·isum| + |dmin·summs| with the group sums taken in absolute value.
func q2kScale(w []byte, a *Q8, blk0, nb int) float64 {
	var s float64
	for b := 0; b < nb; b++ {
		blk := w[b*q2KBlockBytes:]
		ys := a.Qs[(blk0+b)*QK_K:]
		bs := a.BSums[(blk0+b)*16:]
		d := math.Abs(float64(a.D[blk0+b] * f16ToF32(le16(blk[q2KD:]))))
		dmin := math.Abs(float64(a.D[blk0+b] * f16ToF32(le16(blk[q2KDmin:]))))
		for g := 0; g < 16; g++ {
			q := blk[q2KQs+32*(g/8)+16*(g%2):]
			shift := uint(2 * (g % 8 / 2))
			var isuml int64
			for l := 0; l < 16; l++ {
				isuml += int64(q[l]>>shift&3) * int64(ys[16*g+l])
			}
			s += d*math.Abs(float64(int64(blk[g]&0xf)*isuml)) + dmin*math.Abs(float64(int64(blk[g]>>4)*int64(bs[g])))
		}
	}
	return s
}

// TestQ2_KReferenceMatchesDequantized holds refDotQ2_K's reading of the
// block layout to gguf's dequantizer, at the start of the activation and
// against a later token's blocks, on q2kCase's rows and activations.
func TestQ2_KReferenceMatchesDequantized(t *testing.T) {
	sweepDefinition(t, gguf.TypeQ2_K, rand.New(rand.NewPCG(2, 1)), 5, q2kCase, nil)
}

// TestQ2_KFastMatchesReference runs the assembly on random rows, anywhere
// in 20 token blocks: bit for bit against the model of ggml's AVX2 lanes,
// and within float rounding of the generic reference, whose summation
// order differs.
func TestQ2_KFastMatchesReference(t *testing.T) {
	fast := fastExtra[gguf.TypeQ2_K]
	if fast == nil {
		t.Log("no fast Q2_K kernel on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(2, 2))
	const tokBlocks = 20
	a := actsFor(t, r, gguf.TypeQ2_K, tokBlocks, 1)
	ext := q2kExtremeAct(r, tokBlocks)
	var worst float64
	for iter := 0; iter < 400; iter++ {
		nb := []int{1, 2, 3, 5, 16}[iter%5]
		blk0 := r.IntN(tokBlocks - nb + 1)
		w := q2kRow(r, nb)
		act := a
		if iter%4 == 3 {
			act = ext
		}
		if iter%50 == 7 { // all quants and scales at their maximum
			fillBlocks(w, q2KBlockBytes, 0, q2KD, 0xff)
		}
		got := fast(w, act, blk0, nb)
		if want := q2kAVX2Model(w, act, blk0, nb); !sameBits(got, want) {
			t.Fatalf("iter %d nb=%d blk0=%d: fast %v, ggml AVX2 model %v", iter, nb, blk0, got, want)
		}
		ref := refDotQ2_K(w, act, blk0, nb)
		scale := q2kScale(w, act, blk0, nb)
		diff := math.Abs(float64(got) - float64(ref))
		if diff > 1e-6*scale+1e-6 {
			t.Fatalf("iter %d nb=%d blk0=%d: fast %v, reference %v (scale %g)", iter, nb, blk0, got, ref, scale)
		}
		if scale > 0 {
			worst = max(worst, diff/scale)
		}
	}
	t.Logf("largest |fast-ref| / scale: %.3g", worst)
}

// BenchmarkExtraDotQ2_K streams 256 rows of 16 blocks (344 KB, cache
// resident) through the fast and reference row dots.
func BenchmarkExtraDotQ2_K(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 3))
	const rows, nb = 256, 16
	w := q2kRow(r, rows*nb)
	benchRowDots(b, gguf.TypeQ2_K, w, actsFor(b, r, gguf.TypeQ2_K, nb, 1), rows, nb)
}
