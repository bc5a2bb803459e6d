# The two commands a newcomer needs are `make run` and `make test` (see README.md).
GO ?= go
GOTESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: run test test-go vet bench

# Run the main job on embedded defaults.
run:
	$(GO) run ./cmd/rampart demo

# Install and start everything the tests need, then vet and test everything.
test:
	tools/testenv $(MAKE) --no-print-directory test-go

test-go: vet
	$(GO) test $(GOTESTFLAGS) ./...

vet:
	$(GO) vet ./...

bench:
	tools/testenv $(GO) test -run '^$$' -bench . -benchmem ./...
