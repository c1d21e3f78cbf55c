#!/usr/bin/env bash
# Regenerates gguf/iq_grids.go and gguf/testdata/ggml/vectors.bin from
# ggml itself: the ggml sources that ollama vendors, fetched through the
# Go module proxy. Needs gcc and the go command; CI does not run this, it
# only checks the committed outputs (gguf/ggml_vectors_test.go).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gguf=$(cd "$here/../.." && pwd)
ver=${OLLAMA_VERSION:-v0.12.6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$("$gguf/../cmd/orcd-bench/llamacpp/ollamasrc.sh")
g="$dir/ml/backend/ggml/ggml"
cat >"$tmp/stubs.c" <<'C'
#include <stdlib.h>
#include <stddef.h>
struct ggml_tensor;
// ggml.c refers to these backend calls; the quantizers never reach them.
void ggml_backend_tensor_memset(struct ggml_tensor *t, unsigned char v, size_t o, size_t n) { (void)t; (void)v; (void)o; (void)n; abort(); }
void ggml_backend_tensor_set(struct ggml_tensor *t, const void *d, size_t o, size_t n) { (void)t; (void)d; (void)o; (void)n; abort(); }
C
gcc -O2 -w -DGGML_VERSION='"ollama-'"$ver"'"' -DGGML_COMMIT='"ollama-'"$ver"'"' \
    -I"$g/include" -I"$g/src" -I"$g/src/ggml-cpu" -o "$tmp/ggmlvec" \
    "$here/ggmlvec.c" "$tmp/stubs.c" "$g/src/ggml-quants.c" "$g/src/ggml.c" "$g/src/ggml-threading.cpp" \
    -lm -lstdc++ -lpthread
"$tmp/ggmlvec" tables >"$tmp/iq_grids.go"
gofmt -l "$tmp/iq_grids.go" >/dev/null
gofmt "$tmp/iq_grids.go" >"$gguf/iq_grids.go"
"$tmp/ggmlvec" vectors >"$here/vectors.bin"
echo "ggml from ollama $ver: wrote $gguf/iq_grids.go and $here/vectors.bin ($(wc -c <"$here/vectors.bin") bytes)"
