package kernels

import (
	"fmt"

	"github.com/orcd/orcd/gguf"
)

// Layout is how a Matrix's bytes are arranged.
type Layout uint8

const (
	// LayoutRows is GGUF's: each row's blocks back to back.
	LayoutRows Layout = iota
	// LayoutQ4_0x8 is Q4_0 repacked by PackQ4_0x8: groups of eight rows,
	// and within a group, block by block, the eight rows' f16 scales (16
	// bytes) then their quants interleaved four bytes at a time (128
	// bytes): chunk k (k = 0..3) holds bytes 4k..4k+3 of rows 0..7. A
	// block of eight rows is still 8*18 bytes, so the size is unchanged.
	LayoutQ4_0x8
)

const (
	q4_0Block   = 18     // bytes of one Q4_0 block
	q4_0x8Block = 8 * 18 // bytes of one block of an eight-row group
)

// CanPack reports whether PackQ4_0x8 would repack m on this CPU: Q4_0
// weights with whole groups of eight rows, and the VNNI kernels that read
// the packed layout.
func CanPack(m Matrix) bool {
	return hasVNNI && activeName != "ref" && m.Type == gguf.TypeQ4_0 && m.Layout == LayoutRows &&
		m.Rows%8 == 0 && m.Rows > 0 && m.Cols%QK8_0 == 0
}

// PackQ4_0x8 copies a Q4_0 matrix into LayoutQ4_0x8, which the VNNI
// kernels multiply with every weight byte read once per group of eight
// rows instead of once per row. llama.cpp repacks Q4_0 the same way on
// x86 at load time (with its own interleave). The result is a new
// allocation; m is only read.
func PackQ4_0x8(m Matrix) (Matrix, error) {
	if m.Type != gguf.TypeQ4_0 || m.Layout != LayoutRows {
		return Matrix{}, fmt.Errorf("kernels: pack: want a Q4_0 matrix in row layout, have %v", m.Type)
	}
	if m.Rows%8 != 0 || m.Cols%QK8_0 != 0 || m.Rows <= 0 {
		return Matrix{}, fmt.Errorf("kernels: pack: %dx%d Q4_0 matrix is not whole groups of 8 rows and 32 columns", m.Rows, m.Cols)
	}
	nb := m.Cols / QK8_0
	rb := nb * q4_0Block
	if len(m.Data) < m.Rows*rb {
		return Matrix{}, fmt.Errorf("kernels: pack: %dx%d Q4_0 matrix needs %d bytes, has %d", m.Rows, m.Cols, m.Rows*rb, len(m.Data))
	}
	out := make([]byte, m.Rows*rb)
	for g := 0; g < m.Rows/8; g++ {
		for b := 0; b < nb; b++ {
			dst := out[(g*nb+b)*q4_0x8Block:][:q4_0x8Block]
			for r := 0; r < 8; r++ {
				src := m.Data[(g*8+r)*rb+b*q4_0Block:][:q4_0Block]
				copy(dst[2*r:2*r+2], src[:2])
				for k := 0; k < 4; k++ {
					copy(dst[16+32*k+4*r:][:4], src[2+4*k:2+4*k+4])
				}
			}
		}
	}
	return Matrix{Type: m.Type, Rows: m.Rows, Cols: m.Cols, Data: out, Layout: LayoutQ4_0x8}, nil
}

// refGemmQ4_0x8 is the readable definition of the packed kernels: rows
// [8g, 8g+8) of packed w times token blocks starting at blk0 of a, into
// out[0:8]. Per block, the exact integer dot (offset included) is scaled
// by the product of the two scales and accumulated in float32; the
// assembly does the last step as one fused multiply-add, so the two agree
// to float rounding, not bit for bit.
func refGemmQ4_0x8(w []byte, g, nb int, a *Q8, blk0 int, out []float32) {
	for r := 0; r < 8; r++ {
		var acc float32
		for b := 0; b < nb; b++ {
			blk := w[(g*nb+b)*q4_0x8Block:][:q4_0x8Block]
			qs := a.Qs[(blk0+b)*QK8_0:][:QK8_0]
			var s int32
			for k := 0; k < 4; k++ {
				for i := 0; i < 4; i++ {
					q := blk[16+32*k+4*r+i]
					s += (int32(q&0x0f)-8)*int32(qs[4*k+i]) + (int32(q>>4)-8)*int32(qs[16+4*k+i])
				}
			}
			acc += float32(s) * (f16ToF32(le16(blk[2*r:])) * a.D[blk0+b])
		}
		out[r] = acc
	}
}

// packedTokTile is how many tokens run over a chunk of packed rows before
// the next: their quantized activations (about 2.3 KB per 2048 columns)
// stay in L2 while the chunk's weights are reused from it.
const packedTokTile = 32

// packedRows is rows for a LayoutQ4_0x8 matrix: lo and hi are multiples
// of eight. Four tokens at a time share each unpacked weight block; the
// rest go one by one through a kernel with the same per-token arithmetic.
func (j *job) packedRows(a *Q8, lo, hi int) {
	w := j.w
	nb := w.Cols / QK8_0
	gb := nb * q4_0x8Block
	x1, x4 := active.q4_0x8x1, active.q4_0x8x4
	for t0 := 0; t0 < j.nTok; t0 += packedTokTile {
		t1 := min(j.nTok, t0+packedTokTile)
		for g := lo / 8; g < hi/8; g++ {
			t := t0
			if x4 != nil {
				for ; t+4 <= t1; t += 4 {
					x4(w.Data[g*gb:(g+1)*gb], a, t*nb, nb, j.out[t*w.Rows+8*g:], w.Rows)
				}
			}
			for ; t < t1; t++ {
				out := j.out[t*w.Rows+8*g:][:8]
				if x1 != nil {
					x1(w.Data[g*gb:(g+1)*gb], a, t*nb, nb, out)
				} else {
					refGemmQ4_0x8(w.Data, g, nb, a, t*nb, out)
				}
			}
		}
	}
}
