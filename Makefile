# The two commands a newcomer needs are `make run` and `make test` (see README.md).
GO ?= go
GOTESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: run test test-go vet bench lambda bench-gateway-peers

# Run the main job on embedded defaults: the media service on 127.0.0.1:8080
# (see README.md, "Media service"); another address with make run ADDR=127.0.0.1:8081.
ADDR ?= 127.0.0.1:8080
run:
	$(GO) run ./cmd/rampart dev --addr $(ADDR)

# Build the Lambda bootstraps (linux/arm64, provided.al2023) as
# dist/<function>.zip, the artefacts deploy/aws references.
LAMBDAS := thumbnailer health
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
lambda:
	@mkdir -p dist
	@for f in $(LAMBDAS); do \
		mkdir -p dist/$$f && \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath \
			-ldflags "-s -w -X main.Version=$(VERSION)" -o dist/$$f/bootstrap ./cmd/$$f && \
		rm -f dist/$$f.zip && $(GO) run github.com/aws/aws-lambda-go/cmd/build-lambda-zip -o dist/$$f.zip dist/$$f/bootstrap >/dev/null && \
		echo "dist/$$f.zip" || exit 1; \
	done

# Install and start everything the tests need, then vet and test everything.
test:
	tools/testenv $(MAKE) --no-print-directory test-go

test-go: vet
	$(GO) test $(GOTESTFLAGS) ./...

# go vet, then staticcheck (a go.mod tool: nothing to install; see
# staticcheck.conf for the checks).
vet:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench:
	tools/testenv $(GO) test -run '^$$' -bench . -benchmem ./...

# The native gateway side by side with nginx and Caddy (real processes, wrk
# from Debian; see gateway/peerbench). Installs wrk, nginx-light and caddy
# from Debian when missing; make test needs none of them. (On a machine
# with systemd, installing nginx also starts it on port 80.)
bench-gateway-peers:
	@command -v wrk >/dev/null && command -v nginx >/dev/null && command -v caddy >/dev/null || { \
		s=; [ "$$(id -u)" = 0 ] || s=sudo; \
		$$s apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y -qq --no-install-recommends wrk nginx-light caddy; }
	$(GO) run ./cmd/rampart gateway bench --peers $(PEERS_FLAGS)
