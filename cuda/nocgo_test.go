//go:build !cgo

package cuda

import (
	"errors"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
)

func TestWithoutCgoSaysSo(t *testing.T) {
	err := Available("")
	if !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), "cgo") {
		t.Fatalf("Available without cgo = %v", err)
	}
	if _, err := Open(&engine.Model{}, Options{}); !errors.Is(err, ErrNoLibrary) {
		t.Fatalf("Open without cgo = %v", err)
	}
}
