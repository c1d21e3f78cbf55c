package cuda

import (
	"errors"
	"fmt"
	"math"

	"github.com/orcd/orcd/gguf"
)

// deviceType reports whether the library has kernels for weights of type
// t (upload.cu's layout_of); tensors of other types are converted to F16
// on the host as they are uploaded (asDeviceType).
func deviceType(t gguf.Type) bool {
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeQ4_0, gguf.TypeQ4_1, gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeQ8_0,
		gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K, gguf.TypeIQ4_NL, gguf.TypeIQ4_XS,
		gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S:
		return true
	}
	return false
}

// uploadSize is the bytes t takes once uploaded: its own size, or its F16
// size where it is converted.
func uploadSize(t *gguf.TensorInfo) uint64 {
	if deviceType(t.Type) {
		return t.Size
	}
	return 2 * t.Elements()
}

// ErrF16Range: a tensor converted to F16 for upload holds a finite value
// beyond F16's range. The CPU backend (--engine cpu) runs such a file.
var ErrF16Range = errors.New("value out of F16 range")

// convertChunk is the values dequantized at a time: the float32 scratch
// stays at 4 MiB whatever the tensor.
const convertChunk = 1 << 20

// asDeviceType returns t's data and type as the library takes them: as
// they are for the types it has kernels for, else dequantized exactly
// and rounded to F16 (11 significant bits, which a weight of a 2- to
// 6-bit type reconstructs to 2^-11 or better; twice Q8_0's bytes). BF16
// files, the one type the loader reads that the library has no kernels
// for, then run on the GPU, on the F16 kernels, instead of being refused.
func asDeviceType(t *gguf.TensorInfo) ([]byte, gguf.Type, error) {
	if deviceType(t.Type) {
		return t.Data, t.Type, nil
	}
	n := t.Elements()
	if len(t.Dims) == 0 || n%uint64(t.Type.BlockSize()) != 0 {
		return nil, 0, fmt.Errorf("cuda: tensor %q: %d values are not whole %v blocks", t.Name, n, t.Type)
	}
	out := make([]byte, 2*n)
	bs := uint64(t.Type.BlockSize())
	chunk := max(bs, convertChunk/bs*bs)
	f := make([]float32, min(chunk, n))
	for v := uint64(0); v < n; v += chunk {
		m := min(chunk, n-v)
		src := t.Data[v/bs*uint64(t.Type.BlockBytes()) : (v+m)/bs*uint64(t.Type.BlockBytes())]
		if err := gguf.Dequantize(t.Type, src, f[:m]); err != nil {
			return nil, 0, fmt.Errorf("cuda: converting %q to F16: %w", t.Name, err)
		}
		for i, x := range f[:m] {
			h := gguf.F32ToF16(x)
			if h&0x7fff == 0x7c00 && !math.IsInf(float64(x), 0) {
				return nil, 0, fmt.Errorf("cuda: tensor %q: value %d (%g) is beyond F16's range (65504), which the GPU would hold as infinity: %w",
					t.Name, v+uint64(i), x, ErrF16Range)
			}
			out[2*(v+uint64(i))], out[2*(v+uint64(i))+1] = byte(h), byte(h>>8)
		}
	}
	return out, gguf.TypeF16, nil
}
