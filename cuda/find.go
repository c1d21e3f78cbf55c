// Package cuda runs orcd's forward passes on an NVIDIA GPU through
// liborcd_cuda.so, a native library with the C ABI of
// include/orcd_backend.h. The library is opened at run time with dlopen,
// so the orcd binary builds and runs without CUDA anywhere; only cgo and
// -ldl are needed at build time.
package cuda

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LibName is the library's file name, looked for beside the executable.
const LibName = "liborcd_cuda.so"

// EnvLib names the environment variable that points at the library.
const EnvLib = "ORCD_CUDA_LIB"

var (
	// ErrNoLibrary: the CUDA library was not found or would not load.
	ErrNoLibrary = errors.New("cuda: backend library not available")
	// ErrNoDevice: the library loaded but found no usable GPU.
	ErrNoDevice = errors.New("cuda: no CUDA device")
)

// FindLibrary returns the library path to use: explicit (--cuda-lib) if
// set, else $ORCD_CUDA_LIB, else LibName beside the running executable.
// A path that was named but does not exist is an error, not a fallback.
func FindLibrary(explicit string) (string, error) {
	if explicit != "" {
		return existing(explicit, "--cuda-lib")
	}
	if env := os.Getenv(EnvLib); env != "" {
		return existing(env, "$"+EnvLib)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("%w: no --cuda-lib or $%s, and the executable's path is unknown: %v", ErrNoLibrary, EnvLib, err)
	}
	beside := filepath.Join(filepath.Dir(exe), LibName)
	if _, err := os.Stat(beside); err != nil {
		return "", fmt.Errorf("%w: no --cuda-lib, no $%s, and no %s beside %s (build it with `make cuda`)", ErrNoLibrary, EnvLib, LibName, exe)
	}
	return beside, nil
}

func existing(path, from string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%w: %s names %s: %v", ErrNoLibrary, from, path, err)
	}
	return path, nil
}

// Options configure Open. Zero values take the defaults.
type Options struct {
	LibPath  string // --cuda-lib; "" looks in $ORCD_CUDA_LIB, then beside the executable
	Device   int    // CUDA device ordinal
	MaxSeqs  int    // sequences held in the KV cache at once; 0 = 1
	Context  int    // positions per sequence; 0 = min(training context, 4096)
	MaxBatch int    // most tokens per library call; 0 = 512
	// KVF32 keeps keys and values in float32 (head_dim up to 128), as
	// llama.cpp's goldens were made, instead of F16 (llama.cpp's default,
	// half the memory). With it the decode path of a quantized file does
	// llama.cpp's arithmetic step for step (TestGoldenExactF32Cache).
	KVF32 bool
}
