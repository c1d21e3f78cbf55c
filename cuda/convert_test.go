package cuda

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
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

// TestAsDeviceTypeRange: a BF16 value F16 cannot hold fails the
// conversion, naming the tensor and the value; infinities, tiny values
// and BF16's largest below 65504 (65280) pass.
func TestAsDeviceTypeRange(t *testing.T) {
	for _, c := range []struct {
		x  float32
		ok bool
	}{{65280, true}, {-65280, true}, {float32(math.Inf(1)), true}, {1e-9, true}, {70000, false}, {-3e38, false}} {
		x := make([]float32, 64)
		x[37] = c.x
		data, err := gguf.Quantize(gguf.TypeBF16, x)
		if err != nil {
			t.Fatal(err)
		}
		ti := &gguf.TensorInfo{Name: "blk.0.ffn_down.weight", Type: gguf.TypeBF16, Dims: []uint64{64, 1}, Data: data, Size: uint64(len(data))}
		_, _, err = asDeviceType(ti)
		if c.ok != (err == nil) || (err != nil && (!errors.Is(err, ErrF16Range) || !strings.Contains(err.Error(), "blk.0.ffn_down.weight") || !strings.Contains(err.Error(), "value 37"))) {
			t.Fatalf("%g: %v", c.x, err)
		}
	}
}
