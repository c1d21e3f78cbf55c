//go:build !amd64

package kernels

// Other architectures run the pure-Go references.
var fastDots = refDots

var hasAVX2 = false

func useFast() { active = refDots; activeName = "ref" }
