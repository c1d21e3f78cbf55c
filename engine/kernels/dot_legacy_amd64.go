package kernels

import "github.com/orcd/orcd/gguf"

//go:noescape
func dotQ5_0AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ4_1AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ5_1AVX2(w *byte, qs *int8, d *float32, nb int) float32

//go:noescape
func dotQ5_0VNNI(w *byte, qs *int8, d *float32, off *int32, nb int) float32

//go:noescape
func dotQ4_1VNNI(w *byte, qs *int8, d *float32, s1 *float32, nb int) float32

//go:noescape
func dotQ5_1VNNI(w *byte, qs *int8, d *float32, s1 *float32, nb int) float32

// legacyWide reports whether the legacy row dots take their AVX-512 VNNI
// forms (dot_legacy_vnni_amd64.s), which read the per-block sums that
// makeSums leaves in Q8.Off and Q8.S1: with the AVX-512 set active, not
// under UseAVX2Only.
func legacyWide() bool { return active.wide && hasAVX512BW && hasVNNI }

// sumsCheck bound-checks the sums the VNNI forms read.
func sumsCheck(a *Q8, blk0, nb int) {
	_, _ = a.Off[blk0+nb-1], a.S1[blk0+nb-1]
}

func fastDotQ5_0(w []byte, a *Q8, blk0, nb int) float32 {
	if legacyWide() {
		sumsCheck(a, blk0, nb)
		return dotQ5_0VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.Off[blk0], nb)
	}
	return dotQ5_0AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

func fastDotQ4_1(w []byte, a *Q8, blk0, nb int) float32 {
	if legacyWide() {
		sumsCheck(a, blk0, nb)
		return dotQ4_1VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.S1[blk0], nb)
	}
	return dotQ4_1AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

func fastDotQ5_1(w []byte, a *Q8, blk0, nb int) float32 {
	if legacyWide() {
		sumsCheck(a, blk0, nb)
		return dotQ5_1VNNI(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.S1[blk0], nb)
	}
	return dotQ5_1AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb)
}

var (
	_ = hasAVX2 && registerExtra(gguf.TypeQ5_0, fastDotQ5_0, nil)
	_ = hasAVX2 && registerExtra(gguf.TypeQ4_1, fastDotQ4_1, nil)
	_ = hasAVX2 && registerExtra(gguf.TypeQ5_1, fastDotQ5_1, nil)
)

//go:noescape
func dotQ5_0x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ4_1x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

//go:noescape
func dotQ5_1x4AVX2(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[4]float32)

// x4Check bound-checks the last token's last block, which the assembly
// reads but the pointers passed to it do not check.
func x4Check(w []byte, bs int, a *Q8, blk0, nb, tokBlocks int) {
	end := blk0 + 3*tokBlocks + nb
	_, _, _ = w[nb*bs-1], a.Qs[end*32-1], a.D[end-1]
}

func fastDotQ5_0x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	x4Check(w, 22, a, blk0, nb, tokBlocks)
	dotQ5_0x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

func fastDotQ4_1x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	x4Check(w, 20, a, blk0, nb, tokBlocks)
	dotQ4_1x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

func fastDotQ5_1x4(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32) {
	x4Check(w, 24, a, blk0, nb, tokBlocks)
	dotQ5_1x4AVX2(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

var (
	_ = hasAVX2 && registerExtraQuad(gguf.TypeQ5_0, fastDotQ5_0x4)
	_ = hasAVX2 && registerExtraQuad(gguf.TypeQ4_1, fastDotQ4_1x4)
	_ = hasAVX2 && registerExtraQuad(gguf.TypeQ5_1, fastDotQ5_1x4)
)

//go:noescape
func dotQ5_0x8AVX512(w *byte, qs *int8, d *float32, nb, qstride, dstride int, out *[8]float32)

func fastDotQ5_0x8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_, _, _ = w[nb*22-1], a.Qs[end*32-1], a.D[end-1]
	dotQ5_0x8AVX512(&w[0], &a.Qs[blk0*32], &a.D[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

var _ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeQ5_0, fastDotQ5_0x8)

//go:noescape
func dotQ4_1x8AVX512(w *byte, qs *int8, d, s1 *float32, nb, qstride, dstride int, out *[8]float32)

//go:noescape
func dotQ5_1x8AVX512(w *byte, qs *int8, d, s1 *float32, nb, qstride, dstride int, out *[8]float32)

// minsX8 runs an eight-token Q4_1/Q5_1 kernel, which reads Q8.S1 (made
// where legacyWide, as the one-token VNNI row dots need it); without it,
// the four-token kernel twice.
func minsX8(k func(w *byte, qs *int8, d, s1 *float32, nb, qstride, dstride int, out *[8]float32),
	quad func(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[4]float32), bs int,
	w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	if !legacyWide() {
		quad(w, a, blk0, nb, tokBlocks, (*[4]float32)(out[:4]))
		quad(w, a, blk0+4*tokBlocks, nb, tokBlocks, (*[4]float32)(out[4:]))
		return
	}
	end := blk0 + 7*tokBlocks + nb // one past token 7's last block
	_, _, _, _ = w[nb*bs-1], a.Qs[end*32-1], a.D[end-1], a.S1[end-1]
	k(&w[0], &a.Qs[blk0*32], &a.D[blk0], &a.S1[blk0], nb, tokBlocks*32, tokBlocks*4, out)
}

func fastDotQ4_1x8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	minsX8(dotQ4_1x8AVX512, fastDotQ4_1x4, 20, w, a, blk0, nb, tokBlocks, out)
}

func fastDotQ5_1x8(w []byte, a *Q8, blk0, nb, tokBlocks int, out *[8]float32) {
	minsX8(dotQ5_1x8AVX512, fastDotQ5_1x4, 24, w, a, blk0, nb, tokBlocks, out)
}

var (
	_ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeQ4_1, fastDotQ4_1x8)
	_ = hasAVX512BW && hasVNNI && registerExtraOct(gguf.TypeQ5_1, fastDotQ5_1x8)
)
