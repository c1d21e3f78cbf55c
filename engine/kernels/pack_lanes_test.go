package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// chunkLanes is the packed Q4_0 and Q8_0 kernels' arithmetic for one
// row (each row one int32 lane): per block the exact integer dot s, then
// acc = fma(s, f16(d_w)·d_a, acc) with one rounding. refGemmChunks adds
// unfused; this is what the assembly does on both architectures.
func chunkLanes(w []byte, t gguf.Type, per, g, nb int, a *Q8, blk0 int, out []float32) {
	one := make([]float32, 1)
	bb := rows8Block(t)
	for r := 0; r < per; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*per*bb:][:per*bb]
			// The block's integer dot: refGemmChunks over this block
			// alone with both scales 1.
			tmp := make([]byte, per*bb)
			copy(tmp, blk)
			for i := 0; i < per; i++ {
				tmp[2*i], tmp[2*i+1] = 0x00, 0x3c // f16 1.0
			}
			ad := a.D[blk0+b]
			a.D[blk0+b] = 1
			refGemmChunksRow(tmp, t, per, r, a, blk0+b, one)
			a.D[blk0+b] = ad
			acc = fma32(one[0], f16ToF32(le16(blk[2*r:]))*ad, acc)
		}
		out[r] = acc
	}
}

// refGemmChunksRow is refGemmChunks for row r of one packed block.
func refGemmChunksRow(blk []byte, t gguf.Type, per, r int, a *Q8, blk0 int, out []float32) {
	all := make([]float32, per)
	refGemmChunks(blk, t, per, 0, 1, a, blk0, all)
	out[0] = all[r]
}

// TestPackedChunkLanes holds the packed Q4_0 and Q8_0 kernels (one, two,
// four and eight tokens, as MatMul runs them) to chunkLanes bit for bit,
// so that amd64 and arm64 give the same bits.
func TestPackedChunkLanes(t *testing.T) {
	defer UseReference(false)
	for _, isa := range []string{"native", "avx2"} {
		if isa == "avx2" && !UseAVX2Only() {
			continue
		}
		t.Run(isa, testPackedChunkLanes)
	}
}

func testPackedChunkLanes(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0} {
		m := randMatrix(t, r, typ, 32, 7*QK8_0)
		if !CanPack(m) {
			t.Logf("%v: not packed on this CPU (kernels %q)", typ, Impl())
			continue
		}
		pw, err := Pack(m)
		if err != nil {
			t.Fatal(err)
		}
		per, nb := groupRows(pw.Layout), m.Cols/QK8_0
		k := packedKernels(typ, pw.Layout)
		const nTok = 8
		var a Q8
		if err := QuantizeQ8_0(&a, randVec(r, nTok*m.Cols)); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, per)
		got := make([]float32, nTok*m.Rows)
		for g := 0; g < m.Rows/per; g++ {
			wg := pw.Data[g*nb*per*rows8Block(typ):][:nb*per*rows8Block(typ)]
			for _, x := range []struct {
				n int
				f func([]byte, *Q8, int, int, []float32, int)
			}{{1, func(w []byte, a *Q8, blk0, nb int, out []float32, _ int) { k.x1(w, a, blk0, nb, out) }}, {2, k.x2}, {4, k.x4}, {8, k.x8}} {
				if x.f == nil {
					continue
				}
				x.f(wg, &a, 0, nb, got, m.Rows)
				for tok := 0; tok < x.n; tok++ {
					chunkLanes(wg, typ, per, 0, nb, &a, tok*nb, want)
					bitsEqual(t, fmt.Sprintf("%v %d-token kernel, group %d token %d", typ, x.n, g, tok), got[tok*m.Rows:][:per], want)
				}
			}
		}
	}
}
