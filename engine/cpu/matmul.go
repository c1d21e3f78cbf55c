package cpu

import (
	"os"
	"runtime"
	"sync"
	"testing"
	"unsafe"
	"weak"

	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// activationsQuantized selects the matmul implementation. When set, matmul
// runs engine/kernels, which quantize activations to 8 bits (F16 for F16
// weights) exactly as ggml's x86 kernels do and so reproduce llama.cpp's
// own runs on quantized files (the goldens' `cases`). When clear it runs
// the plain reference below, which dequantizes weights exactly and computes
// in float32, matching the goldens' `dequantized_f32_reference`.
//
// Programs use the kernels unless ORCD_MATMUL=reference. Test binaries
// start on the reference unless ORCD_MATMUL=kernels, because the kernels
// reproduce llama.cpp's F16 run only to ~1e-3 (see matmul_test.go, which
// checks the kernels against every golden). Set it before a Forward, never
// during one.
var activationsQuantized = matmulDefault(os.Getenv("ORCD_MATMUL"), testing.Testing())

func matmulDefault(env string, inTest bool) bool {
	switch env {
	case "reference":
		return false
	case "kernels":
		return true
	}
	return !inTest
}

// matmul computes out[t] = W x[t] for nTok tokens: W has GGUF dims
// [nIn, nOut] (nOut rows of nIn values, in any supported type), x is
// [nTok][nIn] and out is [nTok][nOut]. Rows of W are split across workers.
func matmul(ws *workers, out []float32, w *gguf.TensorInfo, x []float32, nTok int) {
	if activationsQuantized && kernels.Supported(w.Type) {
		m := kernels.Matrix{Type: w.Type, Rows: int(w.Dims[1]), Cols: int(w.Dims[0]), Data: w.Data}
		if kernelPool(ws).MatMul(out, m, x, nTok) == nil {
			return
		}
		// Shapes are checked at load time; any refusal falls through to
		// the reference, which handles every type the loader accepts.
	}
	matmulReference(ws, out, w, x, nTok)
}

// kernelPools holds one kernels.Pool per workers set (one per Backend),
// keyed weakly so that a dropped Backend's pool is closed, not leaked.
var kernelPools struct {
	sync.Mutex
	m map[weak.Pointer[workers]]*kernels.Pool
}

func kernelPool(ws *workers) *kernels.Pool {
	key := weak.Make(ws)
	kernelPools.Lock()
	defer kernelPools.Unlock()
	if p := kernelPools.m[key]; p != nil {
		return p
	}
	if kernelPools.m == nil {
		kernelPools.m = make(map[weak.Pointer[workers]]*kernels.Pool)
	}
	p := kernels.NewPool(ws.n)
	kernelPools.m[key] = p
	runtime.AddCleanup(ws, closePool, key)
	return p
}

func closePool(key weak.Pointer[workers]) {
	kernelPools.Lock()
	p := kernelPools.m[key]
	delete(kernelPools.m, key)
	kernelPools.Unlock()
	if p != nil {
		p.Close()
	}
}

// matmulReference is the plain reference: each row is dequantized (block
// by block, into a per-worker buffer) and dotted in float32 with every
// token, so a row is expanded once per call however many tokens the batch
// holds.
func matmulReference(ws *workers, out []float32, w *gguf.TensorInfo, x []float32, nTok int) {
	nIn, nOut := int(w.Dims[0]), int(w.Dims[1])
	rowBytes, _ := w.Type.RowBytes(nIn) // checked at load time
	f32 := w.Type == gguf.TypeF32
	dequant, _ := gguf.RowDequantizer(w.Type) // checked at load time
	ws.run(nOut, nOut*nIn*nTok, func(worker, lo, hi int) {
		row := ws.rowBuf[worker][:nIn]
		for r := lo; r < hi; r++ {
			src := w.Data[r*rowBytes : (r+1)*rowBytes]
			if f32 {
				row = unsafe.Slice((*float32)(unsafe.Pointer(&src[0])), nIn)
			} else {
				dequant(src, row)
			}
			for t := 0; t < nTok; t++ {
				out[t*nOut+r] = dot(row, x[t*nIn:(t+1)*nIn])
			}
		}
	})
}

// dot is a float32 dot product with four partial sums (which lets the CPU
// overlap the additions, like a SIMD reduction).
func dot(a, b []float32) float32 {
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
