// Command gatewayworker is the Rampart gateway core compiled to WebAssembly
// for Cloudflare Workers (GOOS=js GOARCH=wasm).
//
// Its per-request entry points are WebAssembly exports (//go:wasmexport)
// for the hand-written glue in deploy/cloudflare/src (the Worker and its
// RateLimiter Durable Object): plain calls that take and return numbers,
// with the strings in an exchange buffer in Go's memory. The glue writes
// an argument as UTF-8 at the address rampartBuffer gives and passes its
// length; an entry point writes its answer there and returns the answer's
// length. Fields are joined by NUL rather than encoded as JSON:
// encoding/json's reflection costs more in WebAssembly than the decision.
// (syscall/js would cost an event in the Go runtime per call and a
// finalizer per JavaScript value Go receives.)
//
//	rampartBuffer(n) address
//	rampartStart(n, warm) step
//	rampartResume(id, n, kind) step
//	rampartDone(id, status, latencyMs, n, bytesSent)
//	rampartGCRA(n) tat NUL decision
//	rampartLogs() records
//	rampartIDBuffer() address
//
// rampartStart runs [gateway.Gateway.Handle] on a request (method, path,
// query, host, scheme, HTTP version, client address, content length, then
// header names and values) until the core needs a binding and answers
// that need as a step: "T" id NUL token-id asks for the TOKENS KV value
// under the token id (a TokenRecord in JSON, or null), "L" id NUL key NUL
// rate NUL period NUL burst for the RATE_LIMITER Durable Object's decision
// on key. The glue awaits the binding and passes the answer to
// rampartResume (kind 0: the value, 1: null, 2: an error message), until
// a step "R" and a JSON result carries the decision ("E" and a message is
// an error). Stepping keeps every crossing between JavaScript and Go
// synchronous: no Promise or js.Func is made per request. rampartDone
// writes the access log once the glue knows the final status (and what
// failed: an origin call, the glue itself, or the response body cut short
// after its header). rampartGCRA is [gateway.GCRA], called by the Durable
// Object on its stored timestamp; tat and now are Unix nanoseconds as
// decimal strings, because JavaScript numbers cannot hold them exactly.
// rampartLogs hands over the records logged since its last call, which the
// glue writes with console.log (Workers Logs collects them).
// rampartIDBuffer is the address of 16 bytes where the glue draws each
// request id with crypto.getRandomValues before rampartStart (the id is
// those bytes in hex; bytes the glue left clear are read from crypto/rand).
//
// Three syscall/js functions on globalThis serve the start, at module
// scope: rampartConfigure(configJSON) builds the isolate's gateway from
// GATEWAY_CONFIG ([gateway.ParseConfig]), rampartWarmup(n) and
// rampartCollect() warm it up (below).
//
// # Starting at module scope
//
// Starting the Go runtime (instantiating, the runtime's and the packages'
// initialisation, building the gateway) costs far more CPU than a request,
// more than the 10 ms a free-plan request may use; and V8 compiles each
// WebAssembly function on its first call, so the first request would also
// pay for compiling its whole path. The glue therefore starts Go at module
// scope, when workerd loads the Worker, and runs rampartWarmup's requests
// through the entry points there (on warm-up gateways of their own, with
// their own caches and log), then rampartCollect. In workerd, what V8
// has only compiled at module scope is compiled again in the first
// request, function by function; only what it has optimised (tiered up)
// stays. So the warm-up runs the request path two thousand times, inside
// Go, which makes the isolate's start-up several times longer (Workers
// allow 1 s) and its first request cheaper (the README's figures); the
// GATEWAY_WARMUP variable sets another count (0 to 4000; 0 skips it).
// The start's garbage is collected before the warm-up's last eighth, not
// after it: a collection empties the allocator's caches, and refilling
// them in the first request would run code too rare in the warm-up to be
// optimised. Access records are written by [gateway.NewLogHandler], whose
// few small functions cost the first request less than slog's JSON
// handler.
//
// rampartConfigure logs one record, "gateway started", which at module
// scope pays the isolate's first console.log before any request;
// rampartWarmup one, "gateway warmed up", with the count.
//
// Timers cannot be set at module scope either, and the runtime asks for
// one when it goes idle with timer work pending (its scavenger after a
// collection): the glue keeps those until the first request. A start that
// fails at module scope is logged and forgotten: the first request starts
// a fresh runtime. A GATEWAY_CONFIG the core refuses makes every request a
// JSON 503, logged with the reason. A panic in the core fails its request
// (logged, without a stack) and nothing else; a fatal error, which ends the
// runtime, makes the glue start a fresh one in the next request.
//
// workerd allows no random numbers at module scope (crypto.getRandomValues
// throws), and the Go runtime seeds itself from random bytes when it
// starts: its map hash seeds and the generator behind math/rand/v2 come
// from that seed. A predictable seed would let a client precompute keys
// that collide in the gateway's maps (the request's header fields, the
// token cache's unknown ids), turning each lookup into a scan: a CPU
// denial of service against a Worker with a CPU limit. So the seed comes
// from the GATEWAY_SEED secret (at least 32 random bytes in hex, set with
// `wrangler secret put GATEWAY_SEED`): clients cannot know it. Every
// isolate of a deployment starts from the same seed, so nothing that must
// differ between isolates uses the runtime's generator: each request id
// is 16 bytes from crypto.getRandomValues (rampartIDBuffer). Without
// GATEWAY_SEED the runtime
// starts in the first request instead (secure, but that request pays the
// start). Rotating the secret changes nothing but the seeds of new
// isolates.
//
// Build it with deploy/cloudflare/build.sh, which also copies Go's
// wasm_exec.js next to it.
package main
