#!/usr/bin/env bash
# deploy/cloudflare/build.sh [OUT]: builds the Worker bundle into OUT
# (default deploy/cloudflare/dist, which wrangler.toml's main points into):
# gateway.wasm from cmd/gatewayworker, Go's own wasm_exec.js, and the glue.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here/../.."
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/gateway.wasm" ./cmd/gatewayworker
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
cp "$here/src/worker.mjs" "$out/worker.mjs"
