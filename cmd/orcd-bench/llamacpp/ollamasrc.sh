#!/usr/bin/env bash
# Prints the directory of ollama's module source (OLLAMA_VERSION, default
# v0.12.6), fetched through the Go module proxy into the module cache:
# ggml and llama.cpp as ollama vendors them, for the tools that build
# reference programs from them (build.sh, gguf/testdata/ggml/gen.sh,
# engine/cpu/testdata/iq/gen.sh).
set -euo pipefail
ver=${OLLAMA_VERSION:-v0.12.6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && go mod init x >/dev/null 2>&1 && go mod download -json "github.com/ollama/ollama@$ver" >dl.json)
sed -n 's/.*"Dir": "\(.*\)",*/\1/p' "$tmp/dl.json"
