#!/usr/bin/env bash
# vet/bench.sh [ROUNDS]: wall time and peak memory (max RSS of the process
# tree's largest process, GNU time's %M) of `rampart vet ./...` over the
# whole repository against `go vet ./...` in the same run, interleaved,
# ROUNDS times (default 3). Run from the repository root.
#
#   rampart-vet          rampart vet ./...: go vet with rampart as its tool, then the deployment rules
#   go-vet               go vet ./... (the standard analyzers)
#   rampart-uncached     go vet -vettool=rampart-vet with a new -c value each time: Rampart's analyzers
#                        with nothing cached (the export data stays cached, as it does for go vet)
#   go-vet-uncached      go vet with a new -printf.funcs value each time: the same for go vet's analyzers
#
# go vet caches clean packages' results, so after the warm-up the first two
# are what a second run costs, the last two what a run after changing every
# package costs.
set -euo pipefail
rounds=${1:-3}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/rampart" ./cmd/rampart
go build -o "$bin/rampart-vet" ./cmd/rampart-vet
go vet ./... && "$bin/rampart" vet ./... # warm the caches
measure() { # name command...
	local name=$1
	shift
	/usr/bin/time -f "$name %e s %M KB" "$@" >/dev/null 2>"$bin/err" || true
	tail -1 "$bin/err"
}
for r in $(seq "$rounds"); do
	measure rampart-vet "$bin/rampart" vet ./...
	measure go-vet go vet ./...
	measure rampart-uncached go vet -vettool="$bin/rampart-vet" -c="$r$RANDOM" ./...
	measure go-vet-uncached go vet -printf.funcs="bench$r$RANDOM" ./...
done
