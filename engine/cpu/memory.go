package cpu

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// procKB reads a "Name:   1234 kB" line from a /proc file; 0 if absent
// (e.g. on systems without /proc).
func procKB(path, name string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(name+":")) {
			continue
		}
		fields := bytes.Fields(line[len(name)+1:])
		if len(fields) == 0 {
			return 0
		}
		n, err := strconv.ParseUint(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return n * 1024
	}
	return 0
}

// residentBytes is this process's resident set size (mapped model pages
// that were touched count too, which is what we want to see).
func residentBytes() uint64 { return procKB("/proc/self/status", "VmRSS") }

// totalRAM is the machine's memory.
func totalRAM() uint64 { return procKB("/proc/meminfo", "MemTotal") }

// memoryLimit is what this process may hold: the machine's memory, or the
// cgroup's limit where that is lower (a container's, a Kubernetes pod's);
// 0 where neither can be read.
func memoryLimit() uint64 {
	return memoryLimitFrom(totalRAM(), "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
}

// memoryLimitFrom is the least of ram and the byte counts in the cgroup
// files that hold one (cgroup v2's memory.max, v1's limit_in_bytes; "max",
// a missing file or anything else is no limit).
func memoryLimitFrom(ram uint64, cgroupFiles ...string) uint64 {
	limit := ram
	for _, p := range cgroupFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64) // "max": no limit
		if err == nil && n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	return limit
}

// cpuName is the CPU model, for Memory().Device.
// deviceName is the CPU's model name and the kernel set the backend runs
// on it ("avx2+avx512vnni", "avx2", "ref"; "float reference" under
// ORCD_MATMUL=reference), so that a heartbeat tells a worker on a slow
// path from one on the fast.
//
// kept names the types left in the file's layout because repacking
// would have grown them past the memory limit (see packWeights).
func deviceName(keepLayout bool, kept []gguf.Type) string {
	switch {
	case !activationsQuantized:
		return cpuName() + " (float reference)"
	case keepLayout:
		return cpuName() + " (" + kernels.Impl() + " kernels, weights not repacked)"
	case len(kept) > 0:
		names := make([]string, len(kept))
		for i, t := range kept {
			names[i] = t.String()
		}
		return cpuName() + " (" + kernels.Impl() + " kernels, " + strings.Join(names, ", ") + " not repacked: memory)"
	}
	return cpuName() + " (" + kernels.Impl() + " kernels)"
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "cpu"
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(bytes.TrimSpace(k)) == "model name" {
			return string(bytes.TrimSpace(v))
		}
	}
	return "cpu"
}
