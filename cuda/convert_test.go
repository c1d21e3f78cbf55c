package cuda

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/orcd/orcd/gguf"
)

// TestAsDeviceType: the library's own types pass through untouched; the
// others become F16 values equal to their exact dequantization rounded
// once, across the conversion's chunk boundary.
func TestAsDeviceType(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 2*convertChunk+3*256)
	for i := range x {
		x[i] = float32(r.NormFloat64()) * 0.02
	}
	for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ5_K, gguf.TypeIQ4_XS, gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeBF16} {
		data, err := gguf.Quantize(typ, x)
		if err != nil {
			t.Fatal(err)
		}
		ti := &gguf.TensorInfo{Name: "w", Type: typ, Dims: []uint64{256, uint64(len(x) / 256)}, Data: data, Size: uint64(len(data))}
		got, gt, err := asDeviceType(ti)
		if err != nil {
			t.Fatal(err)
		}
		if deviceType(typ) {
			if gt != typ || &got[0] != &data[0] || uploadSize(ti) != ti.Size {
				t.Fatalf("%v: converted although the library takes it", typ)
			}
			continue
		}
		if gt != gguf.TypeF16 || len(got) != 2*len(x) || uploadSize(ti) != uint64(len(got)) {
			t.Fatalf("%v: became %v, %d bytes (size said %d)", typ, gt, len(got), uploadSize(ti))
		}
		want := make([]float32, len(x))
		if err := gguf.Dequantize(typ, data, want); err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if h := binary.LittleEndian.Uint16(got[2*i:]); h != gguf.F32ToF16(w) {
				t.Fatalf("%v value %d: f16 %#04x, want %#04x (%v)", typ, i, h, gguf.F32ToF16(w), w)
			}
		}
	}
	bad := &gguf.TensorInfo{Name: "scalar", Type: gguf.TypeBF16, Data: make([]byte, 2)}
	if _, _, err := asDeviceType(bad); err == nil {
		t.Fatal("a tensor without dimensions was converted")
	}
}
