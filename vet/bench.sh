#!/usr/bin/env bash
# vet/bench.sh [ROUNDS]: wall time and peak memory (max RSS of the process
# tree's largest process, GNU time's %M) of `rampart vet ./...` over the
# whole repository against `go vet ./...` in the same run, interleaved,
# ROUNDS times (default 3). Run from the repository root.
#
#   rampart-vet          rampart vet ./...: go vet with rampart as its tool, the deployment rules beside it
#   go-vet               go vet ./... (the standard analyzers)
#   rampart-uncached     rampart vet ./... with a rampart built anew for the round (another -X main.Version):
#                        go vet keys its cache on the tool's content, so nothing is cached
#   go-vet-uncached      go vet with a new -printf.funcs value each round: nothing cached either (go vet's
#                        fact-producing analyzers then also re-analyse every dependency, the standard library too)
#
# go vet caches clean packages' results, so after the warm-up the first two
# are what a second run costs, the last two what a run after changing every
# package costs. The compiled export data stays cached for all four.
set -euo pipefail
rounds=${1:-3}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/rampart" ./cmd/rampart
go vet ./... && "$bin/rampart" vet ./... # warm the caches
measure() { # name command...
	local name=$1
	shift
	# The repository has no findings (TestVet_repository): a failing run
	# has no figure.
	if ! /usr/bin/time -f "$name %e s %M KB" "$@" >/dev/null 2>"$bin/err"; then
		cat "$bin/err" >&2
		echo "bench: $name failed" >&2
		exit 1
	fi
	tail -1 "$bin/err"
}
for r in $(seq "$rounds"); do
	go build -ldflags="-X main.Version=bench$r$RANDOM" -o "$bin/rampart-$r" ./cmd/rampart
	measure rampart-vet "$bin/rampart" vet ./...
	measure go-vet go vet ./...
	measure rampart-uncached "$bin/rampart-$r" vet ./...
	measure go-vet-uncached go vet -printf.funcs="bench$r$RANDOM" ./...
done
