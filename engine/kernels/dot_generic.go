//go:build !amd64 && !arm64

package kernels

// Other architectures run the pure-Go references.
var fastDots = refDots

func useFast() { active = refDots; activeName = "ref" }
