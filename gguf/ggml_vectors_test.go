package gguf

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"math"
	"os"
	"testing"
)

// testdata/ggml/vectors.bin is what ggml itself (the sources ollama
// vendors, built by testdata/ggml/gen.sh) produced for every quantized
// type: its quantizer's bytes and dequantizer's floats for a test input,
// and a hash of its dequantizer's floats for each of 512 random blocks.
// The inputs are regenerated here from the same splitmix64 stream.

const (
	vecRows, vecPerRow = 4, 256
	vecN               = vecRows * vecPerRow
)

type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// vecInput mirrors ggmlvec.c's input(): exact integer and power-of-two
// arithmetic only.
func vecInput(t Type) []float32 {
	rowScale := [vecRows]float32{0.5, 0.03125, 2, 0.0078125}
	r := splitmix{0x5EED0000 + uint64(t)}
	x := make([]float32, vecN)
	for i := range x {
		var s uint32
		for range 4 {
			s += uint32(r.next() >> 42)
		}
		f := float32(float32(s)*(1.0/8388608.0)) - 1
		if i%37 == 5 {
			f *= 8
		}
		x[i] = f * rowScale[i/vecPerRow]
	}
	return x
}

// vecRandomBlock mirrors ggmlvec.c's randomBlock().
func vecRandomBlock(t Type, r *splitmix, b []byte) {
	for i := range b {
		b[i] = byte(r.next())
	}
	sane := func() uint16 { return uint16(0x2000 | r.next()&0x87ff) }
	half := func(off int) { binary.LittleEndian.PutUint16(b[off:], sane()) }
	switch t {
	case TypeQ4_1, TypeQ5_1, TypeQ4_K, TypeQ5_K:
		half(0)
		half(2)
	case TypeQ2_K:
		half(80)
		half(82)
	case TypeQ3_K:
		half(108)
	case TypeQ6_K:
		half(208)
	case TypeQ8_K:
		binary.LittleEndian.PutUint32(b, uint32(0x3c000000|r.next()&0x807fffff))
	case TypeIQ1_M:
		h := sane()
		for k := range 4 {
			sc := binary.LittleEndian.Uint16(b[48+2*k:])
			binary.LittleEndian.PutUint16(b[48+2*k:], sc&0x0fff|(h>>(4*k)&0xf)<<12)
		}
	default:
		half(0)
	}
}

func floatsHash(f []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, v := range f {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		h.Write(b[:])
	}
	return h.Sum64()
}

type vecReader struct {
	b   []byte
	err bool
}

func (r *vecReader) take(n int) []byte {
	if n > len(r.b) {
		r.err = true
		return make([]byte, n)
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}
func (r *vecReader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *vecReader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *vecReader) floats(n int) []float32 {
	b := r.take(4 * n)
	f := make([]float32, n)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// firstDiff returns the index of the first bitwise difference, or -1.
func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestGGMLVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/ggml/vectors.bin")
	if err != nil {
		t.Fatalf("%v (regenerate with testdata/ggml/gen.sh)", err)
	}
	if !bytes.HasPrefix(data, []byte("GGMLVEC1")) {
		t.Fatal("vectors.bin: bad magic")
	}
	r := &vecReader{b: data[8:]}
	count := int(r.u32())
	seen := map[Type]bool{}
	for range count {
		typ := Type(r.u32())
		seen[typ] = true
		if n := int(r.u32()); n != 0 {
			t.Run(typ.String()+"/quantized", func(t *testing.T) { checkQuantized(t, typ, n, r) })
		}
		t.Run(typ.String()+"/random", func(t *testing.T) { checkRandomBlocks(t, typ, r) })
		if r.err {
			t.Fatal("vectors.bin is truncated")
		}
	}
	if len(r.b) != 0 {
		t.Errorf("vectors.bin: %d bytes left over", len(r.b))
	}
	// Every type this package claims to dequantize, other than the plain
	// float types, must have been checked against ggml.
	for typ := range dequantizers {
		if typ != TypeF32 && typ != TypeF16 && typ != TypeBF16 && !seen[typ] {
			t.Errorf("%s is dequantized here but has no ggml vectors", typ)
		}
	}
}

func checkQuantized(t *testing.T, typ Type, n int, r *vecReader) {
	nq := int(r.u32())
	imatrix := r.u32() != 0
	srcHash := r.u64()
	q := r.take(nq)
	want := r.floats(n)
	if r.err {
		return
	}
	x := vecInput(typ)
	if n != vecN || floatsHash(x) != srcHash {
		t.Fatalf("the regenerated input differs from ggmlvec.c's (n %d): the two generators disagree", n)
	}
	got := make([]float32, n)
	if err := Dequantize(typ, q, got); err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(got, want); i >= 0 {
		t.Errorf("dequantizing ggml's %s bytes: weight %d is %g, ggml says %g", typ, i, got[i], want[i])
	}
	// Our quantizer follows ggml's reference quantizer (no importance
	// matrix), so on the same input it must write the same bytes.
	if !CanQuantize(typ) || imatrix {
		t.Logf("%s: quantizer not compared (%s)", typ, map[bool]string{true: "ggml needs an importance matrix", false: "not implemented here"}[imatrix])
		return
	}
	mine, err := Quantize(typ, x)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mine, q) {
		i := 0
		for i < len(q) && mine[i] == q[i] {
			i++
		}
		bb := typ.BlockBytes()
		t.Errorf("quantizing to %s: first differing byte %d (block %d, offset %d): %#02x, ggml wrote %#02x", typ, i, i/bb, i%bb, mine[i], q[i])
	}
}

func checkRandomBlocks(t *testing.T, typ Type, r *vecReader) {
	blocks := int(r.u32())
	want := make([]uint64, blocks)
	for i := range want {
		want[i] = r.u64()
	}
	if r.err {
		return
	}
	fn, err := RowDequantizer(typ)
	if err != nil {
		t.Fatal(err)
	}
	rng := splitmix{0xB10C0000 + uint64(typ)}
	blk := make([]byte, typ.BlockBytes())
	y := make([]float32, typ.BlockSize())
	bad := 0
	for i := range blocks {
		vecRandomBlock(typ, &rng, blk)
		fn(blk, y)
		if floatsHash(y) != want[i] {
			if bad == 0 {
				t.Errorf("%s random block %d (% x...): dequantized values differ from ggml's", typ, i, blk[:min(16, len(blk))])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d random blocks differ", typ, bad, blocks)
	}
}
