package main

import (
	"errors"

	"github.com/orcd/orcd/engine"
)

// engineOptions choose and configure the engine behind serve and generate.
type engineOptions struct {
	ModelPath string
	Engine    string // auto, cpu, cuda, metal
	Threads   int    // 0 = all cores
	Slots     int    // concurrent sequences
	Context   int    // 0 = the model's training context, capped
	CUDALib   string // explicit path to the CUDA library
}

// openEngine loads the model and starts the chosen backend.
func openEngine(opts engineOptions) (engine.Engine, error) {
	return nil, errors.New("engine: not implemented yet")
}
