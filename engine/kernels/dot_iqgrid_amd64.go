package kernels

import (
	"unsafe"

	"github.com/orcd/orcd/gguf"
)

// The AVX2 row dots of dot_iqgrid_amd64.s, bit for bit the Go definitions
// of dot_iqgrid.go, on nb >= 1 blocks: w the weight blocks, qs and d the
// activation quants and scales of the same blocks, grid and signs the
// type's grid (gguf.IQGridBytes) and sign words (keptSigns or signBytes).
//
//go:noescape
func dotIQ2_XXSAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

//go:noescape
func dotIQ2_XSAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

//go:noescape
func dotIQ2_SAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

//go:noescape
func dotIQ3_XXSAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

//go:noescape
func dotIQ3_SAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

//go:noescape
func dotIQ1_SAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

//go:noescape
func dotIQ1_MAVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

// deltaWords are IQ1_S's delta bytes: +1s, and -1s where the delta's
// sign bit is set. iq1m holds IQ1_M's (see iq1mTables).
var (
	deltaWords = [2]uint64{0x0101010101010101, 0xffffffffffffffff}
	iq1m       = func() (t iq1mTables) {
		for m := range t.deltas {
			for i := range t.deltas[m] {
				t.deltas[m][i] = 1
				if m>>(i/8)&1 != 0 {
					t.deltas[m][i] = 0xff
				}
			}
		}
		for s := range t.scales {
			for i := range t.scales[s] {
				t.scales[s][i] = uint16(2*(s&7) + 1)
				if i >= 8 {
					t.scales[s][i] = uint16(2*(s>>3) + 1)
				}
			}
		}
		return
	}()
	// gridIQ1S8 is the IQ1 grid times 8: the kernels add the delta to it.
	gridIQ1S8 = func() []byte {
		g := make([]byte, len(gridIQ1S))
		for i, v := range gridIQ1S {
			g[i] = byte(8 * int8(v))
		}
		return g
	}()
)

// iq1mTables are IQ1_M's kernel tables, one block of memory: deltas[m]
// the delta bytes of a group whose four runs' sign bits are m (run l's 8
// bytes -1 where bit l is set), scales[s] the vpmaddwd words of a group
// whose two 3-bit scales are s (2*(s&7)+1 for the first 16 weights,
// 2*(s>>3)+1 for the rest).
type iq1mTables struct {
	deltas [16][32]byte
	scales [64][16]uint16
}

// gridTables are the sign words and scale vectors of IQ2_XS (signs
// keptSigns) and IQ2_S (signBytes), one block of memory: scales[b] the
// vpmaddwd words of a scale byte b (2*(b&15)+1 for a group's first 16
// weights, 2*(b>>4)+1 for the rest).
type gridTables struct {
	signs  [256]uint64
	scales [256][16]uint16
}

func newGridTables(signs []uint64) *gridTables {
	t := new(gridTables)
	copy(t.signs[:], signs)
	for b := range t.scales {
		for i := range t.scales[b] {
			t.scales[b][i] = uint16(2*(b&15) + 1)
			if i >= 8 {
				t.scales[b][i] = uint16(2*(b>>4) + 1)
			}
		}
	}
	return t
}

var (
	iq2xsTables = newGridTables(keptSigns[:])
	iq2sTables  = newGridTables(signBytes[:])
)

type gridAsm func(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64) float32

// gridDot wraps one of them as a rowDot; the bounds are checked once here
// (the assembly reads whole blocks and indexes the tables only with
// indices that fit them).
func gridDot(f gridAsm, bs int, grid []byte, signs *uint64) rowDot {
	g := unsafe.SliceData(grid)
	return func(w []byte, a *Q8, blk0, nb int) float32 {
		_, _, _ = w[nb*bs-1], a.Qs[(blk0+nb)*QK_K-1], a.D[blk0+nb-1]
		return f(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, g, signs)
	}
}

// The four-token kernels: token t's quants and scales qstride*t and
// dstride*t bytes after token 0's; out[t] is bit for bit the row dot on
// token t.

//go:noescape
func dotIQ2_XXSx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ2_XSx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ2_Sx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ3_XXSx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ3_Sx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ1_Sx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

//go:noescape
func dotIQ1_Mx4AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

type gridAsm4 func(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[4]float32)

func gridQuad(f gridAsm4, bs int, grid []byte, signs *uint64) quadDot {
	g := unsafe.SliceData(grid)
	return func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
		end := blk0 + 3*tokBlocks + nb // one past token 3's last block
		_, _, _ = w[nb*bs-1], a.Qs[end*QK_K-1], a.D[end-1]
		f(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, g, signs, tokBlocks*QK_K, tokBlocks*4, out)
	}
}

// The eight-token kernels, as the four-token ones (AVX2; MatMul uses them
// where the active kernel set allows eight-token kernels, extraOct).

//go:noescape
func dotIQ2_XXSx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

//go:noescape
func dotIQ2_XSx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

//go:noescape
func dotIQ2_Sx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

//go:noescape
func dotIQ3_XXSx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

//go:noescape
func dotIQ3_Sx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

//go:noescape
func dotIQ1_Sx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

//go:noescape
func dotIQ1_Mx8AVX2(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

type gridAsm8 func(w *byte, qs *int8, d *float32, nb int, grid *byte, signs *uint64, qstride, dstride int, out *[8]float32)

func gridOct(f gridAsm8, bs int, grid []byte, signs *uint64) octDot {
	g := unsafe.SliceData(grid)
	return func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
		end := blk0 + 7*tokBlocks + nb // one past token 7's last block
		_, _, _ = w[nb*bs-1], a.Qs[end*QK_K-1], a.D[end-1]
		f(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], nb, g, signs, tokBlocks*QK_K, tokBlocks*4, out)
	}
}

// gridKernels are each grid type's three kernels, its block size, grid
// and table (sign words, or what takes their place: see the assembly).
var gridKernels = []struct {
	t     gguf.Type
	row   gridAsm
	x4    gridAsm4
	x8    gridAsm8
	bs    int
	grid  []byte
	table *uint64
}{
	{gguf.TypeIQ2_XXS, dotIQ2_XXSAVX2, dotIQ2_XXSx4AVX2, dotIQ2_XXSx8AVX2, iq2xxsBytes, gridIQ2XXS, &keptSigns[0]},
	{gguf.TypeIQ2_XS, dotIQ2_XSAVX2, dotIQ2_XSx4AVX2, dotIQ2_XSx8AVX2, iq2xsBytes, gridIQ2XS, &iq2xsTables.signs[0]},
	{gguf.TypeIQ2_S, dotIQ2_SAVX2, dotIQ2_Sx4AVX2, dotIQ2_Sx8AVX2, iq2sBytes, gridIQ2S, &iq2sTables.signs[0]},
	{gguf.TypeIQ3_XXS, dotIQ3_XXSAVX2, dotIQ3_XXSx4AVX2, dotIQ3_XXSx8AVX2, iq3xxsBytes, gridIQ3XXS, &keptSigns[0]},
	{gguf.TypeIQ3_S, dotIQ3_SAVX2, dotIQ3_Sx4AVX2, dotIQ3_Sx8AVX2, iq3sBytes, gridIQ3S, &signBytes[0]},
	{gguf.TypeIQ1_S, dotIQ1_SAVX2, dotIQ1_Sx4AVX2, dotIQ1_Sx8AVX2, iq1sBytes, gridIQ1S8, &deltaWords[0]},
	{gguf.TypeIQ1_M, dotIQ1_MAVX2, dotIQ1_Mx4AVX2, dotIQ1_Mx8AVX2, iq1mBytes, gridIQ1S8, (*uint64)(unsafe.Pointer(&iq1m))},
}

var _ = hasAVX2 && registerGridKernels()

func registerGridKernels() bool {
	for _, k := range gridKernels {
		registerExtra(k.t, gridDot(k.row, k.bs, k.grid, k.table), nil)
		registerExtraQuad(k.t, gridQuad(k.x4, k.bs, k.grid, k.table))
		registerExtraOct(k.t, gridOct(k.x8, k.bs, k.grid, k.table))
	}
	return true
}
