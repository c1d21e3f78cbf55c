#!/usr/bin/env bash
# Builds llamacpp-bench (bench.cpp) against the llama.cpp and ggml sources
# that ollama vendors, fetched through the Go module proxy, for a CPU
# baseline on this machine: -O3 -march=native, OpenMP, the CPU repack
# buffers and llamafile's sgemm, as llama.cpp's CMake build defaults. Not
# part of make test. Usage: [MARCH=haswell] build.sh [output dir] (default
# .cache/llamacpp; MARCH=haswell builds an AVX2-only baseline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(cd "$here/../../.." && pwd)/.cache/llamacpp}
ver=${OLLAMA_VERSION:-v0.12.6}
mkdir -p "$out/obj"
O=$("$here/ollamasrc.sh")
G=$O/ml/backend/ggml/ggml
L=$O/llama/llama.cpp
printf '#define GGML_VERSION "ollama-%s"\n#define GGML_COMMIT "ollama-%s"\n' "$ver" "$ver" >"$out/version.h"
flags="-O3 -march=${MARCH:-native} -DNDEBUG -fopenmp -DGGML_USE_CPU -DGGML_USE_OPENMP -DGGML_USE_CPU_REPACK -DGGML_USE_LLAMAFILE -D_GNU_SOURCE -include $out/version.h -I$G/include -I$G/src -I$G/src/ggml-cpu -I$L/include -I$L/src -w"
srcs="$G/src/ggml.c $G/src/ggml.cpp $G/src/ggml-alloc.c $G/src/ggml-backend.cpp $G/src/ggml-backend-reg.cpp
$G/src/ggml-opt.cpp $G/src/ggml-quants.c $G/src/ggml-threading.cpp $G/src/gguf.cpp
$(ls $G/src/ggml-cpu/{ggml-cpu.c,ggml-cpu.cpp,ops.cpp,vec.cpp,quants.c,repack.cpp,traits.cpp,binary-ops.cpp,unary-ops.cpp,hbm.cpp})
$G/src/ggml-cpu/arch/x86/quants.c $G/src/ggml-cpu/arch/x86/repack.cpp $G/src/ggml-cpu/llamafile/sgemm.cpp
$(ls $L/src/*.cpp) $here/bench.cpp"
for f in $srcs; do
	o=$out/obj/$(echo "$f" | md5sum | cut -c1-8)-$(basename "$f").o
	case $f in
	*.c) echo "gcc -std=gnu11 $flags -c $f -o $o" ;;
	*) echo "g++ -std=c++17 $flags -c $f -o $o" ;;
	esac
done | xargs -d '\n' -P "$(nproc)" -I{} sh -c '{}'
g++ -fopenmp -o "$out/llamacpp-bench" "$out"/obj/*.o -lpthread -lm
echo "built $out/llamacpp-bench (llama.cpp as vendored by ollama $ver)"
