package cpu

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orcd/orcd/engine"
	"github.com/orcd/orcd/engine/kernels"
	"github.com/orcd/orcd/gguf"
)

// TestBatchMixesSequences checks that one batch holding two sequences'
// prompts, split into small internal chunks, gives the same logits as
// running each sequence alone.
func TestBatchMixesSequences(t *testing.T) {
	a := []int32{1, 403, 407, 261, 378}
	b := []int32{1, 306, 488, 43, 22, 9, 300}
	alone := openBackend(t, "tiny-llama-gqa-q4_k_m.gguf", Options{Threads: 2})
	wantA := feed(t, alone, 0, 0, a)
	alone.ClearSeq(0)
	wantB := feed(t, alone, 0, 0, b)

	mixed := openBackend(t, "tiny-llama-gqa-q4_k_m.gguf", Options{Threads: 2, MaxSeqs: 3, MaxBatch: 3})
	batch := &engine.Batch{}
	ia, ib := 0, 0
	for ia < len(a) || ib < len(b) { // interleave the two prompts
		if ib < len(b) {
			batch.Tokens, batch.Pos, batch.Seq = append(batch.Tokens, b[ib]), append(batch.Pos, int32(ib)), append(batch.Seq, 2)
			batch.Logits = append(batch.Logits, ib == len(b)-1)
			ib++
		}
		if ia < len(a) {
			batch.Tokens, batch.Pos, batch.Seq = append(batch.Tokens, a[ia]), append(batch.Pos, int32(ia)), append(batch.Seq, 0)
			batch.Logits = append(batch.Logits, ia == len(a)-1)
			ia++
		}
	}
	n := mixed.c.NVocab
	logits := make([]float32, 2*n)
	if err := mixed.Forward(context.Background(), batch, logits); err != nil {
		t.Fatal(err)
	}
	// a (5 tokens) ends before b (7 tokens) in batch order.
	if d := maxDiff(logits[n:], wantB); d > 1e-5 {
		t.Errorf("sequence b differs by %g", d)
	}
	if d := maxDiff(logits[:n], wantA); d > 1e-5 {
		t.Errorf("sequence a differs by %g", d)
	}
	if mixed.SeqLen(0) != len(a) || mixed.SeqLen(2) != len(b) || mixed.SeqLen(1) != 0 {
		t.Errorf("cache lengths %d %d %d", mixed.SeqLen(0), mixed.SeqLen(1), mixed.SeqLen(2))
	}
	if m := mixed.Memory(); m.KVUsed != len(a)+len(b) || m.KVTotal != 3*512 || m.Kind != "ram" || m.Used == 0 || m.Total < m.Used {
		t.Errorf("memory %+v", m)
	}
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestForwardRejectsBadBatches(t *testing.T) {
	b := openBackend(t, "stories260K.gguf", Options{Threads: 1, MaxSeqs: 2, Context: 8})
	logits := make([]float32, b.c.NVocab)
	one := func(tok, pos, seq int32) *engine.Batch {
		return &engine.Batch{Tokens: []int32{tok}, Pos: []int32{pos}, Seq: []int32{seq}, Logits: []bool{true}}
	}
	ctx := context.Background()
	for name, c := range map[string]struct {
		batch *engine.Batch
		want  error
	}{
		"seq out of range": {one(1, 0, 2), engine.ErrBadSeq},
		"negative seq":     {one(1, 0, -1), engine.ErrBadSeq},
		"token too large":  {one(512, 0, 0), nil},
		"gap in positions": {one(1, 1, 0), nil},
		"empty":            {&engine.Batch{}, nil},
	} {
		err := b.Forward(ctx, c.batch, logits)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: error %v, want %v", name, err, c.want)
		}
	}
	if err := b.Forward(ctx, one(1, 0, 0), logits[:10]); err == nil {
		t.Error("short logits buffer accepted")
	}
	for p := int32(0); p < 8; p++ {
		if err := b.Forward(ctx, one(1, p, 1), logits); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Forward(ctx, one(1, 8, 1), logits); !errors.Is(err, engine.ErrContextFull) {
		t.Errorf("past the context: %v, want ErrContextFull", err)
	}
	if err := b.ClearSeq(1); err != nil || b.SeqLen(1) != 0 {
		t.Errorf("ClearSeq: %v, len %d", err, b.SeqLen(1))
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Forward(cancelled, one(1, 0, 0), logits); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	b.Close()
	if b.Health() == nil || b.Forward(ctx, one(1, 0, 0), logits) == nil {
		t.Error("closed backend still serves")
	}
}

// TestKernelsAgainstDefinitions pins the reference kernels to their
// textbook definitions on small inputs.
func TestKernelsAgainstDefinitions(t *testing.T) {
	x := []float32{1, -2, 3, 0.5}
	o := make([]float32, 4)
	rmsnorm(o, x, []float32{1, 1, 2, 1}, 0)
	rms := math.Sqrt((1 + 4 + 9 + 0.25) / 4)
	for i, w := range []float64{1, 1, 2, 1} {
		if math.Abs(float64(o[i])-float64(x[i])/rms*w) > 1e-6 {
			t.Fatalf("rmsnorm %v", o)
		}
	}
	p := []float32{1, 2, 3}
	softmax(p)
	if math.Abs(float64(p[2])-math.Exp(3)/(math.Exp(1)+math.Exp(2)+math.Exp(3))) > 1e-6 {
		t.Fatalf("softmax %v", p)
	}
	// NORM rope at pos 1 turns pair (x0, x1) by 1 radian, pair (x2, x3)
	// by base^(-2/4) = 0.01 radians; NEOX pairs (x0, x2) and (x1, x3).
	v := []float32{1, 0, 1, 0}
	rope(v, 1, ropeFreqs(4, 10000, nil), false)
	if math.Abs(float64(v[0])-math.Cos(1)) > 1e-6 || math.Abs(float64(v[1])-math.Sin(1)) > 1e-6 ||
		math.Abs(float64(v[3])-math.Sin(0.01)) > 1e-6 {
		t.Fatalf("norm rope %v", v)
	}
	v = []float32{1, 1, 0, 0}
	rope(v, 1, ropeFreqs(4, 10000, []float32{1, 2}), true)
	if math.Abs(float64(v[2])-math.Sin(1)) > 1e-6 || math.Abs(float64(v[3])-math.Sin(0.005)) > 1e-6 {
		t.Fatalf("neox rope with freq factors %v", v)
	}
}

// rope rotates the first 2*len(freqs) dims of one head vector to position
// pos: pair i turns by pos * freqs[i]. NORM (llama) pairs adjacent values
// (x[2i], x[2i+1]); NEOX pairs x[i] with x[i+nRot/2]. Dims past nRot are
// left as they are. The forward pass does the same in two steps
// (ropeAngles once per token, ropeRotate per head).
func rope(x []float32, pos int, freqs []float64, neox bool) {
	cs := make([]float32, 2*len(freqs))
	ropeAngles(cs, pos, freqs)
	ropeRotate(x, cs, neox)
}

// TestCopySeq: a sequence continued from a copied prefix gives the logits
// of the original continued the same way, bit for bit, in F32 and F16
// caches; copying more than the source holds is refused.
func TestCopySeq(t *testing.T) {
	a := []int32{1, 403, 407, 261, 378, 306, 488}
	for _, kv := range []gguf.Type{gguf.TypeF32, gguf.TypeF16} {
		b := openBackend(t, "tiny-llama-gqa-q4_k_m.gguf", Options{Threads: 2, MaxSeqs: 3, KVType: kv})
		feed(t, b, 0, 0, a)
		want := feed(t, b, 0, len(a), []int32{43, 22})
		feed(t, b, 2, 0, []int32{9, 300, 301}) // stale content the copy must replace
		if err := b.CopySeq(2, 0, len(a)); err != nil || b.SeqLen(2) != len(a) {
			t.Fatalf("%v: CopySeq: %v, length %d", kv, err, b.SeqLen(2))
		}
		got := feed(t, b, 2, len(a), []int32{43, 22})
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v: logit %d after the copy %v, original %v", kv, i, got[i], want[i])
			}
		}
		if err := b.CopySeq(1, 0, len(a)+3); err == nil {
			t.Fatalf("%v: copying %d of %d positions: no error", kv, len(a)+3, len(a)+2)
		}
	}
}

// TestDeviceNamesKernels: the heartbeat's device names the path the
// backend runs, so that a worker on the float reference or the AVX2-only
// kernels can be told from one on the fastest.
func TestDeviceNamesKernels(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	for _, quantized := range []bool{false, true} {
		activationsQuantized = quantized
		b := openBackend(t, "tiny-llama-gqa-q4_0-pure.gguf", Options{Threads: 1, Context: 16})
		want := "(float reference)"
		if quantized {
			want = "(" + kernels.Impl() + " kernels)"
		}
		if d := b.Memory().Device; !strings.HasSuffix(d, want) {
			t.Errorf("activations quantized %v: device %q, want it to end in %q", quantized, d, want)
		}
	}
}

// TestKeepLayout: with KeepLayout (the worker's --no-repack) nothing is
// repacked, the heartbeat's device says so, and the output is the
// repacked backend's to activation rounding. The IQ3_S file is the case
// that matters: its repacked form is larger than the file's.
func TestKeepLayout(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	activationsQuantized = true
	m := iq3sModel(t)
	var logits [2][]float32
	for i, keep := range []bool{false, true} {
		b, err := New(m, Options{Threads: 2, Context: 16, KeepLayout: keep})
		if err != nil {
			t.Fatal(err)
		}
		packed := len(b.packed.m) > 0
		if keep && packed || !keep && !packed && kernels.CanPack(kernels.Matrix{Type: gguf.TypeIQ3_S, Rows: 16, Cols: 256}) {
			t.Errorf("KeepLayout %v: %d matrices repacked", keep, len(b.packed.m))
		}
		if d := b.Memory().Device; keep != strings.HasSuffix(d, "weights not repacked)") {
			t.Errorf("KeepLayout %v: device %q", keep, d)
		}
		logits[i] = lastLogits(t, b, 0, []int32{1, 403, 407, 261, 378})
		b.Close()
	}
	// Kept in the file's layout, IQ3_S runs its row dot (the same 8-bit
	// activations, ggml's summation order) where the CPU has one, and
	// otherwise (arm64) the float reference, 8-bit activations' noise
	// away (under 0.1: TestPackedBackend).
	tol := 1e-3
	if !kernels.Supported(gguf.TypeIQ3_S) {
		tol = 0.1
	}
	for i := range logits[0] {
		if d := math.Abs(float64(logits[0][i] - logits[1][i])); d > tol {
			t.Fatalf("logit %d: %v repacked, %v kept", i, logits[0][i], logits[1][i])
		}
	}
}

// TestRepackMemoryLimit: IQ3_S grows when repacked, so under a memory
// limit the model plus the growth would pass it keeps the file's layout,
// and the heartbeat's device says why; under a large limit it is
// repacked.
func TestRepackMemoryLimit(t *testing.T) {
	saved := activationsQuantized
	defer func() { activationsQuantized = saved }()
	activationsQuantized = true
	if !kernels.CanPack(kernels.Matrix{Type: gguf.TypeIQ3_S, Rows: 16, Cols: 256}) {
		t.Log("this CPU does not repack IQ3_S: nothing to limit")
		return
	}
	m := iq3sModel(t)
	size := modelBytes(m)
	g := growth(m)[gguf.TypeIQ3_S]
	if g < size/5 {
		t.Fatalf("IQ3_S grows by %d bytes of %d, want about a quarter", g, size)
	}
	for _, c := range []struct {
		limit  uint64
		packed bool
	}{{(size + g) * 2, true}, {size + g/2, false}} {
		b, err := New(m, Options{Threads: 1, Context: 16, MemoryLimit: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		if got := packsType(b, gguf.TypeIQ3_S); got != c.packed {
			t.Errorf("limit %d (model %d + %d): IQ3_S repacked %v, want %v", c.limit, size, g, got, c.packed)
		}
		if d := b.Memory().Device; c.packed == strings.HasSuffix(d, "IQ3_S not repacked: memory)") {
			t.Errorf("limit %d: device %q", c.limit, d)
		}
		b.Close()
	}
}

// iq3sModel is llama.cpp's IQ3_S file (testdata/iq), whose matrices grow
// when repacked.
func iq3sModel(t *testing.T) *engine.Model {
	return modelAt(t, filepath.Join("testdata", "iq", "tiny-llama-gqa-iq3_s-pure.gguf"))
}

// modelAt loads the model file at path, open until the test ends.
func modelAt(tb testing.TB, path string) *engine.Model {
	tb.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	m, err := engine.LoadModel(f)
	if err != nil {
		tb.Fatalf("load %s: %v", path, err)
	}
	return m
}

// TestMemoryLimitFrom: the cgroup's limit counts where it is lower than
// the machine's memory; "max", garbage and missing files do not.
func TestMemoryLimitFrom(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v2, v1 := file("memory.max", "4294967296\n"), file("limit_in_bytes", "9223372036854771712\n")
	noLimit, junk := file("max", "max\n"), file("junk", "lots\n")
	const ram = 8 << 30
	for _, c := range []struct {
		files []string
		want  uint64
	}{
		{[]string{v2, v1}, 4 << 30},
		{[]string{noLimit, v1}, ram},
		{[]string{junk, filepath.Join(dir, "none")}, ram},
		{nil, ram},
	} {
		if got := memoryLimitFrom(ram, c.files...); got != c.want {
			t.Errorf("%v: limit %d, want %d", c.files, got, c.want)
		}
	}
	if got := memoryLimitFrom(0, v2); got != 4<<30 {
		t.Errorf("no MemTotal, cgroup 4 GiB: limit %d", got)
	}
}
