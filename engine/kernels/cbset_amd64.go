package kernels

// cbKernel is a packed kernel that takes a codebook table (the last
// argument): the sixteen-row IQ4_XS and Q3_K-layout ones and the
// eight-row AVX2 ones.
type cbKernel func(w *byte, qs *int8, d *float32, off *int32, nb, qstride, dstride, offstride int, out *float32, ostride int, cb *byte)

// cbSet binds the kernels of one, two, four and eight tokens (nil where
// none) to a codebook table: rows a group, bb bytes a packed block, offs
// Q8.Off entries a block; each result is multiplied by factor after
// (exact: a power of 2). The bounds checks keep the assembly inside w, a
// and out.
func cbSet(ks [4]cbKernel, tab *[16]byte, factor float32, rows, bb, offs int) packedSet {
	bind := func(k cbKernel, n int) func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
		if k == nil {
			return nil
		}
		return func(w []byte, a *Q8, blk0, nb int, out []float32, ostride int) {
			_ = out[(n-1)*ostride+rows-1]
			_ = w[nb*bb-1]
			_ = a.Off[(blk0+n*nb)*offs-1]
			k(&w[0], &a.Qs[blk0*QK_K], &a.D[blk0], &a.Off[blk0*offs], nb, nb*QK_K, nb*4, nb*offs*4, &out[0], 4*ostride, &tab[0])
			if factor != 1 {
				for i := range n {
					for r := range rows {
						out[i*ostride+r] *= factor
					}
				}
			}
		}
	}
	one := bind(ks[0], 1)
	return packedSet{
		x1: func(w []byte, a *Q8, blk0, nb int, out []float32) { one(w, a, blk0, nb, out, 0) },
		x2: bind(ks[1], 2), x4: bind(ks[2], 4), x8: bind(ks[3], 8),
	}
}

// biasedTable is a 16-entry codebook plus bias, as the kernels' vpshufb
// reads it.
func biasedTable(cb []int8, bias int) *[16]byte {
	tab := new([16]byte)
	for i, v := range cb {
		tab[i] = byte(int(v) + bias)
	}
	return tab
}
