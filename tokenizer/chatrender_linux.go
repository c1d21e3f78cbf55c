package tokenizer

import (
	"os"
	"syscall"
)

// limitMemory caps the process's data (its writable private mappings, the
// Go heap and stacks among them), so that an allocation past it fails and
// the runtime exits ("fatal error: out of memory"). RLIMIT_AS would not
// do: the runtime reserves over a gigabyte of address space that it never
// touches. Where the machine or the container runs out first, the child
// also asks to be the OOM killer's first choice, before the worker that
// holds the model.
func limitMemory(n int64) error {
	_ = os.WriteFile("/proc/self/oom_score_adj", []byte("1000"), 0)
	return syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)})
}

// selfExe starts the child from the running binary's inode, which works
// even after the file was replaced on disk (an upgrade in place), where the
// path os.Executable reports would start the new binary or nothing.
const selfExe = "/proc/self/exe"
