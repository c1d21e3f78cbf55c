package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// BenchmarkPackGrid is the load-time cost of Pack per 256-value block of
// one row, for the re-encoded grid types against Q3_K's and Q4_K's
// repacking: it adds to a model's load, once per block of the file.
func BenchmarkPackGrid(b *testing.B) {
	for _, typ := range []gguf.Type{gguf.TypeIQ2_XXS, gguf.TypeIQ1_M, gguf.TypeIQ3_S, gguf.TypeQ3_K, gguf.TypeQ4_K} {
		r := rand.New(rand.NewPCG(1, 2))
		m := randMatrix(b, r, typ, 256, 2048)
		dst := make([]byte, PackedSize(m))
		b.Run(typ.String(), func(b *testing.B) {
			for b.Loop() {
				packGroups(dst, m, 0, m.Rows/8)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(256*8), "ns/block")
		})
	}
}
