#!/usr/bin/env bash
# Interleaved orcd vs llama.cpp on the bench models: for each round and
# model, llamacpp-bench then orcd-bench -one, same threads, prompt and
# decode length; the best of the rounds per side, and the ratios, as a
# markdown table. Needs build.sh's binary and make bench's models.
# Usage: [ISA=avx2] compare.sh "q4_0 iq2_xxs ..." [rounds] [prompt] [gen] [threads]
# ISA=avx2 compares the kernels of a CPU with AVX2 but no AVX-512: orcd's
# (orcd-bench -isa avx2) against llama.cpp built by MARCH=haswell build.sh
# .cache/llamacpp-avx2.
set -euo pipefail
cd "$(dirname "$0")/../../.."
quants=${1:-"q4_0 q8_0 q4_k"}
rounds=${2:-2} prompt=${3:-128} gen=${4:-64} threads=${5:-2}
isa=${ISA:-native}
llama=.cache/llamacpp/llamacpp-bench
[ "$isa" = native ] || llama=.cache/llamacpp-$isa/llamacpp-bench
go build -o bin/orcd-bench ./cmd/orcd-bench
declare -A lp lt op ot
num() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p"; }
best() { awk -v a="${1:-0}" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
for r in $(seq "$rounds"); do
	for q in $quants; do
		f=$(ls .cache/bench/llama-1b-random-"$q"-*.gguf | head -1)
		l=$($llama "$f" "$threads" "$prompt" "$gen" 1 2>/dev/null | tail -1)
		o=$(./bin/orcd-bench -one "$f" -isa "$isa" -threads "$threads" -prompt "$prompt" -gen "$gen" 2>/dev/null | tail -1 | sed 's/,/, /g')
		lp[$q]=$(best "${lp[$q]:-}" "$(echo "$l" | num pp)")
		lt[$q]=$(best "${lt[$q]:-}" "$(echo "$l" | num tg)")
		op[$q]=$(best "${op[$q]:-}" "$(echo "$o" | num prefill_tok_s)")
		ot[$q]=$(best "${ot[$q]:-}" "$(echo "$o" | num decode_tok_s)")
		echo "round $r $q: llama.cpp $l, orcd prefill $(echo "$o" | num prefill_tok_s) decode $(echo "$o" | num decode_tok_s) (load $(cut -d' ' -f1 /proc/loadavg))" >&2
	done
done
echo "| model | prefill tok/s orcd | llama.cpp | ratio | decode tok/s orcd | llama.cpp | ratio |"
echo "|---|---|---|---|---|---|---|"
for q in $quants; do
	awk -v q="$q" -v a="${op[$q]}" -v b="${lp[$q]}" -v c="${ot[$q]}" -v d="${lt[$q]}" \
		'BEGIN { printf "| %s | %.1f | %.1f | %.2fx | %.2f | %.2f | %.2fx |\n", toupper(q), a, b, a/b, c, d, c/d }'
done
