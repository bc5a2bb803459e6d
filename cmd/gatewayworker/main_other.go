//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains how to build the command: it only runs as WebAssembly.
func main() {
	fmt.Fprintln(os.Stderr, "gatewayworker runs in a Cloudflare Worker; build it with GOOS=js GOARCH=wasm (deploy/cloudflare/build.sh)")
	os.Exit(2)
}
