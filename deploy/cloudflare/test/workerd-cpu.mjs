// Measures the CPU the gateway Worker costs inside workerd, as the workerd
// process's CPU time (all its threads, from /proc/PID/task/*/schedstat, in
// nanoseconds), against trivial JavaScript Workers in the same Miniflare
// setup:
//
//   trivial          fetch(ORIGIN + path): no storage
//   trivial-storage  the same plus what the gateway's bindings do per token
//                    request: a KV get (remembered for a second, as the
//                    gateway's token cache does) and a call to a Durable
//                    Object that reads and writes one SQLite row (and, once
//                    per object, sets its clean-up alarm)
//                    (Miniflare's simulated storage runs in the workerd
//                    process too)
//   gateway          the Worker on a token route: KV, Durable Object, origin
//   gateway-public   the Worker on a public route with no limit: no storage
//
// so that gateway - trivial-storage and gateway-public - trivial are what the
// Go core and its glue add per request, with storage measured separately
// (trivial-storage - trivial). Each scenario runs in a fresh workerd: the
// first request after it is ready is the first request of a fresh isolate
// (module scope, where the gateway starts Go when GATEWAY_SEED is set, runs
// when workerd loads the Worker, before any request). Scenarios are
// interleaved, rounds times.
//
//   node test/workerd-cpu.mjs DIST HARNESS_OPTIONS_JSON [REQUESTS] [ROUNDS]
//
// HARNESS_OPTIONS_JSON is what serve.mjs takes (compatibility date,
// bindings). Prints one JSON object: per round and scenario, the first
// request's CPU (ms; also of workerd's main thread alone, where the
// isolates run), the next three requests' CPU, the steady CPU per request
// (µs, over REQUESTS sequential requests after a warm-up; also of the main
// thread) and the start-up CPU (ms, from spawning workerd to ready, which
// includes the Worker's module scope; also of the main thread, where the
// module scope runs: V8 optimises code on other threads); plus the
// machine's load average.
// Environment: RAMPART_SCENARIOS (comma-separated, to run fewer; a gateway
// scenario written NAME@DIR runs the bundle in DIR instead, e.g. one that
// build.sh built from another commit, so that two builds are compared in
// the same interleaved rounds: RAMPART_SCENARIOS=gateway-public,
// gateway-public@/tmp/old),
// RAMPART_SETTLE_MS (the pause before the first request, default 2000),
// RAMPART_WORKER_NO_SEED=1 (no GATEWAY_SEED: Go starts in the first
// request), RAMPART_DEBUG=1 (workerd's output on stderr).
import { Miniflare, Log, LogLevel } from "miniflare";
import http from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";

const [dist, optsJSON, nArg, roundsArg] = process.argv.slice(2);
const opts = JSON.parse(optsJSON);
const n = Number(nArg ?? 300);
const rounds = Number(roundsArg ?? 3);
const seedArg = process.env.RAMPART_WORKER_NO_SEED ? null : randomBytes(32).toString("hex");

const origin = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => res.end("ok"));
});
await new Promise((r) => origin.listen(0, "127.0.0.1", r));
const originURL = `http://127.0.0.1:${origin.address().port}`;

const tokenID = "0123456789abcdef";
const token = `rpt_${tokenID}_` + randomBytes(32).toString("base64url");
const record = JSON.stringify({
  id: tokenID, hash: createHash("sha256").update(token).digest("hex"), tenant: "bench", scopes: ["*"],
  rate: 1000000, period: "1s", burst: 1000000,
  created_at: new Date().toISOString(), expires_at: "0001-01-01T00:00:00Z", revoked: false,
});

// The trivial Workers. The storage one's Durable Object does what the
// gateway's does per request, in JavaScript: read the key's row, decide,
// write it back.
const trivial = `export default { async fetch(req, env) {
  return fetch(env.ORIGIN + new URL(req.url).pathname);
} };`;
const trivialStorage = `import { DurableObject } from "cloudflare:workers";
const cache = new Map(); // token id -> [record, expiry]: for a second, as the gateway's cache
export default { async fetch(req, env) {
  const id = req.headers.get("authorization").split("_")[1];
  let hit = cache.get(id);
  if (!hit || hit[1] <= Date.now()) {
    hit = [await env.TOKENS.get(id), Date.now() + 1000];
    cache.set(id, hit);
  }
  const rec = hit[0];
  if (!rec) return new Response("unknown", { status: 401 });
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("tok:" + id));
  const d = JSON.parse(await stub.limit("tok:" + id, '{"rate":1000000,"period":"1s","burst":1000000}'));
  if (!d.allowed) return new Response("limited", { status: 429 });
  return fetch(env.ORIGIN + new URL(req.url).pathname);
} };
export class RateLimiter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.alarmSet = false;
    this.sql.exec("CREATE TABLE IF NOT EXISTS gcra (key TEXT PRIMARY KEY, tat TEXT NOT NULL)");
  }
  async alarm() {}
  async limit(key, limit) {
    const row = this.sql.exec("SELECT tat FROM gcra WHERE key = ?", key).toArray()[0];
    const now = BigInt(Date.now()) * 1000000n;
    const tat = (row ? BigInt(row.tat) : 0n) > now ? BigInt(row.tat) : now;
    this.sql.exec("INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat", key, String(tat + 1000n));
    if (!this.alarmSet) { // the clean-up alarm, set once per object as the gateway's
      this.alarmSet = true;
      this.ctx.storage.setAlarm(Date.now() + 60_000);
    }
    return JSON.stringify({ allowed: true, limit: 1000000, remaining: 999999 });
  }
}`;

const durableObjects = {};
for (const [binding, className] of Object.entries(opts.durable_objects ?? {})) {
  durableObjects[binding] = { className, useSQLite: (opts.sqlite_classes ?? []).includes(className) };
}
const gatewayConfig = JSON.stringify({
  routes: [{ name: "public", prefix: "/public", public: true }, { name: "api", prefix: "/" }],
});

function miniflareOptions(scenario, bundle) {
  const base = {
    host: "127.0.0.1", port: 0, cf: false, log: new Log(LogLevel.WARN),
    compatibilityDate: opts.compatibility_date,
    // Read workerd's output (the access log) and drop it: a pipe nobody
    // reads fills after a few hundred lines and then blocks workerd.
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) {
        if (process.env.RAMPART_DEBUG) s.pipe(process.stderr);
        else s.resume();
      }
    },
  };
  if (scenario.startsWith("trivial")) {
    return {
      ...base, modules: true, script: scenario === "trivial" ? trivial : trivialStorage,
      bindings: { ORIGIN: originURL },
      ...(scenario === "trivial" ? {} : { kvNamespaces: opts.kv_namespaces, durableObjects }),
    };
  }
  const bindings = { ...(opts.vars ?? {}), ORIGIN: originURL, GATEWAY_CONFIG: gatewayConfig };
  if (seedArg) bindings.GATEWAY_SEED = seedArg;
  else delete bindings.GATEWAY_SEED;
  return {
    ...base, modules: true, scriptPath: join(bundle, "worker.mjs"), modulesRoot: bundle,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: false }],
    kvNamespaces: opts.kv_namespaces, durableObjects, bindings,
  };
}

// workerdPids returns the workerd processes below this one.
function workerdPids() {
  const parent = new Map();
  const comm = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      comm.set(d, stat.slice(stat.indexOf("(") + 1, close));
      parent.set(d, stat.slice(close + 2).split(" ")[1]);
    } catch { /* gone */ }
  }
  const mine = (pid) => {
    for (let p = pid; p && p !== "0" && p !== "1"; p = parent.get(p)) {
      if (p === String(process.pid)) return true;
    }
    return false;
  };
  return [...comm.keys()].filter((p) => comm.get(p) === "workerd" && mine(p));
}

// cpuNs returns the CPU time of the processes' threads so far; with
// mainOnly, of their main threads only (workerd runs the isolates' event
// loop there; V8's background compilation and GC helpers run on others).
function cpuNs(pids, mainOnly) {
  let ns = 0;
  for (const pid of pids) {
    for (const tid of mainOnly ? [pid] : readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch { /* thread ended */ }
    }
  }
  return ns;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(name) {
  const at = name.indexOf("@");
  const scenario = at < 0 ? name : name.slice(0, at);
  const bundle = at < 0 ? dist : name.slice(at + 1);
  if (process.env.RAMPART_DEBUG) console.error("scenario", scenario);
  const pidsBefore = new Set(workerdPids());
  const mf = new Miniflare(miniflareOptions(scenario, bundle));
  const url = await mf.ready;
  if (scenario !== "trivial") {
    await (await mf.getKVNamespace(opts.kv_namespaces[0])).put(tokenID, record);
  }
  const pids = workerdPids().filter((p) => !pidsBefore.has(p));
  if (pids.length === 0) throw new Error("no workerd process found");
  const startNs = cpuNs(pids);
  const startMainNs = cpuNs(pids, true);
  await sleep(Number(process.env.RAMPART_SETTLE_MS ?? 2000)); // let workerd's background threads settle
  const path = scenario === "gateway-public" ? "/public/bench" : "/api/bench";
  let sent = 0;
  const request = async () => {
    sent++;
    const res = await fetch(new URL(path, url), {
      headers: { authorization: "Bearer " + token }, signal: AbortSignal.timeout(30_000),
    }).catch((e) => { throw new Error(`${scenario}: request ${sent}: ${e}`); });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${scenario}: status ${res.status}`);
  };
  let c0 = cpuNs(pids);
  let m0 = cpuNs(pids, true);
  await request();
  const firstMs = (cpuNs(pids) - c0) / 1e6;
  const firstMainMs = (cpuNs(pids, true) - m0) / 1e6;
  const next = [];
  for (let i = 0; i < 3; i++) {
    c0 = cpuNs(pids);
    await request();
    next.push(Math.round((cpuNs(pids) - c0) / 1e4) / 100);
  }
  for (let i = 0; i < 100; i++) await request(); // warm up
  c0 = cpuNs(pids);
  m0 = cpuNs(pids, true);
  for (let i = 0; i < n; i++) await request();
  const steadyUs = (cpuNs(pids) - c0) / 1e3 / n;
  const steadyMainUs = (cpuNs(pids, true) - m0) / 1e3 / n;
  await mf.dispose();
  return {
    first_request_cpu_ms: firstMs, first_request_main_thread_ms: firstMainMs, next_requests_cpu_ms: next,
    cpu_us_per_request: steadyUs, main_thread_us_per_request: steadyMainUs, startup_cpu_ms: startNs / 1e6, startup_main_thread_ms: startMainNs / 1e6,
  };
}

const scenarios = (process.env.RAMPART_SCENARIOS ?? "trivial,gateway,trivial-storage,gateway-public").split(",");
const out = { requests: n, seeded: !!seedArg, load_before: loadavg(), rounds: [] };
for (let r = 0; r < rounds; r++) {
  const round = {};
  for (const s of r % 2 ? [...scenarios].reverse() : scenarios) round[s] = await run(s);
  const diff = (a, b, field) => (round[a] && round[b] ? round[a][field] - round[b][field] : undefined);
  round.added_us_per_request = diff("gateway", "trivial-storage", "cpu_us_per_request");
  round.added_public_us_per_request = diff("gateway-public", "trivial", "cpu_us_per_request");
  round.storage_us_per_request = diff("trivial-storage", "trivial", "cpu_us_per_request");
  round.first_request_added_ms = diff("gateway", "trivial-storage", "first_request_cpu_ms");
  round.first_request_added_public_ms = diff("gateway-public", "trivial", "first_request_cpu_ms");
  out.rounds.push(round);
}
out.load_after = loadavg();
origin.close();
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
