//go:build cgo

package cuda

import (
	"context"
	"testing"
)

// TestArgmaxManyRows: a batch whose every row wants its token, past the 8
// rows of one LM-head chunk, through ForwardArgmax (the head's chunks back
// to back, one fetch) and through Forward's logits: the same ids. 20 rows
// take the matvec step, 40 the cuBLAS one (past the 32 of mv_batch).
func TestArgmaxManyRows(t *testing.T) {
	gpuLib(t)
	for _, model := range goldenModels(t) {
		t.Run(model, func(t *testing.T) {
			_, m := loadGolden(t, model)
			b := openGPU(t, m, Options{Context: 64, MaxSeqs: 1})
			nv := m.Config.NVocab
			ctx := context.Background()
			for _, n := range []int{20, 40} {
				bt := batchOf(n, 0, nv)
				for i := range bt.Logits {
					bt.Logits[i] = true
				}
				logits := make([]float32, n*nv)
				if err := b.ClearSeq(0); err != nil {
					t.Fatal(err)
				}
				if err := b.Forward(ctx, bt, logits); err != nil {
					t.Fatalf("Forward, %d rows: %v", n, err)
				}
				ids := make([]int32, n)
				if err := b.ClearSeq(0); err != nil {
					t.Fatal(err)
				}
				if err := b.ForwardArgmax(ctx, bt, ids); err != nil {
					t.Fatalf("ForwardArgmax, %d rows: %v", n, err)
				}
				for i := range n {
					if want := argmax(logits[i*nv : (i+1)*nv]); ids[i] != want {
						t.Errorf("%d rows: row %d: ForwardArgmax %d, argmax of Forward's logits %d", n, i, ids[i], want)
					}
				}
			}
		})
	}
}
