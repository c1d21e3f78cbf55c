package engine

import "math"

// sortCandidates sorts c best first, ties by lower id: the order of
// candidates' comparator, made by a stable LSD radix sort on the logit's
// bits instead of a comparison sort. c must be in id order (stability
// then gives the id tie-break); tmp is scratch of at least len(c). Over a
// 128k vocabulary this is ~10x faster than sort.Slice, which made a
// sampled token without top_k cost more than a 1B model's decode step.
func sortCandidates(c, tmp []candidate) {
	tmp = tmp[:len(c)]
	src, dst := c, tmp
	for shift := uint(0); shift < 32; shift += 8 {
		var count [257]int
		for _, x := range src {
			count[descKey(x.logit)>>shift&0xff+1]++
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for _, x := range src {
			k := descKey(x.logit) >> shift & 0xff
			dst[count[k]] = x
			count[k]++
		}
		src, dst = dst, src
	}
	// Four passes end with the result back in c.
}

// descKey maps a logit to a uint32 whose ascending order is the logits'
// descending order; -0 and +0 map alike (they compare equal), and NaN
// sorts last.
func descKey(l float32) uint32 {
	if l == 0 {
		l = 0
	}
	if l != l {
		return math.MaxUint32
	}
	b := math.Float32bits(l)
	if b>>31 != 0 {
		b = ^b
	} else {
		b |= 1 << 31
	}
	return ^b
}
