package cpu

import "golang.org/x/sys/unix"

// adviseHugePages asks Linux for transparent huge pages under w.
func adviseHugePages(w []byte) { _ = unix.Madvise(w, unix.MADV_HUGEPAGE) }
