package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/orcd/orcd/gguf"
)

func init() {
	register("inspect", "describe a GGUF file (--json for every key and tensor)", runInspect)
}

// Arrays longer than this are shortened in the output, keeping their length.
const (
	inspectArrayFull = 32
	inspectArrayHead = 8
)

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", stderr)
	asJSON := fs.Bool("json", false, "print {version, metadata, tensors} as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: worker inspect [--json] FILE.gguf")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Accept flags after the file too ("inspect m.gguf --json").
	if fs.NArg() > 1 {
		path := fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
		if fs.NArg() != 0 {
			fs.Usage()
			return &exitError{code: 2, msg: "want exactly one GGUF file"}
		}
		return inspectFile(path, *asJSON, stdout)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, msg: "want exactly one GGUF file"}
	}
	return inspectFile(fs.Arg(0), *asJSON, stdout)
}

func inspectFile(path string, asJSON bool, stdout io.Writer) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(stdout)
	if asJSON {
		err = inspectJSON(w, f)
	} else {
		inspectSummary(w, path, f)
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// inspectSummary prints what a person wants to know first about a model.
func inspectSummary(w io.Writer, path string, f *gguf.File) {
	arch := f.Arch()
	var params uint64
	for i := range f.Tensors {
		params += f.Tensors[i].Elements()
	}
	fmt.Fprintf(w, "file:            %s (%s, GGUF v%d, %d keys, %d tensors)\n", path, humanBytes(uint64(f.Size)), f.Version, len(f.Metadata), len(f.Tensors))
	if name, err := f.String("general.name"); err == nil {
		fmt.Fprintf(w, "name:            %s\n", name)
	}
	fmt.Fprintf(w, "architecture:    %s\n", orNone(arch))
	fmt.Fprintf(w, "parameters:      %s (%d)\n", humanCount(params), params)
	fmt.Fprintf(w, "quant mix:       %s\n", quantMix(f))
	for _, k := range []struct{ label, key string }{
		{"context length", "context_length"}, {"embedding", "embedding_length"},
		{"layers", "block_count"}, {"heads", "attention.head_count"},
		{"kv heads", "attention.head_count_kv"}, {"feed-forward", "feed_forward_length"},
	} {
		fmt.Fprintf(w, "%-16s %s\n", k.label+":", intKey(f, f.ArchKey(k.key)))
	}
	fmt.Fprintf(w, "vocab size:      %s\n", vocabSize(f))
	if len(f.Tensors) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-40s %-7s %-22s %12s %12s\n", "tensor", "type", "dims", "offset", "bytes")
	for i := range f.Tensors {
		t := &f.Tensors[i]
		fmt.Fprintf(w, "%-40s %-7s %-22s %12d %12d\n", t.Name, t.Type, dimsString(t.Dims), t.Offset, t.Size)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func intKey(f *gguf.File, key string) string {
	n, err := f.Int(key)
	if errors.Is(err, gguf.ErrKeyNotFound) {
		return "(absent)"
	}
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return strconv.FormatInt(n, 10)
}

// vocabSize prefers the token list, which is what llama.cpp uses.
func vocabSize(f *gguf.File) string {
	if a, err := f.Array("tokenizer.ggml.tokens"); err == nil {
		model, _ := f.String("tokenizer.ggml.model")
		return fmt.Sprintf("%d (%s)", a.Len(), orNone(model))
	}
	return intKey(f, f.ArchKey("vocab_size"))
}

// quantMix lists each tensor type with its tensor count and share of bytes.
func quantMix(f *gguf.File) string {
	type agg struct {
		n     int
		bytes uint64
	}
	byType := map[gguf.Type]*agg{}
	var total uint64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if byType[t.Type] == nil {
			byType[t.Type] = &agg{}
		}
		byType[t.Type].n++
		byType[t.Type].bytes += t.Size
		total += t.Size
	}
	if len(byType) == 0 {
		return "(no tensors)"
	}
	types := make([]gguf.Type, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool { return byType[types[i]].bytes > byType[types[j]].bytes })
	parts := make([]string, len(types))
	for i, t := range types {
		share := 0.0
		if total > 0 {
			share = 100 * float64(byType[t].bytes) / float64(total)
		}
		parts[i] = fmt.Sprintf("%s x%d (%.1f%% of bytes)", t, byType[t].n, share)
	}
	return strings.Join(parts, ", ")
}

func dimsString(d []uint64) string {
	s := make([]string, len(d))
	for i, x := range d {
		s[i] = strconv.FormatUint(x, 10)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func humanCount(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return strconv.FormatUint(n, 10)
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// inspectJSON writes the metadata in file order, which a Go map would lose.
func inspectJSON(w io.Writer, f *gguf.File) error {
	fmt.Fprintf(w, "{\"version\":%d,\"metadata\":{", f.Version)
	for i, kv := range f.Metadata {
		if i > 0 {
			io.WriteString(w, ",")
		}
		k, _ := marshalJSON(kv.Key)
		v, err := marshalJSON(jsonValue(kv.Value.V))
		if err != nil {
			return fmt.Errorf("metadata key %q: %w", kv.Key, err)
		}
		fmt.Fprintf(w, "\n%s:%s", k, v)
	}
	io.WriteString(w, "\n},\"tensors\":[")
	type tensorJSON struct {
		Name   string   `json:"name"`
		Type   string   `json:"type"`
		Dims   []uint64 `json:"dims"`
		Offset uint64   `json:"offset"`
		Bytes  uint64   `json:"bytes"`
	}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if i > 0 {
			io.WriteString(w, ",")
		}
		b, err := marshalJSON(tensorJSON{t.Name, t.Type.String(), t.Dims, t.Offset, t.Size})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s", b)
	}
	_, err := io.WriteString(w, "\n]}\n")
	return err
}

// marshalJSON is json.Marshal without HTML escaping: token lists are full
// of "<s>"-like strings that should stay readable.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// shortArray is how a long array appears: its element type, its length and
// its first few elements.
type shortArray struct {
	Type string `json:"type"`
	Elem string `json:"elem"`
	Len  int    `json:"len"`
	Head []any  `json:"head"`
}

// jsonValue maps a metadata value to something encoding/json accepts:
// floats keep their shortest form and non-finite ones become strings.
func jsonValue(v any) any {
	switch x := v.(type) {
	case float32:
		return jsonFloat(float64(x), 32)
	case float64:
		return jsonFloat(x, 64)
	case gguf.Array:
		n := x.Len()
		elems := make([]any, 0, min(n, inspectArrayFull))
		for i := 0; i < n && (n <= inspectArrayFull || i < inspectArrayHead); i++ {
			elems = append(elems, jsonValue(x.At(i)))
		}
		if n <= inspectArrayFull {
			return elems
		}
		return shortArray{"array", x.Elem.String(), n, elems}
	}
	return v
}

func jsonFloat(f float64, bits int) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits))
}
