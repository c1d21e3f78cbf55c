#!/usr/bin/env bash
# cuda/gpucheck.sh OUTDIR: the whole CUDA check on the GPU machine (nvcc,
# no Go), sized for a few minutes. Needs cuda/.gpu/carry.tar.xz from
# cuda/gpuprep.sh. Builds liborcd_cuda.so, runs the kernel checks, the Go
# tests (goldens, CPU agreement, sequences, VRAM refusal), `worker serve
# --engine cuda` with one job, the GPU's read bandwidth (the roofline), the
# 1B benchmark (Q4_0 and Q8_0, generated
# here; IQ2_XXS decode), the A/Bs of the knobs in cuda/README.md (attention split off,
# 8-bit activations off, PDL on, tensor-core gemm on, activations
# quantized in every block, 16-token 8-bit matvecs: each checked, then
# timed), a per-kernel-group profile of decode, batched decode (1-64
# sequences), the kernel benchmarks, the matvecs' SASS main loops, ncu
# on two matvecs and compute-sanitizer on the kernel checks (last: the
# least needed). About 5 minutes on an H100; every step is bounded.
#
# GPUCHECK_EMU=1 runs the same script here, without a GPU, on the CPU
# emulator (cuda/emu): small fixtures stand in for the 1B models and ncu is
# skipped. It times nothing; it shows that every step of the script works
# before device minutes are spent on it.
set -uo pipefail
out=${1:?usage: cuda/gpucheck.sh OUTDIR}
emu=${GPUCHECK_EMU:-}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
w=/tmp/orcd-gpu
rm -rf "$w" && mkdir -p "$w"
exec > >(tee -a "$out/gpucheck.log") 2>&1
step() { echo; echo "=== $* ($(date -u +%T))"; }

step device
export PATH="$PATH:/usr/local/cuda/bin"
if [ -n "$emu" ]; then
	echo "GPUCHECK_EMU: the CPU emulator, no GPU"
else
	nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv
	nvcc --version | tail -2
fi
tar -C "$w" -xJf cuda/.gpu/carry.tar.xz ||
	python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' cuda/.gpu/carry.tar.xz "$w" || exit 1

step build liborcd_cuda.so and kernel_check
if [ -n "$emu" ]; then
	make -C cuda -j2 BUILD="$w/build" emu || exit 1
	cp "$w/build/emu/liborcd_cuda.so" "$w/build/emu/kernel_check" "$w/build/"
elif command -v make >/dev/null; then
	make -C cuda -j16 BUILD="$w/build" lib check || exit 1
else # the same steps as cuda/Makefile
	mkdir -p "$w/build"
	libdir=$(dirname "$(command -v nvcc)")/../lib64
	fl="-O3 -std=c++17 -arch=sm_90 -Xcompiler -fPIC -lineinfo"
	for f in cuda/*.cu; do nvcc $fl -c "$f" -o "$w/build/$(basename "${f%.cu}").o" & done
	wait
	nvcc -shared -arch=sm_90 -o "$w/build/liborcd_cuda.so" "$w"/build/*.o -lcublas -Xlinker -rpath,"$libdir" || exit 1
	nvcc $fl -o "$w/build/kernel_check" cuda/check/kernel_check.cu "$w"/build/*.o -lcublas -Xlinker -rpath,"$libdir" || exit 1
fi
cp "$w/build/liborcd_cuda.so" "$w/bin/" # beside the worker binary

step benchmark models: generating in the background
if [ -n "$emu" ]; then # small stand-ins under the same names
	(cp "$w/testdata/models/tiny-llama-gqa-q4_0-pure.gguf" "$w/bench-1b-q4_0.gguf" &&
		cp "$w/testdata/models/tiny-llama-gqa-q8_0-pure.gguf" "$w/bench-1b-q8_0.gguf" &&
		cp "$w/testdata/iq/tiny-llama-gqa-iq2_xs-pure.gguf" "$w/bench-1b-iq2_xxs.gguf") > "$out/benchgen.txt" 2>&1 &
else
	("$w/bin/benchgen" -type q4_0 -out "$w/bench-1b-q4_0.gguf" && "$w/bin/benchgen" -type q8_0 -out "$w/bench-1b-q8_0.gguf" &&
		"$w/bin/benchgen" -type iq2_xxs -out "$w/bench-1b-iq2_xxs.gguf") > "$out/benchgen.txt" 2>&1 &
fi
gen=$!

step go tests on the fixtures
export ORCD_CUDA_LIB="$w/build/liborcd_cuda.so" ORCD_TESTDATA="$w/testdata" ORCD_CUDA_MODELS=$(cat "$w/models.txt")
[ -n "$emu" ] && export ORCD_CUDA_MODELS=stories260K.gguf # the whole set takes the emulator ~20 minutes
# TestIQGridHeader compares cuda/iq_grids.cuh with gguf's grids: a source
# check, which make test runs; the test binary runs in $w, without sources.
(cd "$w" && timeout 200 ./bin/cuda.test -test.v -test.count=1 -test.timeout 190s -test.skip '^TestIQGridHeader$') 2>&1 | tee "$out/gotest.txt" |
	grep -E '^(=== RUN|--- |PASS|FAIL|ok)|gpu[a-z_]*_test.go' | grep -v '=== RUN'

step worker serve --engine cuda: embedded NATS, one job, heartbeat
# exec: $! must be the worker itself, so that the SIGINT below reaches it.
(cd "$w" && exec env -u ORCD_CUDA_LIB ./bin/worker serve --engine cuda --model testdata/models/stories260K.gguf \
	--data-dir "$w/js" --listen 14222 --heartbeat 1s --grace 5s > "$out/worker.txt" 2>&1) &
srv=$!
sleep 3
url=nats://127.0.0.1:14222
timeout 30 "$w/bin/worker" submit --nats-url $url --model stories260K --prompt "Once upon a time" --max-tokens 48 2>&1 | tee "$out/submit.txt"
# The prompt cache on the GPU (orcd_copy_seq truncating): the summary line
# should say most of this prompt came from the cache.
timeout 30 "$w/bin/worker" submit --nats-url $url --model stories260K --max-tokens 16 \
	--prompt "Once upon a time, there was a little girl named Lily. She loved to play outside." 2>&1 | tee -a "$out/submit.txt"
timeout 30 "$w/bin/worker" submit --nats-url $url --model stories260K --max-tokens 16 \
	--prompt "Once upon a time, there was a little girl named Lily. She loved to play outside. One day" 2>&1 | tee -a "$out/submit.txt"
sleep 2
timeout 10 "$w/bin/worker" workers --nats-url $url 2>&1 | tee "$out/workers.txt"
timeout 10 "$w/bin/worker" workers --nats-url $url --json 2>&1 | tee -a "$out/workers.txt"
kill -INT $srv
for _ in $(seq 20); do kill -0 $srv 2>/dev/null || break; sleep 1; done
kill -KILL $srv 2>/dev/null
tail -5 "$out/worker.txt"

step "read bandwidth of this GPU: the roofline of the figures below (ANCHORS.md's 3109 GB/s is the H100's)"
timeout 30 "$w/build/kernel_check" bandwidth 2>&1 | tee "$out/bandwidth.txt"
peak=$(sed -n 's/^peak_read_gbs=//p' "$out/bandwidth.txt")
# The emulator's figure is meaningless: leave the H100's.
[ -n "$peak" ] && [ -z "$emu" ] && export ORCD_PEAK_GBS=$peak

step benchmark
wait $gen
cat "$out/benchgen.txt"
ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf,$w/bench-1b-q8_0.gguf" timeout 150 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$' -test.benchtime 2x 2>&1 | tee "$out/bench.txt"
# The grid types' kernels (quant_iq.cuh): the 1B shape with IQ2_XXS layers.
ORCD_BENCH_MODELS="$w/bench-1b-iq2_xxs.gguf" timeout 60 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$/./decode128$' -test.benchtime 2x 2>&1 | tee "$out/bench-iq2_xxs.txt"

step "attention split off (A/B for the line above): Q4_0 decode"
ORCD_CUDA_ATTN_SPLIT=0 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf" timeout 60 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$/./decode' -test.benchtime 2x 2>&1 | tee "$out/bench-nosplit.txt"

step "8-bit activations off (ORCD_CUDA_MVQ=0: float matvecs; A/B for bench.txt and batched.txt): decode, batched Q4_0"
ORCD_CUDA_MVQ=0 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf,$w/bench-1b-q8_0.gguf" timeout 60 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$/./decode' -test.benchtime 2x 2>&1 | tee "$out/bench-nomvq.txt"
ORCD_CUDA_MVQ=0 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf" timeout 90 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDABatched$' -test.benchtime 1x 2>&1 | tee "$out/batched-nomvq.txt"

step "programmatic dependent launch on (ORCD_CUDA_PDL=1; A/B for the benchmark above): correctness, then decode"
ORCD_CUDA_PDL=1 timeout 60 "$w/build/kernel_check" checks 2>&1 | tail -3 | tee "$out/kernel_check-pdl.txt"
(cd "$w" && ORCD_CUDA_PDL=1 timeout 120 ./bin/cuda.test -test.count=1 -test.run 'Golden|Agrees|Batched' -test.timeout 110s) 2>&1 |
	tee "$out/gotest-pdl.txt" | grep -E '^(--- |PASS|FAIL|ok)' | grep -v '=== RUN'
ORCD_CUDA_PDL=1 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf,$w/bench-1b-q8_0.gguf" timeout 90 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$/./decode' -test.benchtime 2x 2>&1 | tee "$out/bench-pdl.txt"

step "tensor-core gemm for batches past 8 tokens (ORCD_CUDA_QGEMM=1, A/B against cuBLAS above): correctness, prefill, batched decode"
(cd "$w" && ORCD_CUDA_QGEMM=1 timeout 120 ./bin/cuda.test -test.count=1 -test.run 'Golden|Agrees|Batched' -test.timeout 110s) 2>&1 |
	tee "$out/gotest-qgemm.txt" | grep -E '^(--- |PASS|FAIL|ok)' | grep -v '=== RUN'
ORCD_CUDA_QGEMM=1 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf,$w/bench-1b-q8_0.gguf" timeout 90 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$/./prefill' -test.benchtime 2x 2>&1 | tee "$out/bench-qgemm.txt"
ORCD_CUDA_QGEMM=1 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf" timeout 90 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDABatched$' -test.benchtime 1x 2>&1 | tee "$out/batched-qgemm.txt"

step "where a Q4_0 decode step goes (ORCD_CUDA_PROFILE=1: no graphs, an event per kernel group)"
ORCD_CUDA_PROFILE=1 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf" timeout 60 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDA$/./decode' -test.benchtime 1x 2>&1 | tee "$out/profile.txt"

step batched decode: 1 to 64 sequences per step '(issue #8)'
ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf,$w/bench-1b-q8_0.gguf" timeout 120 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDABatched$' -test.benchtime 1x 2>&1 | tee "$out/batched.txt"

step "A/Bs for batched.txt, Q4_0, 1, 8 and 32 sequences: each block quantizing (ORCD_CUDA_MVQ_PRE=0); 16 tokens a k_mvq launch (ORCD_CUDA_MVQ_TOKENS=16), checked first"
ORCD_CUDA_MVQ_PRE=0 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf" timeout 60 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDABatched$/.*/seqs=(1|8|32)$' -test.benchtime 1x 2>&1 | tee "$out/batched-nopre.txt"
(cd "$w" && ORCD_CUDA_MVQ_TOKENS=16 timeout 60 ./bin/cuda.test -test.count=1 -test.run 'PrefillBatch|BatchedGreedy' -test.timeout 50s) 2>&1 |
	tail -5 | tee "$out/gotest-mvq16.txt"
ORCD_CUDA_MVQ_TOKENS=16 ORCD_BENCH_MODELS="$w/bench-1b-q4_0.gguf" timeout 60 "$w/bin/cuda.test" \
	-test.run '^$' -test.bench '^BenchmarkCUDABatched$/.*/seqs=(1|8|32)$' -test.benchtime 1x 2>&1 | tee "$out/batched-mvq16.txt"

step kernel checks
if [ -n "$emu" ]; then
	(timeout 120 "$w/build/kernel_check" checks && timeout 120 "$w/build/kernel_check" smoke) 2>&1 | tee "$out/kernel_check.txt"
else
	timeout 120 "$w/build/kernel_check" 2>&1 | tee "$out/kernel_check.txt"
fi

step "SASS: each type's one-token 8-bit matvec main loop, instructions per weight (nvcc of this machine)"
if [ -z "$emu" ] && command -v cuobjdump >/dev/null && command -v python3 >/dev/null; then
	timeout 60 python3 cuda/check/sass_loop.py "$w"/build/mv_q*.o "$w"/build/mv_iq*.o 2>&1 | tee "$out/sass.txt"
fi

step ncu: one Q4_0 and one Q6_K matvec
[ -n "$emu" ] || timeout 90 ncu --launch-skip 20 --launch-count 1 -k regex:k_mv --section SpeedOfLight --section Occupancy \
	--section LaunchStats --section WarpStateStats --section MemoryWorkloadAnalysis "$w/build/kernel_check" profile 2>&1 |
	grep -v '^==PROF==' | grep -E -v '^\s*$' | head -120

step "compute-sanitizer on the kernel checks: memcheck (out of bounds), racecheck (shared memory), initcheck (unwritten reads)"
if [ -z "$emu" ] && command -v compute-sanitizer >/dev/null; then
	for tool in memcheck racecheck initcheck; do
		echo "--- $tool"
		timeout 60 compute-sanitizer --tool $tool --print-limit 5 "$w/build/kernel_check" checks 2>&1 |
			grep -E -v ' OK$' | tail -15 | tee -a "$out/sanitizer.txt"
	done
fi

step summary
grep -E 'GB/s' "$out/bandwidth.txt"
grep -E 'FAIL|failed' "$out/kernel_check.txt" | tail -3
grep -E '^(--- FAIL|FAIL|ok|PASS)' "$out/gotest.txt" | tail -5
grep -E 'FAIL|failed' "$out/kernel_check-pdl.txt" "$out/gotest-pdl.txt" "$out/gotest-qgemm.txt" | tail -3
grep -E 'tok/s' "$out/bench.txt" "$out/bench-nosplit.txt" "$out/bench-nomvq.txt" "$out/batched-nomvq.txt" "$out/bench-pdl.txt" "$out/bench-qgemm.txt" "$out/batched.txt" "$out/batched-qgemm.txt"
