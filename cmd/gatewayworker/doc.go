// Command gatewayworker is the Rampart gateway core compiled to WebAssembly
// for Cloudflare Workers (GOOS=js GOARCH=wasm).
//
// It defines synchronous functions on globalThis for the hand-written glue
// in deploy/cloudflare/src (the Worker and its RateLimiter Durable Object).
// They exchange plain strings, fields joined by NUL, rather than JSON:
// encoding/json's reflection costs more in WebAssembly than the decision.
//
//	rampartConfigure(configJSON) error-or-""
//	rampartStart(request[, warm]) step
//	rampartResume(id, value, error?) step
//	rampartDone(id, status, latencyMs, errorCode?)
//	rampartGCRA(rate, periodNs, burst, tat, now) tat NUL decision
//	rampartWarmup() [record, request...]
//	rampartCollect()
//
// rampartConfigure builds the isolate's gateway from GATEWAY_CONFIG
// ([gateway.ParseConfig]). rampartStart runs [gateway.Gateway.Handle] on a
// request (method, path, query, host, scheme, HTTP version, client
// address, content length, then header names and values) until the core
// needs a binding and returns that need as a step: "T" id NUL token-id asks
// for the TOKENS KV value under the token id (a TokenRecord in JSON, or
// null), "L" id NUL key NUL rate NUL period NUL burst for the RATE_LIMITER
// Durable Object's decision on key. The glue awaits the binding and passes
// the answer (or an error message) to rampartResume, until a step "R" and
// a JSON result carries the decision ("E" and a message is an error).
// Stepping keeps every crossing between JavaScript and Go synchronous: no
// Promise or js.Func is made per request. rampartDone writes the access
// log once the glue knows the final status. rampartGCRA is [gateway.GCRA],
// called by the Durable Object on its stored timestamp; tat and now are
// Unix nanoseconds as decimal strings, because JavaScript numbers cannot
// hold them exactly.
//
// # Starting at module scope
//
// Starting the Go runtime (instantiating, the runtime's and the packages'
// initialisation, building the gateway) costs far more CPU than a request,
// more than the 10 ms a free-plan request may use; and V8 compiles each
// WebAssembly function on its first call, so the first request would also
// pay for compiling its whole path. The glue therefore starts Go at module
// scope, when workerd loads the Worker, and runs rampartWarmup's requests
// through the core there (on a gateway of their own, with their own cache
// and a discarded log), then rampartCollect. rampartConfigure logs one
// record, "gateway started", which at module scope pays the isolate's first
// console.log (milliseconds of workerd's CPU) before any request.
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
// differ between isolates uses the runtime's generator: request ids come
// from a ChaCha8 generator seeded from crypto/rand (crypto.getRandomValues)
// by the first request of each isolate. Without GATEWAY_SEED the runtime
// starts in the first request instead (secure, but that request pays the
// start). Rotating the secret changes nothing but the seeds of new
// isolates.
//
// Build it with deploy/cloudflare/build.sh, which also copies Go's
// wasm_exec.js next to it.
package main
