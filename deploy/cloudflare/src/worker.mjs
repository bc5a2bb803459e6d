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
// other random choices. Request ids do not use it: they come from a
// generator the first request seeds with crypto.getRandomValues, so every
// isolate makes its own. Without GATEWAY_SEED the runtime starts on the
// first request, as secure but that request pays the start.
let started; // the Go runtime, once started
let startError;

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
function startGo(fill, config) {
  if (started) return started;
  if (startError) throw startError;
  const go = new globalThis.Go();
  const gojs = go.importObject.gojs;
  const getRandomData = gojs["runtime.getRandomData"];
  let seeding = !!fill;
  gojs["runtime.getRandomData"] = (sp) => {
    if (!seeding) return getRandomData(sp);
    sp >>>= 0;
    const addr = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    const len = go.mem.getUint32(sp + 16, true) + go.mem.getInt32(sp + 20, true) * 4294967296;
    fill(new Uint8Array(go._inst.exports.mem.buffer, addr, len));
  };
  // Timers cannot be set at module scope either; the runtime sets none
  // while it starts, and any it asks for then would wait for a request.
  try {
    const instance = new WebAssembly.Instance(wasm, go.importObject);
    go.run(instance); // runs main until it blocks; the promise never settles
    seeding = false;
    if (typeof globalThis.rampartStart !== "function") {
      throw new Error("gateway.wasm did not register rampartStart");
    }
    const err = globalThis.rampartConfigure(config ?? "");
    if (err) throw new Error("GATEWAY_CONFIG: " + err);
    if (fill) warmUp();
  } catch (e) {
    startError = e;
    throw e;
  }
  started = true;
  return started;
}

// warmUp runs the warm-up requests of rampartWarmup through the core at
// module scope, with the bindings answered in place: V8 compiles each
// WebAssembly function on its first call, and the first request would
// otherwise pay for compiling its whole path (see cmd/gatewayworker).
function warmUp() {
  const [record, ...requests] = globalThis.rampartWarmup();
  const recordID = JSON.parse(record).id;
  for (const req of requests) {
    let step = globalThis.rampartStart(req, true);
    while (step[0] === "T" || step[0] === "L") {
      const f = step.slice(1).split("\0");
      let value;
      if (step[0] === "T") {
        value = f[1] === recordID ? record : null;
      } else {
        const out = globalThis.rampartGCRA(f[2], f[3], f[4], "0", "1700000000000000000");
        value = out.slice(out.indexOf("\0") + 1);
      }
      step = globalThis.rampartResume(Number(f[0]), value);
    }
    if (step[0] !== "R") throw new Error("warm-up: " + step.slice(1));
    globalThis.rampartDone(JSON.parse(step.slice(1)).id, 200, 0);
  }
  // Collect the start's garbage now rather than in the first request.
  globalThis.rampartCollect();
}

// At module scope: start now if the seed is there.
const moduleSeed = seedSource(moduleEnv?.GATEWAY_SEED);
if (moduleSeed) {
  try {
    startGo(moduleSeed, moduleEnv.GATEWAY_CONFIG);
  } catch (e) {
    // Reported by every request (500), and logged here once.
    console.error(JSON.stringify({ level: "ERROR", msg: "gateway: start at module scope failed: " + String(e) }));
  }
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

function errorResponse(status, code, message, requestID, extra) {
  const headers = new Headers(extra);
  headers.set("content-type", "application/json");
  headers.set("cache-control", "no-store");
  headers.set("x-content-type-options", "nosniff");
  headers.set("x-request-id", requestID);
  const body = JSON.stringify({ error: { code, message, request_id: requestID } }) + "\n";
  return new Response(body, { status, headers });
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
  let step = globalThis.rampartStart(reqStr);
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
    step = globalThis.rampartResume(Number(f[0]), value, error);
  }
}

export default {
  async fetch(request, env) {
    const start = Date.now();
    if (!env.ORIGIN || !env.TOKENS || !env.RATE_LIMITER) {
      // rampart gateway check catches this before a deploy.
      console.error(JSON.stringify({ level: "ERROR", msg: "gateway: ORIGIN, TOKENS or RATE_LIMITER binding missing" }));
      return errorResponse(500, "internal_error", "gateway misconfigured", crypto.randomUUID(), []);
    }
    try {
      startGo(null, env.GATEWAY_CONFIG);
    } catch (e) {
      console.error(JSON.stringify({ level: "ERROR", msg: "gateway: " + String(e) }));
      return errorResponse(500, "internal_error", "gateway error", crypto.randomUUID(), []);
    }
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
    let res;
    try {
      res = await decide(fields.join("\0"), env);
    } catch (e) {
      console.error(JSON.stringify({ level: "ERROR", msg: "gateway: " + String(e) }));
      return errorResponse(500, "internal_error", "gateway error", crypto.randomUUID(), []);
    }

    if (res.status) {
      const out = new Response(res.body, { status: res.status, headers: res.header });
      out.headers.set("content-type", "application/json");
      out.headers.set("cache-control", "no-store");
      out.headers.set("x-content-type-options", "nosniff");
      if (res.close) out.headers.set("connection", "close");
      globalThis.rampartDone(res.id, res.status, Date.now() - start);
      return out;
    }

    const f = res.forward;
    const origin = env.ORIGIN.replace(/\/+$/, "");
    const target = origin + f.path + (f.query ? "?" + f.query : "");
    let body;
    if (request.body !== null && f.method !== "GET" && f.method !== "HEAD") {
      body = request.body;
      if (length === null) {
        try {
          body = await readLimited(request.body, res.max_body);
        } catch (e) {
          // The client's body broke off (it went away): log the request
          // as natively (499), or its record would never be written.
          globalThis.rampartDone(res.id, 499, Date.now() - start, "upstream_error");
          return errorResponse(499, "upstream_error", "client went away", res.request_id, res.header);
        }
        if (body === null) {
          globalThis.rampartDone(res.id, 413, Date.now() - start, "body_too_large");
          return errorResponse(413, "body_too_large", "request body too large", res.request_id, res.header);
        }
      }
    }
    let upstream;
    try {
      upstream = await fetch(target, {
        method: f.method,
        headers: f.header,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(res.timeout_ms),
      });
    } catch (e) {
      let status = 502, code = "upstream_error", message = "origin unreachable";
      if (e && (e.name === "TimeoutError" || e.name === "AbortError")) {
        status = 504; code = "upstream_timeout"; message = "origin did not answer in time";
      }
      globalThis.rampartDone(res.id, status, Date.now() - start, code);
      return errorResponse(status, code, message, res.request_id, res.header);
    }
    const out = new Response(upstream.body, upstream);
    stripHopByHop(out.headers);
    for (const [k, v] of res.header) out.headers.set(k, v);
    globalThis.rampartDone(res.id, out.status, Date.now() - start);
    return out;
  },
};

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
    startGo(null, this.env.GATEWAY_CONFIG);
    // No await from here on: read, decide and write are one step.
    const row = this.sql.exec("SELECT tat FROM gcra WHERE key = ?", key).toArray()[0];
    const now = (BigInt(Date.now()) * 1000000n).toString();
    const out = globalThis.rampartGCRA(rate, period, burst, row ? row.tat : "0", now);
    if (typeof out !== "string") throw out;
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
