#!/usr/bin/env bash
# Regenerates llama.cpp-quantized files and their goldens with llama.cpp
# itself (the sources ollama vendors, compiled by
# cmd/orcd-bench/llamacpp/build.sh). Not run by CI, which only reads the
# committed outputs (TestIQGolden, TestQuantGolden).
# Usage: gen.sh [outdir TYPE=llama_ftype ...]; with no arguments, the IQ
# files here (IQ2_XXS 19, IQ2_XS 20, IQ1_S 24, IQ3_S 26, IQ2_S 29 (IQ2_M: IQ2_S tensors; 28 makes IQ2_XS), IQ1_M
# 31). ../quant/gen.sh makes the others.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out=$here
specs=(IQ2_XXS=19 IQ2_XS=20 IQ1_S=24 IQ3_S=26 IQ2_S=29 IQ1_M=31)
if [ $# -gt 0 ]; then
	out=$(cd "$1" && pwd)
	shift
	specs=("$@")
fi
build=$root/.cache/llamacpp
ver=${OLLAMA_VERSION:-v0.12.6}
bash "$root/cmd/orcd-bench/llamacpp/build.sh" "$build" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
O=$("$root/cmd/orcd-bench/llamacpp/ollamasrc.sh")
G=$O/ml/backend/ggml/ggml
L=$O/llama/llama.cpp
g++ -std=c++17 -O2 -fopenmp -w -DOLLAMA_VERSION="\"$ver\"" -I"$G/include" -I"$L/include" -c "$here/iqgolden.cpp" -o "$tmp/iqgolden.o"
g++ -fopenmp -o "$tmp/iqgolden" "$tmp/iqgolden.o" $(ls "$build"/obj/*.o | grep -v -- '-bench.cpp.o') -lpthread -lm
"$tmp/iqgolden" "$root/../shared/testdata/models/tiny-llama-gqa-f32.gguf" "$out" "${specs[@]}" 2>"$tmp/log" || { tail -30 "$tmp/log"; exit 1; }
grep "wrote" "$tmp/log"
