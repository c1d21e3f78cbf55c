package main

import (
	"errors"
	"flag"
	"io"
)

// errFlagHelp is returned when -h was asked for: usage was printed, exit 0.
var errFlagHelp = errors.New("help requested")

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("worker "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, mapping -h to errFlagHelp and other failures to
// an exit status 2 error (the usage has already been printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errFlagHelp
		}
		return &exitError{code: 2}
	}
	return nil
}
