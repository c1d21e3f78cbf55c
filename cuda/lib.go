//go:build cgo

package cuda

/*
#cgo LDFLAGS: -ldl
#include "dl.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// library is a loaded liborcd_cuda.so. It is never unloaded: contexts
// may still point into it, and dlopen reference-counts repeated loads.
type library struct {
	path string
	fns  C.orcd_fns
}

var (
	libMu    sync.Mutex
	libCache = map[string]*library{}
)

// loadLibrary dlopens path and resolves every entry point.
func loadLibrary(path string) (*library, error) {
	libMu.Lock()
	defer libMu.Unlock()
	if l, ok := libCache[path]; ok {
		return l, nil
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var ebuf [512]C.char
	h := C.orcd_open(cpath, &ebuf[0], C.size_t(len(ebuf)))
	if h == nil {
		return nil, fmt.Errorf("%w: dlopen %s: %s", ErrNoLibrary, path, C.GoString(&ebuf[0]))
	}
	l := &library{path: path}
	if missing := C.orcd_bind(h, &l.fns); missing != nil {
		return nil, fmt.Errorf("%w: %s lacks symbol %s", ErrNoLibrary, path, C.GoString(missing))
	}
	if v := int(C.c_abi_version(&l.fns)); v != C.ORCD_ABI_VERSION {
		return nil, fmt.Errorf("%w: %s has ABI version %d, this orcd needs %d", ErrNoLibrary, path, v, C.ORCD_ABI_VERSION)
	}
	libCache[path] = l
	return l, nil
}

// deviceCount reports how many GPUs the library sees.
func (l *library) deviceCount() (int, error) {
	var n C.int
	var ebuf [512]C.char
	if rc := C.c_device_count(&l.fns, &n, &ebuf[0], C.size_t(len(ebuf))); rc != C.ORCD_OK || n == 0 {
		return 0, fmt.Errorf("%w: %s", ErrNoDevice, C.GoString(&ebuf[0]))
	}
	return int(n), nil
}

// Available says whether the CUDA backend can run here: the library (found
// as FindLibrary does) loads and sees at least one device. `--engine auto`
// uses it to choose between CUDA and the CPU.
func Available(libPath string) error {
	path, err := FindLibrary(libPath)
	if err != nil {
		return err
	}
	l, err := loadLibrary(path)
	if err != nil {
		return err
	}
	_, err = l.deviceCount()
	return err
}
