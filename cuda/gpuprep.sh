#!/usr/bin/env bash
# cuda/gpuprep.sh: run HERE (the Go machine) before cuda/gpucheck.sh. Builds
# what the GPU machine cannot (it has nvcc but no Go) and packs it with the
# fixtures into cuda/.gpu/carry.tar.xz (ignored; carry it as "cuda/.gpu").
#   GPU_MODELS="a.gguf b.gguf"  overrides the fixture list.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${ORCD_TESTDATA:-../shared/testdata}
stage=cuda/.gpu/stage
rm -rf cuda/.gpu && mkdir -p "$stage/bin" "$stage/testdata/models" "$stage/testdata/golden"
export CGO_ENABLED=1
go test -c -ldflags='-s -w' -o "$stage/bin/cuda.test" ./cuda
go build -ldflags='-s -w' -o "$stage/bin/benchgen" ./cuda/benchgen
go build -ldflags='-s -w' -o "$stage/bin/worker" ./cmd/worker
# tiny-llama-gqa f32/f16 are left out to stay under the 64 MiB carry limit:
# stories260K (F32) and llama-2-tiny-random (F16) cover those types.
models=${GPU_MODELS:-$(cd "$shared/models" && ls *.gguf | grep -v -e tiny-llama-gqa-f32 -e tiny-llama-gqa-f16)}
for m in $models; do
	cp "$shared/models/$m" "$stage/testdata/models/"
	cp "$shared/golden/${m%.gguf}.json" "$stage/testdata/golden/"
done
mkdir -p "$stage/testdata/iq" # llama.cpp's IQ files, for TestIQFiles
cp engine/cpu/testdata/iq/*.gguf engine/cpu/testdata/iq/*.json "$stage/testdata/iq/"
echo "$models" | tr ' ' '\n' | grep . | paste -sd, > "$stage/models.txt"
tar -C "$stage" -cf - . | xz -T2 -2 > cuda/.gpu/carry.tar.xz
rm -rf "$stage"
ls -l cuda/.gpu/carry.tar.xz
