// Rampart API gateway on Cloudflare Workers: the glue between the Workers
// runtime and the Go core compiled to WebAssembly (gateway.wasm, built from
// cmd/gatewayworker by build.sh together with Go's wasm_exec.js).
//
// The glue only moves data: it hands the request to Go, resolves the
// bindings Go asks for (TOKENS: KV of token records by token id;
// RATE_LIMITER: one Durable Object per limited key), and forwards allowed
// requests to ORIGIN. Every decision is Go's.
import "./wasm_exec.js";
import wasm from "./gateway.wasm";
import { DurableObject, env as moduleEnv } from "cloudflare:workers";

// The Go runtime starts once per isolate. Its start (instantiating the
// module, the runtime and package initialisation, building the gateway
// from GATEWAY_CONFIG) costs far more CPU than a request, so it runs at
// module scope, outside any request's CPU budget, when it can: workerd
// allows no random numbers at module scope (crypto.getRandomValues throws
// there) and the Go runtime draws its seed at start. The seed then comes
// from the GATEWAY_SEED secret (at least 32 random bytes, hex; see the
// package doc of cmd/gatewayworker):
// unknown to clients, so they cannot predict the runtime's map hash seeds
// (which would let them build colliding keys for the gateway's maps) or its
// other random choices. Request ids do not use it: each request's comes
// from crypto.getRandomValues (drawRequestID). Without GATEWAY_SEED the
// runtime starts on the first request, as secure but that request pays the
// start.
let started = false; // the Go runtime has started and holds the gateway
let startError; // why it cannot start, once that is final
let releaseTimers = () => {}; // see startGo
let wasmExports; // its instance's exports
let goRuntime; // its wasm_exec.js Go object

// The per-request entry points are WebAssembly exports of gateway.wasm
// (//go:wasmexport): plain calls taking and returning numbers, with the
// strings in Go's exchange buffer (see cmd/gatewayworker), instead of
// syscall/js functions, each call of which costs an event in the Go
// runtime and a finalizer per JavaScript value it receives.
const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder();

// put writes s into Go's exchange buffer and returns its length in bytes.
function put(s) {
  const room = s.length * 3; // UTF-16 code units to UTF-8 bytes, at most
  const at = wasmExports.rampartBuffer(room) >>> 0; // addresses are unsigned
  return utf8.encodeInto(s, new Uint8Array(wasmExports.mem.buffer, at, room)).written;
}

// take reads the n-byte answer in Go's exchange buffer.
function take(n) {
  return fromUTF8.decode(new Uint8Array(wasmExports.mem.buffer, wasmExports.rampartBuffer(0) >>> 0, n >>> 0));
}

// writeLogs writes the records Go logged since the last call, one
// console.log each (Workers Logs collects them).
function writeLogs() {
  const n = wasmExports.rampartLogs();
  if (n === 0) return;
  for (const line of take(n).split("\n")) {
    if (line) console.log(line);
  }
}

// stepped returns a step of the core after writing what it logged.
function stepped(step) {
  writeLogs();
  return step;
}

// idBytes views the 16 bytes in Go's memory that hold the next request
// id (see cmd/gatewayworker), made again when Go's memory has grown (which
// detaches the old buffer) or a fresh runtime started.
let idBytes;

// drawRequestID draws the next request id's bytes into Go's memory:
// random, or for a warm-up request (at module scope, where random numbers
// are not allowed) a fixed non-zero pattern.
function drawRequestID(warm) {
  if (idBytes?.buffer !== wasmExports.mem.buffer) {
    idBytes = new Uint8Array(wasmExports.mem.buffer, wasmExports.rampartIDBuffer() >>> 0, 16);
  }
  if (warm) idBytes.fill(warm);
  else crypto.getRandomValues(idBytes);
}

// core calls the Go core's entry points (see cmd/gatewayworker).
const core = {
  // warm: 0 for the isolate's gateway, 1 or 2 for a warm-up gateway.
  start(request, warm) {
    const n = put(request); // may grow Go's memory: draw the id after it
    drawRequestID(warm);
    return stepped(take(wasmExports.rampartStart(n, warm)));
  },
  resume(id, value, error) {
    if (error !== undefined) return stepped(take(wasmExports.rampartResume(id, put(error), 2)));
    if (typeof value !== "string") return stepped(take(wasmExports.rampartResume(id, 0, 1)));
    return stepped(take(wasmExports.rampartResume(id, put(value), 0)));
  },
  // done writes the access record; code names what failed, cause and
  // bytesSent describe a truncated response.
  done(id, status, latencyMs, code, cause, bytesSent) {
    const n = code ? put(cause === undefined ? code : code + "\0" + cause) : 0;
    wasmExports.rampartDone(id, status, latencyMs, n, bytesSent ?? -1);
    writeLogs();
  },
  gcra: (rate, period, burst, tat, now) =>
    take(wasmExports.rampartGCRA(put([rate, period, burst, tat, now].join("\0")))),
};

// seedSource returns a getRandomValues stand-in that hands out the bytes
// of the secret hex, or null when hex is not at least 32 bytes of hex.
function seedSource(hex) {
  if (typeof hex !== "string" || !/^([0-9a-fA-F]{2}){32,}$/.test(hex.trim())) return null;
  const bytes = new Uint8Array(hex.trim().match(/../g).map((b) => parseInt(b, 16)));
  let off = 0;
  return (buf) => {
    if (off + buf.length > bytes.length) {
      throw new Error("GATEWAY_SEED is too short for the Go runtime's start");
    }
    buf.set(bytes.subarray(off, off + buf.length));
    off += buf.length;
  };
}

// startGo starts the Go runtime and builds the gateway for config.
// fill, when given, supplies the start's random bytes (module scope);
// afterwards, and without it, they come from crypto.getRandomValues.
//
// A start that fails at module scope leaves nothing behind: the first
// request starts a fresh runtime instead (see the module scope below). A
// configuration error is final (every request answers 503 and logs it),
// and so is a start that fails in a request: one runtime start per isolate
// at most, never one per request.
function startGo(fill, config) {
  if (started) return;
  if (startError) throw startError;
  let configText;
  try {
    configText = configJSON(config);
  } catch (e) {
    startError = new Error("GATEWAY_CONFIG: " + e.message);
    throw startError;
  }
  const go = new globalThis.Go();
  const gojs = go.importObject.gojs;
  const getRandomData = gojs["runtime.getRandomData"];
  let atModuleScope = !!fill;
  gojs["runtime.getRandomData"] = (sp) => {
    if (!atModuleScope) return getRandomData(sp);
    sp >>>= 0;
    const addr = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    const len = go.mem.getUint32(sp + 16, true) + go.mem.getInt32(sp + 20, true) * 4294967296;
    fill(new Uint8Array(go._inst.exports.mem.buffer, addr, len));
  };
  // Timers cannot be set at module scope either, and the runtime asks for
  // one whenever it goes idle with timer work pending (its scavenger after
  // a collection, say): at module scope the glue keeps each one, with the
  // timeout ids of wasm_exec.js, until releaseTimers sets them in the first
  // request.
  const deferred = new Map(); // timeout id -> delay in ms
  const schedule = gojs["runtime.scheduleTimeoutEvent"];
  const clear = gojs["runtime.clearTimeoutEvent"];
  gojs["runtime.scheduleTimeoutEvent"] = (sp) => {
    if (!atModuleScope) return schedule(sp);
    sp >>>= 0;
    const id = go._nextCallbackTimeoutID++;
    deferred.set(id, go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296);
    go.mem.setInt32(sp + 16, id, true);
  };
  gojs["runtime.clearTimeoutEvent"] = (sp) => {
    if (!deferred.delete(go.mem.getInt32((sp >>> 0) + 8, true))) clear(sp);
  };
  const instance = new WebAssembly.Instance(wasm, go.importObject);
  go.run(instance); // runs main until it blocks; the promise never settles
  if (go.exited) throw new Error("the Go runtime exited while starting");
  wasmExports = instance.exports;
  goRuntime = go;
  if (typeof globalThis.rampartConfigure !== "function" || typeof wasmExports.rampartStart !== "function") {
    throw new Error("gateway.wasm did not register its entry points");
  }
  const err = globalThis.rampartConfigure(configText);
  writeLogs();
  if (err) {
    startError = new Error("GATEWAY_CONFIG: " + err);
    throw startError;
  }
  if (fill) warmUp(warmupCount(moduleEnv?.GATEWAY_WARMUP));
  releaseTimers = () => {
    atModuleScope = false;
    for (const [id, ms] of deferred) {
      go._scheduledTimeouts.set(id, setTimeout(() => {
        go._resume();
        while (go._scheduledTimeouts.has(id)) go._resume(); // as wasm_exec.js does
      }, ms));
    }
    deferred.clear();
  };
  started = true;
}

// configJSON returns GATEWAY_CONFIG as the JSON text rampartConfigure
// takes ("" for the defaults). A JSON object in wrangler's configuration
// ([vars] table, or vars in wrangler.json) reaches the Worker as an object,
// not as text; a value of any other kind (a number, say) throws.
function configJSON(config) {
  if (config === undefined || config === null) return "";
  if (typeof config === "string") return config;
  if (typeof config === "object" && !Array.isArray(config)) return JSON.stringify(config);
  throw new Error("want a JSON object, or a string holding one, not " + (Array.isArray(config) ? "a list" : "a " + typeof config));
}

// startInRequest starts Go in a request if it has not started and sets
// the timers module scope kept; it throws what keeps the gateway from
// starting.
function startInRequest(config) {
  if (!started) {
    try {
      startGo(null, config);
    } catch (e) {
      startError ??= e;
      throw startError;
    }
  }
  releaseTimers();
  releaseTimers = () => {};
}

// WARMUP_REQUESTS is how many requests rampartWarmup decides inside Go at
// module scope (see cmd/gatewayworker: V8 keeps only code it has optimised
// for the first request). Half as many cost the first request a few
// milliseconds more, interleaved in workerd; twice as many would take the
// isolate's start-up near Workers' 1 s limit (the README's figures). The
// GATEWAY_WARMUP variable sets another count, from 0 (no warm-up: the
// shortest start-up, the dearest first request) to MAX_WARMUP_REQUESTS.
const WARMUP_REQUESTS = 2000;
const MAX_WARMUP_REQUESTS = 4000;

// warmupCount returns the warm-up count GATEWAY_WARMUP asks for, or the
// default, logging why, when it is not an integer in range.
function warmupCount(v) {
  if (v === undefined || v === null || String(v).trim() === "") return WARMUP_REQUESTS;
  const s = String(v).trim();
  const n = /^[0-9]+$/.test(s) ? Number(s) : NaN;
  if (!(n <= MAX_WARMUP_REQUESTS)) {
    logError("gateway: GATEWAY_WARMUP is not a count from 0 to " + MAX_WARMUP_REQUESTS + "; warming up with the default", {
      value: s.slice(0, 64), default: WARMUP_REQUESTS,
    });
    return WARMUP_REQUESTS;
  }
  return n;
}

// warmUp runs the warm-up requests of rampartWarmup through the core at
// module scope, in Go and then a few from here, with the bindings answered
// in place (see cmd/gatewayworker).
function warmUp(n) {
  if (n === 0) {
    globalThis.rampartCollect(); // drops the warm-up gateways
    return;
  }
  const warm = globalThis.rampartWarmup(n);
  if (warm instanceof Error) throw warm;
  const [record, ...requests] = warm;
  const recordID = JSON.parse(record).id;
  for (const [i, req] of requests.entries()) {
    let step = core.start(req, 1 + (i % 2));
    while (step[0] === "T" || step[0] === "L") {
      const f = step.slice(1).split("\0");
      let value;
      if (step[0] === "T") {
        value = f[1] === recordID ? record : null;
      } else {
        const out = core.gcra(f[2], f[3], f[4], "0", "1700000000000000000");
        value = out.slice(out.indexOf("\0") + 1);
      }
      step = core.resume(Number(f[0]), value);
    }
    if (step[0] !== "R") throw new Error("warm-up: " + step.slice(1));
    core.done(JSON.parse(step.slice(1)).id, 200, 1 + i);
  }
  // Collect the start's garbage now rather than in the first request.
  globalThis.rampartCollect();
}

// logError writes one JSON error record, as the Go side's (no stack).
function logError(msg, fields) {
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "ERROR", msg, ...fields }));
}

// At module scope: start now if the seed is there. A failed start is
// logged here, once, and forgotten (unless the configuration is wrong):
// the first request starts a fresh runtime, as without the seed.
const moduleSeed = seedSource(moduleEnv?.GATEWAY_SEED);
if (moduleSeed) {
  try {
    startGo(moduleSeed, moduleEnv.GATEWAY_CONFIG);
  } catch (e) {
    logError("gateway: start at module scope failed", {
      error: String(e), then: startError ? "every request answers 503" : "starting in the first request",
    });
  }
} else if (moduleEnv?.GATEWAY_SEED !== undefined) {
  // Set but unusable (too short, not hex, or a number in wrangler's
  // configuration): say so, without the value, rather than start slowly
  // in silence.
  logError("gateway: GATEWAY_SEED is not at least 32 bytes in hex; Go starts in the first request of each isolate", {
    seed_type: typeof moduleEnv.GATEWAY_SEED,
  });
}

// Fields that describe one connection (RFC 9110 section 7.6.1); the
// origin's Connection field may name more.
const HOP_BY_HOP = [
  "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
  "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
  "http2-settings",
];

// stripHopByHop removes from headers the hop-by-hop fields and those its
// Connection field names, as the native ReverseProxy does.
function stripHopByHop(headers) {
  const named = headers.get("connection");
  if (named) {
    for (const name of named.split(",")) {
      const n = name.trim();
      if (n) headers.delete(n);
    }
  }
  for (const h of HOP_BY_HOP) headers.delete(h);
}

// jsonResponse answers the JSON body with the header fields pairs
// ([name, value]: the core's), the fields every JSON answer carries, and
// then the fields of set.
function jsonResponse(status, body, pairs, ...set) {
  const headers = new Headers(pairs);
  headers.set("content-type", "application/json");
  headers.set("cache-control", "no-store");
  headers.set("x-content-type-options", "nosniff");
  for (const [k, v] of set) headers.set(k, v);
  return new Response(body, { status, headers });
}

// errorResponse answers the glue's own JSON error.
function errorResponse(status, code, message, requestID, pairs) {
  const body = JSON.stringify({ error: { code, message, request_id: requestID } }) + "\n";
  return jsonResponse(status, body, pairs, ["x-request-id", requestID]);
}

// splitURL takes the path and query from the URL string as received,
// without URL parsing, which would resolve dot segments the core must see.
function splitURL(raw) {
  const scheme = raw.slice(0, raw.indexOf(":"));
  const afterScheme = raw.indexOf("//") + 2;
  let slash = raw.indexOf("/", afterScheme);
  if (slash < 0) slash = raw.length;
  const host = raw.slice(afterScheme, slash);
  let rest = raw.slice(slash) || "/";
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  return {
    scheme, host,
    path: q < 0 ? rest : rest.slice(0, q),
    query: q < 0 ? "" : rest.slice(q + 1),
  };
}

// originBase returns ORIGIN without its trailing slashes, worked out once
// per value rather than per request.
let originSeen, originTrimmed;
function originBase(origin) {
  if (origin !== originSeen) {
    let end = origin.length;
    while (end > 0 && origin[end - 1] === "/") end--;
    originTrimmed = origin.slice(0, end);
    originSeen = origin;
  }
  return originTrimmed;
}

// readLimited reads a body of unknown length into memory, up to max bytes;
// it returns null when the body is longer. Bodies with a Content-Length
// are streamed instead: the core has checked the length, and the runtime
// holds the body to it.
async function readLimited(body, max) {
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

// decide runs the Go core on a request, answering the bindings it asks
// for: the token record from KV, the limiter decision from the key's
// Durable Object. Steps are strings (see cmd/gatewayworker): "T" id NUL
// token-id, "L" id NUL key NUL rate NUL period NUL burst, "R" result JSON,
// "E" error.
async function decide(reqStr, env) {
  let step = core.start(reqStr, 0);
  for (;;) {
    const kind = step[0];
    if (kind === "R") return JSON.parse(step.slice(1));
    if (kind !== "T" && kind !== "L") throw new Error("gateway core: " + step.slice(1));
    const f = step.slice(1).split("\0");
    let value = null, error;
    try {
      if (kind === "T") {
        value = await env.TOKENS.get(f[1]);
      } else {
        const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(f[1]));
        value = await stub.limit(f[1], f[2], f[3], f[4]);
      }
    } catch (e) {
      error = String(e);
    }
    step = core.resume(Number(f[0]), value, error);
  }
}

export default {
  // fetch answers every request, whatever happens in the glue: an
  // exception anywhere below is a JSON 500 (no stack) with one error record
  // and the request's access record (see serve).
  async fetch(request, env, ctx) {
    const start = Date.now();
    const state = { res: null, logged: false };
    try {
      return await serve(request, env, ctx, start, state);
    } catch (e) {
      const requestID = state.res?.request_id ?? crypto.randomUUID();
      if (started && goRuntime.exited) {
        // The runtime died (a fatal error: Go cannot recover from them):
        // the next request starts a fresh one, as after a failed start.
        started = false;
        logError("gateway: internal error; the Go runtime exited, the next request starts it again", {
          request_id: requestID, error: String(e),
        });
      } else {
        logError("gateway: internal error", { request_id: requestID, error: String(e) });
        if (state.res && !state.logged) {
          state.logged = true;
          core.done(state.res.id, 500, Date.now() - start, "internal_error");
        }
      }
      return errorResponse(500, "internal_error", "gateway error", requestID, state.res?.header ?? []);
    }
  },
};

// serve decides the request in Go and answers it: the core's refusal, or
// the origin's response. state.res is the core's result once there is one,
// state.logged whether its access record is written (rampartDone).
async function serve(request, env, ctx, start, state) {
  if (typeof env.ORIGIN !== "string" || !env.ORIGIN || !env.TOKENS || !env.RATE_LIMITER) {
    // rampart gateway check catches this before a deploy. (A var written
    // as a number in wrangler's configuration reaches the Worker as one.)
    const requestID = crypto.randomUUID();
    logError("gateway: ORIGIN (a URL string), TOKENS or RATE_LIMITER binding missing", {
      request_id: requestID, origin_type: typeof env.ORIGIN,
    });
    return errorResponse(500, "internal_error", "gateway misconfigured", requestID, []);
  }
  try {
    startInRequest(env.GATEWAY_CONFIG);
  } catch (e) {
    const requestID = crypto.randomUUID();
    logError("gateway: not started", { request_id: requestID, error: String(e) });
    return errorResponse(503, "unavailable", "gateway unavailable", requestID, [["retry-after", "60"]]);
  }
  const done = (status, code, cause, bytesSent) => {
    state.logged = true;
    core.done(state.res.id, status, Date.now() - start, code, cause, bytesSent);
  };
  const u = splitURL(request.url);
  const length = request.headers.get("content-length");
  // The request as NUL-separated fields: method, path, query, host,
  // scheme, the client's HTTP version as Cloudflare's edge saw it (a
  // fixed "HTTP/1.1" under Miniflare), address, declared length, then
  // name and value of each header.
  const fields = [
    request.method, u.path, u.query, u.host, u.scheme, request.cf?.httpProtocol ?? "",
    request.headers.get("cf-connecting-ip") ?? "", length === null ? "-1" : length,
  ];
  for (const [k, v] of request.headers) fields.push(k, v);
  const res = state.res = await decide(fields.join("\0"), env);

  if (res.status) {
    // The core's refusal: its body and fields (x-request-id among them).
    const out = res.close
      ? jsonResponse(res.status, res.body, res.header, ["connection", "close"])
      : jsonResponse(res.status, res.body, res.header);
    done(res.status);
    return out;
  }

  const f = res.forward;
  const target = originBase(env.ORIGIN) + f.path + (f.query ? "?" + f.query : "");
  let body;
  if (request.body !== null && f.method !== "GET" && f.method !== "HEAD") {
    body = request.body;
    if (length === null) {
      try {
        body = await readLimited(request.body, res.max_body);
      } catch (e) {
        // The client's body broke off (it went away): log the request
        // as natively (499), or its record would never be written.
        done(499, "upstream_error");
        return errorResponse(499, "upstream_error", "client went away", res.request_id, res.header);
      }
      if (body === null) {
        done(413, "body_too_large");
        return errorResponse(413, "body_too_large", "request body too large", res.request_id, res.header);
      }
    }
  }
  // The deadline covers the origin call up to its answer's header; the
  // body then streams for as long as it takes (AbortSignal.timeout would
  // cut it off too).
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException("origin did not answer in time", "TimeoutError")), res.timeout_ms);
  let upstream;
  try {
    upstream = await fetch(target, {
      method: f.method,
      headers: f.header,
      body,
      redirect: "manual",
      signal: deadline.signal,
    });
  } catch (e) {
    let status = 502, code = "upstream_error", message = "origin unreachable";
    if (e && (e.name === "TimeoutError" || e.name === "AbortError")) {
      status = 504; code = "upstream_timeout"; message = "origin did not answer in time";
    }
    done(status, code);
    return errorResponse(status, code, message, res.request_id, res.header);
  } finally {
    clearTimeout(timer);
  }
  const headers = new Headers(upstream.headers);
  stripHopByHop(headers);
  for (const [k, v] of res.header) headers.set(k, v);
  const init = { status: upstream.status, statusText: upstream.statusText, headers };
  if (upstream.body === null) {
    done(upstream.status);
    return new Response(null, init);
  }
  // The access record waits for the body, piped through the runtime's own
  // stream: the pipe tells whether the body ended, or the client went
  // away (the runtime cancels the stream) or the origin broke off. It does
  // not tell how many bytes went out: counting them would put a JavaScript
  // transform in the path of every chunk of every response.
  const pipe = new IdentityTransformStream();
  ctx.waitUntil(upstream.body.pipeTo(pipe.writable).then(
    () => done(upstream.status),
    (e) => done(upstream.status, "response_truncated", String(e)),
  ).catch((e) => logError("gateway: internal error", { request_id: res.request_id, error: String(e) })));
  return new Response(pipe.readable, init);
}

// RateLimiter is the Durable Object that keeps one rate-limit key's state:
// the GCRA theoretical arrival time, in its SQLite storage. Its decision is
// the Go core's (rampartGCRA). The Worker makes one object per key
// (idFromName(key)), so keys never contend, and an object runs one call at a
// time, so the read-decide-write below is never interleaved.
// CLEANUP_MS is the least time between two clean-ups of one object.
const CLEANUP_MS = 60_000;

export class RateLimiter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.alarmSet = false;
    this.sql.exec("CREATE TABLE IF NOT EXISTS gcra (key TEXT PRIMARY KEY, tat TEXT NOT NULL)");
  }

  // limit applies one request for key under the limit rate per period
  // (nanoseconds) with burst, all decimal strings, and returns the Go
  // core's decision string (see cmd/gatewayworker, rampartGCRA).
  async limit(key, rate, period, burst) {
    startInRequest(this.env.GATEWAY_CONFIG);
    // No await from here on: read, decide and write are one step.
    const row = this.sql.exec("SELECT tat FROM gcra WHERE key = ?", key).toArray()[0];
    const now = (BigInt(Date.now()) * 1000000n).toString();
    const out = core.gcra(rate, period, burst, row ? row.tat : "0", now);
    if (out[0] === "E") throw new Error(out.slice(1));
    const cut = out.indexOf("\0");
    const tat = out.slice(0, cut), decision = out.slice(cut + 1);
    if (decision[0] === "1") {
      this.sql.exec(
        "INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
        key, tat,
      );
      // Once the bucket is full again the state equals a new key's; an
      // alarm drops it then, at most once a minute per object.
      if (!this.alarmSet) {
        this.alarmSet = true;
        this.ctx.storage.setAlarm(Math.max(Number(BigInt(tat) / 1000000n), Date.now() + CLEANUP_MS));
      }
    }
    return decision;
  }

  // alarm forgets keys whose bucket is full again, and comes back later
  // for the others. (Not deleteAll: this instance may live on and its table
  // must stay.)
  async alarm() {
    const now = BigInt(Date.now()) * 1000000n;
    let next = 0n;
    for (const row of this.sql.exec("SELECT key, tat FROM gcra").toArray()) {
      const tat = BigInt(row.tat);
      if (tat <= now) {
        this.sql.exec("DELETE FROM gcra WHERE key = ?", row.key);
      } else if (tat > next) {
        next = tat;
      }
    }
    this.alarmSet = next > 0n;
    if (this.alarmSet) {
      this.ctx.storage.setAlarm(Math.max(Number(next / 1000000n), Date.now() + CLEANUP_MS));
    }
  }
}
