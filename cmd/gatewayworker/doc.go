// Command gatewayworker is the Rampart gateway core compiled to WebAssembly
// for Cloudflare Workers (GOOS=js GOARCH=wasm).
//
// It defines three functions on globalThis for the hand-written glue in
// deploy/cloudflare/src (the Worker and its RateLimiter Durable Object):
//
//	rampartHandle(requestJSON, configJSON, bindings) Promise<resultJSON>
//	rampartDone(requestID, status, latencyMs)
//	rampartGCRA(limitJSON, tat, now) resultJSON
//
// rampartHandle runs [gateway.Gateway.Handle]. The bindings object gives the
// core its token store and limiter as two JavaScript functions:
// tokens(hash) resolves to the KV value (a TokenRecord in JSON) or null, and
// limit(key, limitJSON) resolves to a LimitDecision in JSON from the
// Durable Object for that key. rampartDone writes the access log once the
// glue knows the final status. rampartGCRA is [gateway.GCRA], called by the
// Durable Object on its stored timestamp; tat and now are Unix nanoseconds
// as decimal strings, because JavaScript numbers cannot hold them exactly.
//
// Build it with deploy/cloudflare/build.sh, which also copies Go's
// wasm_exec.js next to it. The Go runtime is instantiated once per isolate,
// on the first request (workerd forbids random numbers and timers at module
// scope), and reused by later requests.
package main
