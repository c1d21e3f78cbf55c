package cpu

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	"github.com/orcd/orcd/engine/kernels"
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

// cpuName is the CPU model, for Memory().Device.
// deviceName is the CPU's model name and the kernel set the backend runs
// on it ("avx2+avx512vnni", "avx2", "ref"; "float reference" under
// ORCD_MATMUL=reference), so that a heartbeat tells a worker on a slow
// path from one on the fast.
func deviceName(keepLayout bool) string {
	switch {
	case !activationsQuantized:
		return cpuName() + " (float reference)"
	case keepLayout:
		return cpuName() + " (" + kernels.Impl() + " kernels, weights not repacked)"
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
