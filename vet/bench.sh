#!/usr/bin/env bash
# vet/bench.sh [ROUNDS]: wall time and peak memory of `rampart vet ./...`
# over the whole repository against `go vet ./...` in the same run,
# interleaved (A B C D, A B C D, ...), ROUNDS times (default 3). go vet
# caches its results per package, so it is measured twice: cached (as a
# second run sees it) and uncached (a changed analyzer flag makes every
# vet action run again; the compiled export data stays cached, as it does
# for rampart vet). `go vet -vettool=rampart-vet` runs Rampart's analyzers
# through go vet (cached the same way). Run from the repository root.
set -euo pipefail
rounds=${1:-3}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/rampart" ./cmd/rampart
go build -o "$bin/rampart-vet" ./cmd/rampart-vet
go vet ./... && go vet -vettool="$bin/rampart-vet" ./... # warm the caches
measure() { # name command...
	local name=$1
	shift
	/usr/bin/time -f "$name %e s %M KB" "$@" >/dev/null 2>"$bin/err" || true
	tail -1 "$bin/err"
}
for r in $(seq "$rounds"); do
	measure "rampart-vet" "$bin/rampart" vet ./...
	measure "go-vet-uncached" go vet -printf.funcs="benchround$r$RANDOM" ./...
	measure "go-vet-cached" go vet ./...
	measure "go-vet-vettool-rampart-uncached" go vet -vettool="$bin/rampart-vet" -c="$RANDOM" ./...
done
