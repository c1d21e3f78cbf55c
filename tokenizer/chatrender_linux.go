package tokenizer

import "syscall"

// limitMemory caps the process's data (its writable private mappings, the
// Go heap and stacks among them), so that an allocation past it fails and
// the runtime exits ("fatal error: out of memory") instead of the
// kernel's OOM killer choosing a victim, perhaps the parent. RLIMIT_AS
// would not do: the runtime reserves over a gigabyte of address space
// that it never touches.
func limitMemory(n int64) error {
	return syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)})
}

// selfExe starts the child from the running binary's inode, which works
// even after the file was replaced on disk (an upgrade in place), where the
// path os.Executable reports would start the new binary or nothing.
const selfExe = "/proc/self/exe"
