// Profiles the gateway Worker inside workerd with V8's sampling profiler,
// through the inspector (Miniflare's inspectorPort), over N requests:
//
//   cpu_us_per_request  the isolate's non-idle samples per request. An upper
//                       bound: workerd does not mark the isolate idle while
//                       it waits for I/O, so some waiting counts as busy
//                       ("(program)", "fetch").
//   go_us_per_request   samples in the Go WebAssembly code per request: the
//                       core's own CPU, a lower bound for the request.
//
// The Durable Object runs in the same isolate locally, so its GCRA call and
// storage work are included; the origin is a local Node server.
//
//   node test/cpuprofile.mjs DIST WRANGLER_OPTIONS_JSON [REQUESTS]
//
// WRANGLER_OPTIONS_JSON is what serve.mjs takes as RAMPART_WORKER_OPTIONS.
// Prints one JSON object.
import { Miniflare, Log, LogLevel } from "miniflare";
import WebSocket from "ws";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";

const [dist, optsJSON, nArg] = process.argv.slice(2);
const opts = JSON.parse(optsJSON);
const n = Number(nArg ?? 300);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const origin = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => res.end("ok"));
});
await new Promise((r) => origin.listen(0, "127.0.0.1", r));
const originURL = `http://127.0.0.1:${origin.address().port}`;

const token = "rpt_0123456789abcdef_" + randomBytes(32).toString("base64url");
const hash = createHash("sha256").update(token).digest("hex");
const record = JSON.stringify({
  id: "0123456789abcdef", hash, tenant: "bench", scopes: ["*"], rate: 1000000, period: "1s", burst: 1000000,
  created_at: new Date().toISOString(), expires_at: "0001-01-01T00:00:00Z", revoked: false,
});

const durableObjects = {};
for (const [binding, className] of Object.entries(opts.durable_objects ?? {})) {
  durableObjects[binding] = { className, useSQLite: (opts.sqlite_classes ?? []).includes(className) };
}
const inspectorPort = await freePort();
const mf = new Miniflare({
  host: "127.0.0.1", port: 0, inspectorPort,
  modules: true, scriptPath: join(dist, "worker.mjs"), modulesRoot: dist,
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: false }],
  compatibilityDate: opts.compatibility_date,
  kvNamespaces: opts.kv_namespaces ?? [], durableObjects,
  bindings: { ...(opts.vars ?? {}), ORIGIN: originURL, GATEWAY_CONFIG: '{"routes":[{"name":"api","prefix":"/"}]}' },
  cf: false, log: new Log(LogLevel.WARN),
  handleRuntimeStdio() {}, // drop the access log lines
});
const url = await mf.ready;
await (await mf.getKVNamespace(opts.kv_namespaces[0])).put("0123456789abcdef", record);

async function request() {
  const res = await fetch(new URL("/api/bench", url), { headers: { authorization: "Bearer " + token } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error("status " + res.status);
}
await request(); // starts the Go runtime in the isolate
for (let i = 0; i < 50; i++) await request();

const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
if (!targets.length) throw new Error("no inspector targets");
const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((r, e) => { ws.once("open", r); ws.once("error", e); });
let id = 0;
const pending = new Map();
ws.on("message", (m) => {
  const msg = JSON.parse(m);
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
const call = (method, params = {}) => new Promise((r) => {
  id++;
  pending.set(id, r);
  ws.send(JSON.stringify({ id, method, params }));
});

await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 1000 });
await call("Profiler.start");
const t0 = performance.now();
for (let i = 0; i < n; i++) await request();
const wall = performance.now() - t0;
const { result } = await call("Profiler.stop");
const p = result.profile;
const byId = new Map(p.nodes.map((x) => [x.id, x.callFrame.functionName]));
const isWasm = new Map(p.nodes.map((x) => [x.id, x.callFrame.url.startsWith("wasm://")]));
let inGo = 0;
let busy = 0, total = 0;
const self = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const dt = p.timeDeltas[i] ?? 0;
  total += dt;
  const name = byId.get(p.samples[i]);
  self.set(name, (self.get(name) ?? 0) + dt);
  if (name !== "(idle)") busy += dt;
  if (isWasm.get(p.samples[i])) inGo += dt;
}
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)
  .map(([name, us]) => [name || "(anonymous)", Math.round(us / n)]);
ws.close();
await mf.dispose();
origin.close();
process.stdout.write(JSON.stringify({
  target: targets[0].title ?? targets[0].id,
  requests: n,
  cpu_us_per_request: busy / n,
  go_us_per_request: inGo / n,
  profiled_us: total,
  wall_ms_per_request: wall / n,
  targets: targets.map((t) => t.title),
  top_us_per_request: top,
}) + "\n");
process.exit(0);
