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
import { DurableObject } from "cloudflare:workers";

// The Go runtime, started once per isolate on first use: workerd forbids
// random numbers and timers at module scope, which the Go runtime needs.
let started;

function startGo() {
  if (!started) {
    started = (async () => {
      const go = new globalThis.Go();
      const instance = await WebAssembly.instantiate(wasm, go.importObject);
      go.run(instance); // runs main until it blocks; never settles
      if (typeof globalThis.rampartStart !== "function") {
        throw new Error("gateway.wasm did not register rampartStart");
      }
    })();
    started.catch(() => {
      started = undefined;
    });
  }
  return started;
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
// Durable Object.
async function decide(req, env) {
  let step = JSON.parse(globalThis.rampartStart(JSON.stringify(req), env.GATEWAY_CONFIG ?? ""));
  while (!step.result) {
    if (step.error) throw new Error("gateway core: " + step.error);
    let value = null, error;
    try {
      if (step.need === "token") {
        value = await env.TOKENS.get(step.token_id);
      } else if (step.need === "limit") {
        const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(step.key));
        value = await stub.limit(step.key, step.limit);
      } else {
        error = "unknown need " + step.need;
      }
    } catch (e) {
      error = String(e);
    }
    step = JSON.parse(globalThis.rampartResume(step.id, value, error));
  }
  return step.result;
}

export default {
  async fetch(request, env) {
    const start = Date.now();
    if (!env.ORIGIN || !env.TOKENS || !env.RATE_LIMITER) {
      // rampart gateway check catches this before a deploy.
      console.error(JSON.stringify({ level: "ERROR", msg: "gateway: ORIGIN, TOKENS or RATE_LIMITER binding missing" }));
      return errorResponse(500, "internal_error", "gateway misconfigured", crypto.randomUUID(), []);
    }
    await startGo();
    const u = splitURL(request.url);
    const headers = [];
    for (const [k, v] of request.headers) headers.push([k, v]);
    const length = request.headers.get("content-length");
    const req = {
      method: request.method, path: u.path, query: u.query, host: u.host, scheme: u.scheme,
      // The client's HTTP version as Cloudflare's edge saw it (a fixed
      // "HTTP/1.1" under Miniflare).
      proto: request.cf?.httpProtocol ?? "",
      headers,
      remote: request.headers.get("cf-connecting-ip") ?? "",
      content_length: length === null ? -1 : Number(length),
    };
    let res;
    try {
      res = await decide(req, env);
    } catch (e) {
      console.error(JSON.stringify({ level: "ERROR", msg: "gateway: " + String(e) }));
      return errorResponse(500, "internal_error", "gateway error", crypto.randomUUID(), []);
    }
    const extra = [];
    for (const [k, vs] of Object.entries(res.header)) for (const v of vs) extra.push([k, v]);

    if (res.status) {
      const out = new Response(res.body, { status: res.status, headers: extra });
      out.headers.set("content-type", "application/json");
      out.headers.set("cache-control", "no-store");
      out.headers.set("x-content-type-options", "nosniff");
      if (res.close) out.headers.set("connection", "close");
      globalThis.rampartDone(res.request_id, res.status, Date.now() - start);
      return out;
    }

    const f = res.forward;
    const fwdHeaders = new Headers();
    for (const [k, vs] of Object.entries(f.header)) for (const v of vs) fwdHeaders.append(k, v);
    const origin = env.ORIGIN.replace(/\/+$/, "");
    const target = origin + f.path + (f.query ? "?" + f.query : "");
    let body;
    if (request.body !== null && f.method !== "GET" && f.method !== "HEAD") {
      body = request.body;
      if (length === null) {
        body = await readLimited(request.body, res.max_body);
        if (body === null) {
          globalThis.rampartDone(res.request_id, 413, Date.now() - start, "body_too_large");
          return errorResponse(413, "body_too_large", "request body too large", res.request_id, extra);
        }
      }
    }
    let upstream;
    try {
      upstream = await fetch(target, {
        method: f.method,
        headers: fwdHeaders,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(res.timeout_ms),
      });
    } catch (e) {
      let status = 502, code = "upstream_error", message = "origin unreachable";
      if (e && (e.name === "TimeoutError" || e.name === "AbortError")) {
        status = 504; code = "upstream_timeout"; message = "origin did not answer in time";
      }
      globalThis.rampartDone(res.request_id, status, Date.now() - start, code);
      return errorResponse(status, code, message, res.request_id, extra);
    }
    const out = new Response(upstream.body, upstream);
    stripHopByHop(out.headers);
    for (const [k, v] of extra) out.headers.set(k, v);
    globalThis.rampartDone(res.request_id, out.status, Date.now() - start);
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

  // limit applies one request for key under limit (JSON {rate, period,
  // burst}) and returns the decision as JSON.
  async limit(key, limit) {
    await startGo();
    // No await from here on: read, decide and write are one step.
    const row = this.sql.exec("SELECT tat FROM gcra WHERE key = ?", key).toArray()[0];
    const now = (BigInt(Date.now()) * 1000000n).toString();
    const out = JSON.parse(globalThis.rampartGCRA(limit, row ? row.tat : "0", now));
    if (out.decision.allowed) {
      this.sql.exec(
        "INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
        key, out.tat,
      );
      // Once the bucket is full again the state equals a new key's; an
      // alarm drops it then, at most once a minute per object.
      if (!this.alarmSet) {
        this.alarmSet = true;
        this.ctx.storage.setAlarm(Math.max(Number(BigInt(out.tat) / 1000000n), Date.now() + CLEANUP_MS));
      }
    }
    return JSON.stringify(out.decision);
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
