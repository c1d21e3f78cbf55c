# orcd: see README.md. Every target that does not work yet fails loudly.
GO        ?= go
MODEL     ?= ../shared/testdata/models/stories260K.gguf
BIN       := bin/worker
# Packages whose tests run again under the race detector (concurrency-heavy).
RACE_PKGS ?= ./consumer/... ./client/
# The engine's scheduler tests (its loop goroutine against the jobs'), under
# the race detector too: the whole package takes ~4 minutes so, these ~45 s.
RACE_ENGINE ?= ^(TestScheduler.*|TestGenerate.*|TestPromptCacheRandomMix|TestPromptCacheSharesAcrossSlots|TestPromptCacheMatchesFresh)$$
CUDA_ARCH ?= sm_90
FUZZTIME  ?= 3m
# A count, not a duration: Go 1.26's fuzz coordinator can fail a clean
# duration-bounded run with "context deadline exceeded" (golang/go#75804).
FUZZJOBS  ?= 1000000x

.PHONY: build test race-pkgs race-engine test-arm64 arm64-fma arm64-max arm64-a72 arm64-cpu test-cross cuda-emu-test emu-checks emu-checks-shuffled emu-smoke bench bench-batch lint run cuda fuzz loadtest deploy-test

build:
	$(GO) build -o $(BIN) ./cmd/worker

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory -j2 --output-sync=target race-pkgs race-engine
	$(MAKE) test-arm64
	$(MAKE) test-cross
	$(MAKE) cuda-emu-test
	$(MAKE) deploy-test

# The race detector's two runs, side by side: the engine's scheduler tests
# keep about one core busy.
race-pkgs:
	@if [ -n "$(RACE_PKGS)" ]; then $(GO) test -count=1 -race -timeout 15m $(RACE_PKGS); fi
race-engine:
	@if [ -n "$(RACE_ENGINE)" ]; then $(GO) test -count=1 -race -timeout 10m -run '$(RACE_ENGINE)' ./engine/; fi

# The build on another OS: vet compiles every package and test of
# CROSS_PKGS (the ones with OS-specific code: mmap, madvise, dlopen) for
# each target, 30 s for macOS on Apple silicon with a cold build cache.
# CROSS_PKGS=./... takes the NATS side too (about two minutes a target);
# darwin/arm64 darwin/amd64 windows/amd64 freebsd/amd64 linux/riscv64 all
# passed that way when this was written.
CROSS_TARGETS ?= darwin/arm64
CROSS_PKGS    ?= ./engine/... ./gguf/... ./tokenizer/... ./cuda/...
test-cross:
	@for t in $(CROSS_TARGETS); do echo "go vet for $$t: $(CROSS_PKGS)"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet $(CROSS_PKGS) || exit 1; done

# arm64 under qemu-aarch64 (package qemu-user-static, which .ci/run
# installs): no Go code of orcd's with a fused multiply-add (Go contracts
# a*b+c on arm64, not on amd64, so such code gives other bits), the NEON
# kernels against the references and, bit for bit, their lane models
# (the amd64 kernels' too): the whole package on a CPU with dotprod (-cpu
# max), its kernel tests on one without (-cpu cortex-a72: the references
# and the float kernels), and engine/cpu's llama.cpp
# goldens on the NEON kernels, and a batch bit for bit each sequence alone
# (TestPackedBackend). Correctness only: qemu says nothing about
# speed. About two minutes with a cold build cache.
QEMU_ARM64  ?= qemu-aarch64-static
ARM64_BUILD := $(CURDIR)/.cache/arm64
ARM64_KERNEL_TESTS := ^(TestARM64KernelChoice|TestPackedChunkLanes|TestPackedKLanes|TestPackedBatchInvariant|TestNEONQuadSweep|TestAttn.*|TestExp|TestExpSpecial|TestSoftmax.*|TestSwiGLU|TestMax|TestHalfSlices|TestFast.*|TestQuadMatchesSingle|TestExtraRegistered|TestExtraQ5_K.*|TestExtraQuadQ5_K.*|TestExtraIQ4.*|TestExtraQ3_K.*|TestQ2_K.*|FuzzFastDot)$$
test-arm64:
	@command -v $(QEMU_ARM64) >/dev/null || { echo "test-arm64: $(QEMU_ARM64) not found: apt-get install qemu-user-static" >&2; exit 1; }
	@mkdir -p $(ARM64_BUILD)
	GOARCH=arm64 $(GO) vet ./engine/...
	GOARCH=arm64 $(GO) build -o $(ARM64_BUILD)/worker ./cmd/worker
	GOARCH=arm64 $(GO) test -c -o $(ARM64_BUILD)/kernels.test ./engine/kernels
	GOARCH=arm64 $(GO) test -c -o $(ARM64_BUILD)/cpu.test ./engine/cpu
	@$(MAKE) --no-print-directory -j2 --output-sync=target arm64-fma arm64-max arm64-a72 arm64-cpu

# test-arm64's checks, two at a time: qemu runs a test binary on little
# more than one core.
ARM64_CPU_TESTS := ^(TestGoldenKernels|TestDeviceNamesKernels|TestPackedBackend|TestBatchMixesSequences|TestKeepLayout|TestReencodedBatched|TestAttendMatchesReference)$$
arm64-fma:
	@for b in worker kernels.test cpu.test; do $(GO) tool objdump $(ARM64_BUILD)/$$b | \
		awk '/^TEXT/ {fn = $$2} /(FMADD|FMSUB|FNMADD|FNMSUB)[SD] / && fn ~ /orcd\/orcd/ && fn !~ /abi0|fma32/ && $$1 !~ /_test\.go:/ {print "contracted a*b+c in " fn " at " $$1; bad = 1} END {exit bad}' || \
		{ echo "test-arm64: Go contracts a*b+c on arm64 (one rounding) and not on amd64: round the product with float32()" >&2; exit 1; }; done
	@echo "arm64: no contracted a*b+c in orcd's Go code"
arm64-max:
	cd engine/kernels && $(QEMU_ARM64) $(ARM64_BUILD)/kernels.test -test.v > $(ARM64_BUILD)/max.log 2>&1 || { cat $(ARM64_BUILD)/max.log; exit 1; }
	@grep -E '^(--- |PASS|FAIL)|dotprod' $(ARM64_BUILD)/max.log
arm64-a72:
	cd engine/kernels && $(QEMU_ARM64) -cpu cortex-a72 $(ARM64_BUILD)/kernels.test -test.run '$(ARM64_KERNEL_TESTS)' -test.v > $(ARM64_BUILD)/a72.log 2>&1 || { cat $(ARM64_BUILD)/a72.log; exit 1; }
	@grep -E '^(--- |PASS|FAIL)|dotprod' $(ARM64_BUILD)/a72.log
arm64-cpu:
	cd engine/cpu && $(QEMU_ARM64) $(ARM64_BUILD)/cpu.test -test.run '$(ARM64_CPU_TESTS)' -test.v > $(ARM64_BUILD)/cpu.log 2>&1 || { cat $(ARM64_BUILD)/cpu.log; exit 1; }
	@grep -E '^(--- |PASS|FAIL)|steps within' $(ARM64_BUILD)/cpu.log

# The CUDA backend's kernels and forward pass on the CPU emulator
# (cuda/emu: the same .cu sources built by g++, no GPU or CUDA toolkit):
# the emulator's self-test, every kernel against its CPU reference (with
# the threads run in order and, at the same time, shuffled, so that a race
# shows), each benchmark once at a small size (that its code runs; timings
# mean nothing there), then all of the backend's Go tests (goldens, batched prefill, CPU
# agreement, sequences, batched = alone) on stories260K (F32: the float
# matvecs) and a Q4_0 and a Q4_K_M fixture (the 8-bit activation matvecs,
# Q8_0 and Q8_K), `worker serve --engine cuda` serving three jobs at once
# over NATS, and `worker generate --engine cuda --kv-type f32` giving
# llama.cpp's greedy tokens on the Q4_0 fixture. Logic only, not speed.
# The emulator runs a kernel on one thread, so the Go tests run as two
# processes, EMU_SPLIT's tests and the others (-test.skip: a new test
# lands in the second), the second with the threads shuffled. About four
# minutes on two cores with a cold build (the build takes one).
EMU_BUILD  := $(CURDIR)/.cache/cuda-emu
EMU_MODELS ?= stories260K.gguf,tiny-llama-gqa-q4_0-pure.gguf,tiny-llama-gqa-q4_k_m.gguf
EMU_SPLIT  := ^(TestBatchedGreedy|TestRequantizedNative|TestConvertedTypes|TestGoldenTeacherForced)$$
EMU_ENV    := ORCD_CUDA_LIB=$(EMU_BUILD)/emu/liborcd_cuda.so ORCD_CUDA_MODELS=$(EMU_MODELS)
cuda-emu-test:
	$(MAKE) -C cuda -j2 emu BUILD=$(EMU_BUILD)
	$(EMU_BUILD)/emu/selftest
	$(GO) test -c -o $(EMU_BUILD)/cuda.test ./cuda
	@$(MAKE) --no-print-directory -j2 --output-sync=target emu-checks emu-checks-shuffled emu-smoke
	cd cuda && $(EMU_ENV) sh -c '\
		$(EMU_BUILD)/cuda.test -test.count=1 -test.timeout=10m -test.v -test.run "$(EMU_SPLIT)" > $(EMU_BUILD)/gotest-1.log 2>&1 & one=$$!; \
		ORCD_EMU_ORDER=shuffle $(EMU_BUILD)/cuda.test -test.count=1 -test.timeout=10m -test.v -test.skip "$(EMU_SPLIT)" > $(EMU_BUILD)/gotest-2.log 2>&1; two=$$?; \
		wait $$one; one=$$?; \
		grep -h -E "^(--- |ok|PASS|FAIL|panic)" $(EMU_BUILD)/gotest-1.log $(EMU_BUILD)/gotest-2.log; \
		if [ $$one != 0 ] || [ $$two != 0 ]; then cat $(EMU_BUILD)/gotest-1.log $(EMU_BUILD)/gotest-2.log; exit 1; fi'
	ORCD_CUDA_LIB=$(EMU_BUILD)/emu/liborcd_cuda.so $(GO) test -count=1 -timeout 5m ./cmd/worker -run 'TestServeCUDAEngine|TestGenerateCUDAExact'

# cuda-emu-test's kernel checks, two at a time: the emulator runs on one
# thread.
emu-checks:
	$(EMU_BUILD)/emu/kernel_check checks
emu-checks-shuffled:
	ORCD_EMU_ORDER=shuffle $(EMU_BUILD)/emu/kernel_check checks > $(EMU_BUILD)/checks-shuffle.log 2>&1 || \
		{ cat $(EMU_BUILD)/checks-shuffle.log; exit 1; }
	@tail -1 $(EMU_BUILD)/checks-shuffle.log | sed 's/^/shuffled order: /'
emu-smoke:
	$(EMU_BUILD)/emu/kernel_check smoke

# deploy/ (its own Go module): NATS cluster configs, permissions, TLS,
# failover with real nats-server and worker processes, Dockerfile lint,
# compose and Kubernetes manifests. About a minute with a warm build cache.
deploy-test:
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# make bench: generates the 1B-shaped benchmark models into .cache/bench on
# first use (about 2.9 GB; re-made when cmd/orcd-bench/gen.go changes) and
# prints prefill/decode tok/s, TTFT and peak RSS with the ratio to the last
# run. BENCH_FLAGS e.g. "-threads 1 -quants Q4_0". Kernel micro-benchmarks:
# go test ./engine/kernels -run X -bench . -benchtime 200x
BENCH_FLAGS ?=
bench:
	$(GO) build -o bin/orcd-bench ./cmd/orcd-bench
	./bin/orcd-bench $(BENCH_FLAGS)

# make bench-batch: continuous batching on the CPU, 1B-shaped Q4_0 model,
# 2 threads: one decode step of 1 vs 8 sequences, then 1, 2, 4, 8 and 16
# jobs at once through the scheduler (aggregate tok/s, p50/p99 time between
# tokens, ratio to one job measured in interleaved rounds), then the time
# to first token of jobs sharing a 480-token prefix with the prompt cache
# and without. The model is made into .cache/bench on first use (728 MB).
# A few minutes.
BATCH_ENV := ORCD_MATMUL=kernels ORCD_BENCH_1B=q4_0 ORCD_BENCH_DIR=$(CURDIR)/.cache/bench
bench-batch:
	@mkdir -p .cache/bench
	$(BATCH_ENV) $(GO) test ./engine/cpu -run '^$$' -bench 'Llama1BDecodeStep$$' -benchtime 20x
	$(BATCH_ENV) $(GO) test ./engine -run '^$$' -bench 'BatchedDecode' -benchtime 2x -timeout 30m
	$(BATCH_ENV) $(GO) test ./engine -run '^$$' -bench 'PromptCache' -benchtime 4x -timeout 10m

# Embedded NATS + a worker on MODEL + one job, streamed back, then a clean
# shutdown. PROMPT overrides the story's start.
PROMPT    ?= Once upon a time
run: build
	$(BIN) serve --model $(MODEL) --demo "$(PROMPT)" --demo-max-tokens 200

# liborcd_cuda.so beside bin/worker, where --engine auto|cuda looks for it.
# Needs nvcc; CUDA_ARCH=sm_80 (A100), sm_89 (L4), ... for other GPUs.
cuda:
	$(MAKE) -C cuda CUDA_ARCH=$(CUDA_ARCH) lib
	@mkdir -p bin && cp cuda/build/liborcd_cuda.so bin/

# Fuzz the GGUF parser (seeded from ../shared/testdata); crashers land in
# gguf/testdata/fuzz/ and then run as regular tests.
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./gguf/
	$(GO) test -run='^$$' -fuzz=FuzzDecodeJob -fuzztime=$(FUZZJOBS) ./consumer/

# Reliability under load (slow; outside make test): 1,000 jobs across 3
# worker processes and one nats-server process on MODEL, run once with a
# single worker (the reference texts), once clean, once with a worker
# SIGKILLed and restarted mid-run; then the 10,000-job soak benchmark for
# goroutines and RSS. LOADTEST_FLAGS e.g. "-jobs 200 -max-tokens 64".
LOADTEST_FLAGS ?=
loadtest: build
	$(GO) build -o bin/nats-server github.com/nats-io/nats-server/v2
	$(GO) build -o bin/loadtest ./cmd/loadtest
	./bin/loadtest -worker $(BIN) -nats-server bin/nats-server -model $(MODEL) $(LOADTEST_FLAGS)
	$(GO) test ./consumer -run '^$$' -bench SoakShortJobs -benchtime 10000x
