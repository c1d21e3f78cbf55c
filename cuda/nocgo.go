//go:build !cgo

package cuda

import (
	"fmt"

	"github.com/orcd/orcd/engine"
)

// Without cgo there is no dlopen, so no CUDA: the rest of orcd still
// builds (CGO_ENABLED=0), and asking for CUDA says why it cannot.

// Available reports that this build cannot load the CUDA library.
func Available(libPath string) error {
	return fmt.Errorf("%w: this orcd was built without cgo (CGO_ENABLED=0)", ErrNoLibrary)
}

// Open fails like Available.
func Open(m *engine.Model, opts Options) (engine.Backend, error) {
	return nil, Available(opts.LibPath)
}
