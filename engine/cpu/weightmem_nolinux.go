//go:build unix && !linux

package cpu

// adviseHugePages does nothing: macOS and the BSDs have no
// MADV_HUGEPAGE (macOS promotes pages on its own; FreeBSD has
// superpages by default).
func adviseHugePages([]byte) {}
