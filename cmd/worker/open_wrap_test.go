package main

import (
	"context"
	"testing"

	"github.com/orcd/orcd/engine"
)

type argmaxBackend struct{ engine.Backend }

func (argmaxBackend) ForwardArgmax(context.Context, *engine.Batch, []int32) error { return nil }

func TestWithFileKeepsArgmaxer(t *testing.T) {
	if _, ok := withFile(argmaxBackend{}, nil).(engine.Argmaxer); !ok {
		t.Error("wrapping hid the backend's Argmaxer capability")
	}
	if _, ok := withFile(struct{ engine.Backend }{}, nil).(engine.Argmaxer); ok {
		t.Error("wrapping invented an Argmaxer capability")
	}
}
