// Command gatewayworker is the Rampart gateway core compiled to WebAssembly
// for Cloudflare Workers (GOOS=js GOARCH=wasm).
//
// It defines four synchronous functions on globalThis for the hand-written
// glue in deploy/cloudflare/src (the Worker and its RateLimiter Durable
// Object):
//
//	rampartStart(requestJSON, configJSON) stepJSON
//	rampartResume(id, value, error?) stepJSON
//	rampartDone(requestID, status, latencyMs, errorCode?)
//	rampartGCRA(limitJSON, tat, now) resultJSON
//
// rampartStart runs [gateway.Gateway.Handle] until the core needs a binding
// and returns that need as a step: {"id","need":"token","token_id"} asks for
// the TOKENS KV value under the token id (a TokenRecord in JSON, or null), and
// {"id","need":"limit","key","limit"} for the RATE_LIMITER Durable Object's
// decision on key. The glue awaits the binding and passes the answer (or an
// error message) to rampartResume, until a step {"id","result":{...}}
// carries the decision. Stepping keeps every crossing between JavaScript and
// Go synchronous: no Promise or js.Func is made per request, which is most
// of the CPU a Promise-based bridge costs. rampartDone writes the access log
// once the glue knows the final status. rampartGCRA is [gateway.GCRA], called by the
// Durable Object on its stored timestamp; tat and now are Unix nanoseconds
// as decimal strings, because JavaScript numbers cannot hold them exactly.
//
// Build it with deploy/cloudflare/build.sh, which also copies Go's
// wasm_exec.js next to it. The Go runtime is instantiated once per isolate,
// on the first request (workerd forbids random numbers and timers at module
// scope), and reused by later requests.
package main
