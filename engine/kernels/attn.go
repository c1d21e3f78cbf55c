package kernels

// The fast kernels add in the same order as the plain loops here (a dot in
// four partial sums, each output a running sum over rows) and round each
// product, so both give the same bits.
//
// Attention over a float32 KV cache, for one query head: the scores q·k
// and the weighted sum of values. The cache holds a row per position, rows
// stride floats apart, the head's hd values at the start of each row (the
// caller offsets k and v to its KV head).

// AttnScores sets att[j] = (q · k[j*stride : j*stride+len(q)]) * scale for
// j < len(att). Callers guarantee k holds len(att) rows.
func AttnScores(att, q, k []float32, stride int, scale float32) {
	n, hd := len(att), len(q)
	if n == 0 || hd == 0 {
		return
	}
	_ = k[(n-1)*stride+hd-1]
	if hasAVX2 && activeName != "ref" && hd%4 == 0 {
		attnScoresAVX2(&att[0], &q[0], &k[0], stride, n, hd, scale)
		return
	}
	for j := range att {
		att[j] = dot4(q, k[j*stride:j*stride+hd]) * scale
	}
}

// AttnMix sets o = sum over j < len(att) of att[j] * v[j*stride : j*stride+len(o)].
func AttnMix(o, att, v []float32, stride int) {
	n, hd := len(att), len(o)
	if hd == 0 {
		return
	}
	if n == 0 {
		clear(o)
		return
	}
	_ = v[(n-1)*stride+hd-1]
	if hasAVX2 && activeName != "ref" && hd%8 == 0 {
		attnMixAVX2(&o[0], &att[0], &v[0], stride, n, hd)
		return
	}
	clear(o)
	for j, a := range att {
		vj := v[j*stride : j*stride+hd]
		for i := range o {
			o[i] += float32(a * vj[i])
		}
	}
}

// dot4 is a float32 dot product in four partial sums s_l over i ≡ l mod 4,
// returned as (s0+s1)+(s2+s3); a tail past a multiple of 4 goes to s0.
func dot4(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float32(a[i] * b[i])
		s1 += float32(a[i+1] * b[i+1])
		s2 += float32(a[i+2] * b[i+2])
		s3 += float32(a[i+3] * b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float32(a[i] * b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// AttnScoresFast is AttnScores with fused multiply-adds, eight keys at a
// time: faster, and equal to it to float rounding rather than bit for
// bit. A score depends only on q and its key row. It falls back to
// AttnScores where the CPU has no FMA kernels or hd is not a multiple of 8.
func AttnScoresFast(att, q, k []float32, stride int, scale float32) {
	n, hd := len(att), len(q)
	if n == 0 || hd == 0 {
		return
	}
	_ = k[(n-1)*stride+hd-1]
	if floatSIMD() && hd%8 == 0 {
		attnScoresFMA(&att[0], &q[0], &k[0], stride, n, hd, scale)
		return
	}
	AttnScores(att, q, k, stride, scale)
}

// AttnMixFast is AttnMix with fused multiply-adds (equal to float
// rounding), falling back to AttnMix like AttnScoresFast.
func AttnMixFast(o, att, v []float32, stride int) {
	n, hd := len(att), len(o)
	if hd == 0 || n == 0 {
		AttnMix(o, att, v, stride)
		return
	}
	_ = v[(n-1)*stride+hd-1]
	if floatSIMD() && hd%8 == 0 {
		attnMixFMA(&o[0], &att[0], &v[0], stride, n, hd)
		return
	}
	AttnMix(o, att, v, stride)
}

// AttnScores4Fast is AttnScoresFast for the four query heads that share a
// KV head (grouped-query attention): q holds the four queries back to
// back, head h's n = len(att)/... scores go to att[h*astride:][:n]. Each
// key row is read once for the four heads instead of once per head,
// which is what bounded the scores over long contexts. A score still
// depends only on its query and key row.
func AttnScores4Fast(att []float32, astride int, q, k []float32, stride, n int, scale float32) {
	hd := len(q) / 4
	if n == 0 || hd == 0 {
		return
	}
	_ = att[3*astride+n-1]
	_ = k[(n-1)*stride+hd-1]
	even := n &^ 1
	if floatSIMD() && hd%8 == 0 {
		if even > 0 {
			attnScores4FMA(&att[0], &q[0], &k[0], stride, even, hd, scale, astride)
		}
	} else {
		even = 0
	}
	for h := 0; h < 4; h++ {
		if even < n {
			AttnScoresFast(att[h*astride+even:h*astride+n], q[h*hd:(h+1)*hd], k[even*stride:], stride, scale)
		}
	}
}

// AttnMix4Fast is AttnMixFast for the four query heads that share a KV
// head: o holds the four outputs back to back, head h's n weights are
// att[h*astride:][:n]. Each value row is read once for the four heads;
// the results are bit for bit four AttnMixFast calls.
func AttnMix4Fast(o, att []float32, astride int, v []float32, stride, n int) {
	hd := len(o) / 4
	if hd == 0 {
		return
	}
	if n == 0 || !(floatSIMD() && hd%8 == 0) {
		for h := 0; h < 4; h++ {
			AttnMixFast(o[h*hd:(h+1)*hd], att[h*astride:h*astride+n], v, stride)
		}
		return
	}
	_ = att[3*astride+n-1]
	_ = v[(n-1)*stride+hd-1]
	attnMix4FMA(&o[0], &att[0], &v[0], stride, n, hd, astride)
}

// F16Attention reports whether the f16 attention kernels
// (AttnScoresFast16, AttnMixFast16 and their four-head forms) run in
// assembly for heads of hd values. Elsewhere they are plain loops, and a
// caller does better to widen the rows and use the float32 kernels.
func F16Attention(hd int) bool { return floatSIMD() && hd%8 == 0 }

// AttnScoresFast16 is AttnScoresFast over f16 keys (an F16 KV cache),
// widened as they are loaded: bit for bit AttnScoresFast over the widened
// keys, without writing them out first.
func AttnScoresFast16(att, q []float32, k []uint16, stride int, scale float32) {
	n, hd := len(att), len(q)
	if n == 0 || hd == 0 {
		return
	}
	_ = k[(n-1)*stride+hd-1]
	if F16Attention(hd) {
		attnScoresFMA16(&att[0], &q[0], &k[0], stride, n, hd, scale)
		return
	}
	row := make([]float32, hd)
	for j := range att {
		F16ToF32Slice(row, k[j*stride:j*stride+hd])
		AttnScoresFast(att[j:j+1], q, row, hd, scale)
	}
}

// AttnMixFast16 is AttnMixFast over f16 values, widened as they are
// loaded: bit for bit AttnMixFast over the widened values.
func AttnMixFast16(o, att []float32, v []uint16, stride int) {
	n, hd := len(att), len(o)
	if n > 0 && hd > 0 && F16Attention(hd) {
		_ = v[(n-1)*stride+hd-1]
		attnMixFMA16(&o[0], &att[0], &v[0], stride, n, hd)
		return
	}
	mix16(o, 1, att, len(att), v, stride, n)
}

// mix16 is the loop the f16 mixes fall back on without the assembly:
// for heads h < heads, o[h*hd:] = the running sum in key order of
// att[h*astride+j] times widened value row j.
func mix16(o []float32, heads int, att []float32, astride int, v []uint16, stride, n int) {
	hd := len(o) / heads
	clear(o)
	row := make([]float32, hd)
	for j := 0; j < n; j++ {
		F16ToF32Slice(row, v[j*stride:j*stride+hd])
		for h := 0; h < heads; h++ {
			a, oh := att[h*astride+j], o[h*hd:(h+1)*hd]
			for d, x := range row {
				oh[d] += float32(a * x)
			}
		}
	}
}

// AttnScores4Fast16 is AttnScores4Fast over f16 keys (an F16 KV cache),
// widened as they are loaded: bit for bit AttnScores4Fast over the
// widened keys, without writing them out first.
func AttnScores4Fast16(att []float32, astride int, q []float32, k []uint16, stride, n int, scale float32) {
	hd := len(q) / 4
	if n == 0 || hd == 0 {
		return
	}
	_ = att[3*astride+n-1]
	_ = k[(n-1)*stride+hd-1]
	even := 0
	if F16Attention(hd) {
		if even = n &^ 1; even > 0 {
			attnScores4FMA16(&att[0], &q[0], &k[0], stride, even, hd, scale, astride)
		}
	}
	for h := 0; h < 4; h++ {
		if even < n {
			AttnScoresFast16(att[h*astride+even:h*astride+n], q[h*hd:(h+1)*hd], k[even*stride:], stride, scale)
		}
	}
}

// AttnMix4Fast16 is AttnMix4Fast over f16 values, widened as they are
// loaded: bit for bit AttnMix4Fast over the widened values.
func AttnMix4Fast16(o, att []float32, astride int, v []uint16, stride, n int) {
	hd := len(o) / 4
	if hd == 0 {
		return
	}
	if n > 0 && F16Attention(hd) {
		_ = att[3*astride+n-1]
		_ = v[(n-1)*stride+hd-1]
		attnMix4FMA16(&o[0], &att[0], &v[0], stride, n, hd, astride)
		return
	}
	mix16(o, 4, att, astride, v, stride, n)
}
