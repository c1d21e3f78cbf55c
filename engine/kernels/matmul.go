package kernels

import (
	"fmt"
	"unsafe"

	"github.com/orcd/orcd/gguf"
)

// Matrix is a weight matrix in its GGUF layout: Rows rows of Cols values,
// each row RowBytes(Cols) bytes of Type, back to back (GGUF dims [Cols, Rows]).
type Matrix struct {
	Type       gguf.Type
	Rows, Cols int
	Data       []byte
	Layout     Layout // LayoutRows unless repacked by Pack
}

// Supported reports whether MatMul has kernels for weights of type t: the
// Go references and their fast versions for F32, F16, Q8_0, Q4_0, Q4_K and
// Q6_K, and the fast row dots of extra.go for other types where this CPU
// has them.
func Supported(t gguf.Type) bool {
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ6_K:
		return true
	}
	if t == gguf.TypeBF16 {
		return active.bf16rows != nil
	}
	return extraDot(t) != nil
}

// tileBytes is the weight bytes a worker keeps hot in its L2 while it runs
// every token of a prefill batch over them.
const tileBytes = 128 << 10

// job is one parallel step. Quantizing, every worker takes a static share
// of the blocks; multiplying, workers take chunks of rows as they go.
type job struct {
	quantize bool
	w        Matrix
	rowBytes int
	out, x   []float32
	nTok     int
	chunk    int // rows (or Parallel's items) per work chunk
	// fn, when set, makes the job Parallel's loop over [0, items).
	fn    func(worker, lo, hi int)
	items int
}

func (j *job) do(p *Pool, worker int) {
	if j.fn != nil {
		for {
			lo := int(p.nextChunk.Add(1)-1) * j.chunk
			if lo >= j.items {
				return
			}
			j.fn(worker, lo, min(j.items, lo+j.chunk))
		}
	}
	if j.quantize {
		nb := j.nTok * j.w.Cols / p.act.Block
		lo, hi := share(nb, p.n, worker)
		j.quantizeBlocks(&p.act, lo, hi)
		return
	}
	// Rows go in chunks taken from a shared counter, not static shares: on
	// a shared machine a descheduled (or late-waking) worker's rows are
	// picked up by the others instead of holding up the whole matmul. A
	// row's result does not depend on which worker computes it.
	for {
		lo := int(p.nextChunk.Add(1)-1) * j.chunk
		if lo >= j.w.Rows {
			return
		}
		j.rows(&p.act, lo, min(j.w.Rows, lo+j.chunk), &p.quadOut[worker].v)
	}
}

// chunkRows is the rows per work chunk: one cache tile for a batch (rows
// then runs every token over it), else about 8 chunks per worker.
func chunkRows(rows, rowBytes, nTok, workers int) int {
	if nTok > 1 {
		return max(1, tileBytes/rowBytes)
	}
	return max(16, rows/(8*workers))
}

// share is worker i's part [lo, hi) of n items split n ways.
func share(n, ways, i int) (lo, hi int) { return n * i / ways, n * (i + 1) / ways }

// MatMul computes out[t] = W·x[t] for nTok tokens: x is [nTok][w.Cols],
// out is [nTok][w.Rows]. Quantized weights are multiplied with activations
// quantized to 8 bits first (Q8_0 or Q8_K blocks, as llama.cpp does); F16
// and F32 weights use the float activations directly. It allocates nothing
// once the pool has seen a batch of this size.
func (p *Pool) MatMul(out []float32, w Matrix, x []float32, nTok int) error {
	rowBytes, err := w.Type.RowBytes(w.Cols)
	switch {
	case !Supported(w.Type) && !(w.Layout != LayoutRows && rows8Block(w.Type) > 0):
		return fmt.Errorf("kernels: no matmul kernel for %v weights", w.Type)
	case err != nil:
		return fmt.Errorf("kernels: %w", err)
	case nTok < 1 || w.Rows < 1:
		return fmt.Errorf("kernels: empty matmul (%d tokens, %d rows)", nTok, w.Rows)
	case len(w.Data) < w.Rows*rowBytes:
		return fmt.Errorf("kernels: %v matrix %dx%d needs %d bytes, has %d", w.Type, w.Rows, w.Cols, w.Rows*rowBytes, len(w.Data))
	case len(x) < nTok*w.Cols:
		return fmt.Errorf("kernels: input has %d values, want %d", len(x), nTok*w.Cols)
	case len(out) < nTok*w.Rows:
		return fmt.Errorf("kernels: output has %d values, want %d", len(out), nTok*w.Rows)
	case w.Layout == LayoutRows8 && (rows8Block(w.Type) == 0 || w.Rows%8 != 0 || w.Cols%rows8Cols(w.Type) != 0):
		return fmt.Errorf("kernels: %v matrix with %d rows in the packed layout", w.Type, w.Rows)
	case w.Layout == LayoutRows16 && (!rows16Type(w.Type) || w.Rows%16 != 0 || w.Cols%rows8Cols(w.Type) != 0):
		return fmt.Errorf("kernels: %v matrix with %d rows in the sixteen-row layout", w.Type, w.Rows)
	case w.Layout != LayoutRows && len(w.Data) < PackedSize(w):
		return fmt.Errorf("kernels: packed %v matrix %dx%d needs %d bytes, has %d", w.Type, w.Rows, w.Cols, PackedSize(w), len(w.Data))
	case w.Layout > LayoutRows16:
		return fmt.Errorf("kernels: unknown matrix layout %d", w.Layout)
	}
	p.job = job{w: w, rowBytes: rowBytes, out: out, x: x, nTok: nTok, chunk: chunkRows(w.Rows, rowBytes, nTok, p.n)}
	if w.Layout != LayoutRows {
		if nTok <= 8 {
			// Packed kernels take up to eight tokens in one pass over the
			// weights, so small batches need no cache tiles: split as for
			// one token, which balances the workers better.
			p.job.chunk = chunkRows(w.Rows, rowBytes, 1, p.n)
		}
		per := groupRows(w.Layout)
		p.job.chunk = (p.job.chunk + per - 1) / per * per // whole groups
	}
	if w.Type == gguf.TypeF16 || w.Type == gguf.TypeBF16 {
		// ggml multiplies F16 (BF16) weights with activations converted
		// to F16 (BF16).
		p.xh = grow(p.xh, nTok*w.Cols)
		switch {
		case w.Type == gguf.TypeF16:
			roundF16Slice(p.xh, x[:nTok*w.Cols])
		case active.bf16DP && w.Cols%32 == 0:
			packBF16(p.xh, x[:nTok*w.Cols]) // for the vdpbf16ps tiles
		default:
			roundBF16Slice(p.xh, x[:nTok*w.Cols])
		}
		p.job.x = p.xh
	} else if w.Type != gguf.TypeF32 {
		p.act.resize(nTok*w.Cols, actBlock(w.Type))
		if needsCorr(w, nTok) {
			p.act.Corr = grow(p.act.Corr, nTok*w.Cols/4)
		}
		p.act.Off = grow(p.act.Off, nTok*w.Cols/valuesPerOff(w))
		if needsSums(w) {
			p.act.S1 = grow(p.act.S1, nTok*w.Cols/QK8_0)
		}
		p.job.quantize = true
		p.run()
		p.job.quantize = false
	}
	p.nextChunk.Store(0)
	p.run()
	p.job = job{} // drop references to the caller's slices
	return nil
}

// needsCorr reports whether the kernels for a matmul of w over nTok
// tokens read Q8.Corr or Q8.Off: the VNNI Q4_0 kernels and packed Q8_0
// IQ4_NL and Q5_0 always, the row-layout VNNI Q8_0 kernel only in batches of
// four tokens.
func needsCorr(w Matrix, nTok int) bool {
	t := w.Type
	packed := w.Layout != LayoutRows
	return active.needCorr && (t == gguf.TypeQ4_0 || t == gguf.TypeQ8_0 && (nTok >= 4 || packed) || (t == gguf.TypeIQ4_NL || t == gguf.TypeQ5_0) && packed)
}

// needsSums reports whether the kernels for w read Q8.Off and Q8.S1 as
// makeSums leaves them: the legacy types' VNNI row dots (legacyWide) and
// the packed Q4_1 and Q5_1 kernels (S1 only).
func needsSums(w Matrix) bool {
	t := w.Type
	if w.Layout != LayoutRows {
		return (t == gguf.TypeQ4_1 || t == gguf.TypeQ5_1) && packedKernels(t, w.Layout).x1 != nil
	}
	return legacyWide() && (t == gguf.TypeQ5_0 || t == gguf.TypeQ4_1 || t == gguf.TypeQ5_1)
}

// valuesPerOff is how many activation values share one Q8.Off entry for
// w's kernels: a Q8_0 block (Q4_0, Q8_0), a 16-value group (packed Q6_K)
// or a pair of 32-value sub-blocks (packed Q4_K, Q5_K). Kernels that read
// no offsets get one per block anyway; it costs nothing to size.
func valuesPerOff(w Matrix) int {
	if w.Layout != LayoutRows {
		switch w.Type {
		case gguf.TypeQ6_K, gguf.TypeQ3_K, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ1_S, gguf.TypeIQ1_M:
			return 16
		case gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeIQ4_XS, gguf.TypeIQ3_S, gguf.TypeIQ3_XXS:
			return 64
		case gguf.TypeQ2_K:
			return 32
		}
	}
	return QK8_0
}

// quantizeBlocks quantizes activation blocks [lo, hi) of j.x (all tokens
// back to back) into a, sized already. Blocks never straddle tokens since
// Cols is a multiple of the block size.
func (j *job) quantizeBlocks(a *Q8, lo, hi int) {
	x := j.x[lo*a.Block : hi*a.Block]
	if a.Block == QK_K {
		quantizeQ8KInto(a, x, lo)
		switch {
		case j.w.Layout == LayoutRows:
		case j.w.Type == gguf.TypeQ6_K:
			makeOff6(a, lo, hi)
		case j.w.Type == gguf.TypeQ4_K || j.w.Type == gguf.TypeQ5_K || xsCodebook(j.w.Type) != nil:
			makeOffQ4K(a, lo, hi)
		case j.w.Type == gguf.TypeQ2_K:
			makeOffQ2K(a, lo, hi)
		case grid3Codebook(j.w.Type) != nil:
			makeOff3(a, lo, hi, grid3Bias(j.w.Type))
		}
		return
	}
	quantizeQ8_0Into(a, x, lo)
	if needsCorr(j.w, j.nTok) {
		makeCorr(a, lo, hi)
	}
	if needsSums(j.w) {
		makeSums(a, lo, hi)
	}
}

// rows computes output rows [lo, hi) for every token. With several tokens
// the rows go in tiles of about tileBytes, and every token runs over a tile
// while it is in cache, so each weight byte comes from memory once.
func (j *job) rows(a *Q8, lo, hi int, o *[8]float32) {
	if j.w.Layout != LayoutRows {
		j.packedRows(a, lo, hi)
		return
	}
	if f := tileRows(j.w.Type); f != nil && j.w.Cols%16 == 0 {
		j.rowsTiled(f, lo, hi)
		return
	}
	tile := max(1, tileBytes/j.rowBytes)
	if j.nTok == 1 {
		tile = hi - lo
	}
	x4, x8 := quad(j.w.Type), extraOct(j.w.Type)
	for r0 := lo; r0 < hi; r0 += tile {
		r1 := min(hi, r0+tile)
		t := 0
		if x8 != nil {
			for ; t+8 <= j.nTok; t += 8 {
				j.rowsFor8Tokens(x8, a, r0, r1, t, o)
			}
		}
		if x4 != nil {
			for ; t+4 <= j.nTok; t += 4 {
				j.rowsFor4Tokens(x4, a, r0, r1, t, (*[4]float32)(o[:4]))
			}
		}
		for ; t < j.nTok; t++ {
			j.rowsForToken(a, r0, r1, t)
		}
	}
}

// tileRows is the active tile kernel for F16 or BF16 weights, nil if none.
func tileRows(t gguf.Type) func(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int) {
	switch t {
	case gguf.TypeF16:
		return active.f16rows
	case gguf.TypeBF16:
		return active.bf16rows
	}
	return nil
}

// rowsTiled is rows for F16 or BF16 weights on their tile kernels f: every
// token runs over a cache tile of rows before the next tile.
func (j *job) rowsTiled(f func(w []byte, rb, rows int, x []float32, cols, nTok int, out []float32, ostride int), lo, hi int) {
	tile := max(4, tileBytes/j.rowBytes&^3)
	if j.nTok == 1 {
		tile = hi - lo
	}
	n := j.w.Cols
	for r0 := lo; r0 < hi; r0 += tile {
		r1 := min(hi, r0+tile)
		f(j.w.Data[r0*j.rowBytes:r1*j.rowBytes], j.rowBytes, r1-r0, j.x[:j.nTok*n], n, j.nTok, j.out[r0:], j.w.Rows)
	}
}

// quad is the four-token kernel for weights of type t, nil if none.
func quad(t gguf.Type) func([]byte, *Q8, int, int, int, *[4]float32) {
	switch t {
	case gguf.TypeQ8_0:
		return active.q8_0x4
	case gguf.TypeQ4_0:
		return active.q4_0x4
	case gguf.TypeQ4_K:
		return active.q4_Kx4
	case gguf.TypeQ6_K:
		return active.q6_Kx4
	}
	return extraQuad(t)
}

// rowsFor4Tokens is rowsForToken for tokens t..t+3 at once: every weight
// block is unpacked once for the four. o is the worker's scratch (a local
// would escape through the function value).
func (j *job) rowsFor4Tokens(x4 func([]byte, *Q8, int, int, int, *[4]float32), a *Q8, r0, r1, t int, o *[4]float32) {
	w, rb := j.w, j.rowBytes
	nb := w.Cols / a.Block
	for r := r0; r < r1; r++ {
		x4(w.Data[r*rb:(r+1)*rb], a, t*nb, nb, nb, o)
		for i, v := range o {
			j.out[(t+i)*w.Rows+r] = v
		}
	}
}

// rowsFor8Tokens is rowsFor4Tokens for eight tokens.
func (j *job) rowsFor8Tokens(x8 octDot, a *Q8, r0, r1, t int, o *[8]float32) {
	w, rb := j.w, j.rowBytes
	nb := w.Cols / a.Block
	for r := r0; r < r1; r++ {
		x8(w.Data[r*rb:(r+1)*rb], a, t*nb, nb, nb, o)
		for i, v := range o {
			j.out[(t+i)*w.Rows+r] = v
		}
	}
}

func (j *job) rowsForToken(a *Q8, r0, r1, t int) {
	w, rb, n := j.w, j.rowBytes, j.w.Cols
	out := j.out[t*w.Rows : (t+1)*w.Rows]
	var qdot func([]byte, *Q8, int, int) float32
	switch w.Type {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
		fdot := active.f32
		switch w.Type {
		case gguf.TypeF16:
			fdot = active.f16
		case gguf.TypeBF16:
			fdot = refDotBF16
		}
		x := j.x[t*n : (t+1)*n]
		for r := r0; r < r1; r++ {
			out[r] = fdot(w.Data[r*rb:(r+1)*rb], x)
		}
		return
	case gguf.TypeQ8_0:
		qdot = active.q8_0
	case gguf.TypeQ4_0:
		qdot = active.q4_0
	case gguf.TypeQ4_K:
		qdot = active.q4_K
	case gguf.TypeQ6_K:
		qdot = active.q6_K
	default:
		qdot = extraDot(w.Type)
	}
	nb := n / a.Block
	for r := r0; r < r1; r++ {
		out[r] = qdot(w.Data[r*rb:(r+1)*rb], a, t*nb, nb)
	}
}

// F32Bytes views a float32 slice as bytes (for F32 matrices built in memory).
func F32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}
