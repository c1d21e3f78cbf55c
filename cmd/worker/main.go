// Command worker is the orcd binary: a NATS JetStream LLM inference worker
// and the tools around it (inspect, tokenize, generate, submit, ...).
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. Each lives in its own file and registers
// itself in init, so that adding one never touches this file.
type command struct {
	summary string
	// run parses args (everything after the subcommand name) and does the
	// work. It returns an error instead of exiting so that main alone
	// decides the exit status and nothing panics out to the user.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary, run}
}

// exitError carries a specific exit status (e.g. a submitted job that ended
// with an error event exits 1 without an extra message).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: worker <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'worker <command> -h' for the flags of one command.")
}

func main() {
	code := runMain(os.Args[1:], os.Stdout, os.Stderr)
	chatRenderer.Close()
	os.Exit(code)
}

func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "worker: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(args[1:], stdout, stderr); err != nil {
		if ee, ok := err.(*exitError); ok {
			if ee.msg != "" {
				fmt.Fprintf(stderr, "worker %s: %s\n", args[0], ee.msg)
			}
			return ee.code
		}
		if err == errFlagHelp {
			return 0
		}
		fmt.Fprintf(stderr, "worker %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
