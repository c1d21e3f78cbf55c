package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestPackedQ4_0AVX2 checks the AVX2-only packed Q4_0 kernels against the
// Go reference of the layout and, where the CPU has VNNI, against the VNNI
// kernels bit for bit (the integer lanes are equal and the float steps the
// same), for one, two and four tokens.
func TestPackedQ4_0AVX2(t *testing.T) {
	if !hasAVX2 {
		t.Log("no AVX2: these kernels are never used on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(41, 42))
	const rows, nb, nTok = 24, 9, 4
	w, err := Pack(randMatrix(t, r, gguf.TypeQ4_0, rows, nb*QK8_0))
	if err != nil {
		t.Fatal(err)
	}
	var a Q8
	if err := QuantizeQ8_0(&a, randVec(r, nTok*nb*QK8_0)); err != nil {
		t.Fatal(err)
	}
	gb := nb * 144
	for g := 0; g < rows/8; g++ {
		wg := w.Data[g*gb : (g+1)*gb]
		for _, n := range []int{1, 2, 4} {
			got := make([]float32, nTok*rows)
			switch n {
			case 1:
				for tok := 0; tok < nTok; tok++ {
					packedQ4_0AVX2.x1(wg, &a, tok*nb, nb, got[tok*rows+8*g:])
				}
			case 2:
				packedQ4_0AVX2.x2(wg, &a, 0, nb, got[8*g:], rows)
				packedQ4_0AVX2.x2(wg, &a, 2*nb, nb, got[2*rows+8*g:], rows)
			case 4:
				packedQ4_0AVX2.x4(wg, &a, 0, nb, got[8*g:], rows)
			}
			for tok := 0; tok < nTok; tok++ {
				var ref, vnni [8]float32
				refGemmRows8(w.Data, gguf.TypeQ4_0, g, nb, &a, tok*nb, ref[:])
				if hasVNNI {
					fastDots.q4_0x8x1(wg, &a, tok*nb, nb, vnni[:])
				}
				for i := 0; i < 8; i++ {
					v := got[tok*rows+8*g+i]
					if math.Abs(float64(v-ref[i])) > 1e-4*math.Max(1, math.Abs(float64(ref[i]))) {
						t.Fatalf("x%d group %d token %d row %d: %v, reference %v", n, g, tok, i, v, ref[i])
					}
					if hasVNNI && math.Float32bits(v) != math.Float32bits(vnni[i]) {
						t.Fatalf("x%d group %d token %d row %d: %v, VNNI kernel %v", n, g, tok, i, v, vnni[i])
					}
				}
			}
		}
	}
}

// TestPackedQ4_KAVX2 is TestPackedQ4_0AVX2 for the AVX2 Q4_K kernels.
func TestPackedQ4_KAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Log("no AVX2: these kernels are never used on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(43, 44))
	const rows, nb, nTok = 16, 3, 2
	w, err := Pack(randMatrix(t, r, gguf.TypeQ4_K, rows, nb*QK_K))
	if err != nil {
		t.Fatal(err)
	}
	var a Q8
	if err := QuantizeQ8_K(&a, randVec(r, nTok*nb*QK_K)); err != nil {
		t.Fatal(err)
	}
	a.Off = make([]int32, nTok*nb*4)
	makeOffQ4K(&a, 0, nTok*nb)
	gb := nb * q4KPackedBlock
	for g := 0; g < rows/8; g++ {
		wg := w.Data[g*gb : (g+1)*gb]
		for _, n := range []int{1, 2} {
			got := make([]float32, nTok*rows)
			if n == 1 {
				for tok := 0; tok < nTok; tok++ {
					packedQ4_KAVX2.x1(wg, &a, tok*nb, nb, got[tok*rows+8*g:])
				}
			} else {
				packedQ4_KAVX2.x2(wg, &a, 0, nb, got[8*g:], rows)
			}
			for tok := 0; tok < nTok; tok++ {
				var ref, vnni [8]float32
				refGemmQ4KRows8(w.Data, false, g, nb, &a, tok*nb, ref[:])
				if hasVNNI {
					fastDots.q4_Kx8x1(wg, &a, tok*nb, nb, vnni[:])
				}
				for i := 0; i < 8; i++ {
					v := got[tok*rows+8*g+i]
					if math.Abs(float64(v-ref[i])) > 1e-4*math.Max(1, math.Abs(float64(ref[i]))) {
						t.Fatalf("x%d group %d token %d row %d: %v, reference %v", n, g, tok, i, v, ref[i])
					}
					if hasVNNI && math.Float32bits(v) != math.Float32bits(vnni[i]) {
						t.Fatalf("x%d group %d token %d row %d: %v, VNNI kernel %v", n, g, tok, i, v, vnni[i])
					}
				}
			}
		}
	}
}

// TestPackedQ6_KAVX2 is TestPackedQ4_0AVX2 for the AVX2 Q6_K kernels.
func TestPackedQ6_KAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Log("no AVX2: these kernels are never used on this CPU")
		return
	}
	r := rand.New(rand.NewPCG(45, 46))
	const rows, nb, nTok = 16, 3, 2
	w, err := Pack(randMatrix(t, r, gguf.TypeQ6_K, rows, nb*QK_K))
	if err != nil {
		t.Fatal(err)
	}
	var a Q8
	if err := QuantizeQ8_K(&a, randVec(r, nTok*nb*QK_K)); err != nil {
		t.Fatal(err)
	}
	a.Off = make([]int32, nTok*nb*16)
	makeOff6(&a, 0, nTok*nb)
	gb := nb * 8 * q6KBlock
	for g := 0; g < rows/8; g++ {
		wg := w.Data[g*gb : (g+1)*gb]
		for _, n := range []int{1, 2} {
			got := make([]float32, nTok*rows)
			if n == 1 {
				for tok := 0; tok < nTok; tok++ {
					packedQ6_KAVX2.x1(wg, &a, tok*nb, nb, got[tok*rows+8*g:])
				}
			} else {
				packedQ6_KAVX2.x2(wg, &a, 0, nb, got[8*g:], rows)
			}
			for tok := 0; tok < nTok; tok++ {
				var ref, vnni [8]float32
				refGemmQ6KRows8(w.Data, g, nb, &a, tok*nb, ref[:])
				if hasVNNI && hasAVX512BW {
					fastDots.q6_Kx8x1(wg, &a, tok*nb, nb, vnni[:])
				}
				for i := 0; i < 8; i++ {
					v := got[tok*rows+8*g+i]
					if math.Abs(float64(v-ref[i])) > 1e-4*math.Max(1, math.Abs(float64(ref[i]))) {
						t.Fatalf("x%d group %d token %d row %d: %v, reference %v", n, g, tok, i, v, ref[i])
					}
					if hasVNNI && hasAVX512BW && math.Float32bits(v) != math.Float32bits(vnni[i]) {
						t.Fatalf("x%d group %d token %d row %d: %v, VNNI kernel %v", n, g, tok, i, v, vnni[i])
					}
				}
			}
		}
	}
}
