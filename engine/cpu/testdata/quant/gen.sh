#!/usr/bin/env bash
# Regenerates the files here: tiny-llama-gqa-f32 quantized by llama.cpp to
# the types that engine/kernels repacks beyond Q4_0, Q8_0, Q4_K, Q5_K and
# Q6_K (and IQ3_XXS, re-encoded; IQ3_S's file is in ../iq) (every matrix in the type), with llama.cpp's greedy runs on them
# (TestQuantGolden). llama_ftype numbers: Q4_1 3, Q5_0 8, Q5_1 9, Q2_K 10,
# Q3_K_S 11 (pure: all Q3_K), IQ3_XXS 23, IQ4_NL 25, IQ4_XS 30.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../iq/gen.sh" "$here" Q4_1=3 Q5_0=8 Q5_1=9 Q2_K=10 Q3_K=11 IQ3_XXS=23 IQ4_NL=25 IQ4_XS=30
