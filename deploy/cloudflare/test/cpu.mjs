// Measures the CPU cost of the gateway's Go core compiled to WebAssembly,
// in V8 under Node (the engine workerd embeds), with the bindings faked in
// process: KV is a Map and the limiter runs rampartGCRA on a local
// timestamp, as the Durable Object does. workerd itself does not expose
// per-request CPU time locally, so this isolates the part the gateway adds.
//
//   node test/cpu.mjs DIST [REQUESTS]
//
// Prints one JSON object: compile_ms, start_ms (instantiate + Go runtime
// start), first_request_ms, and cpu_us_per_request (process user+system
// CPU over REQUESTS sequential requests, divided by REQUESTS).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";

const dist = process.argv[2];
const n = Number(process.argv[3] ?? 2000);
await import(join(dist, "wasm_exec.js"));
console.log = () => {}; // the Go side still formats its access log; drop the printing

const bytes = readFileSync(join(dist, "gateway.wasm"));
let t = performance.now();
const mod = await WebAssembly.compile(bytes);
const compile_ms = performance.now() - t;

t = performance.now();
const go = new globalThis.Go();
const inst = await WebAssembly.instantiate(mod, go.importObject);
go.run(inst);
const start_ms = performance.now() - t;

const token = "rpt_benchbench_" + randomBytes(32).toString("base64url");
const hash = createHash("sha256").update(token).digest("hex");
const kv = new Map([["benchbench", JSON.stringify({
  id: "benchbench", hash, tenant: "bench", scopes: ["*"], rate: 1000000, period: "1s", burst: 1000000,
  created_at: new Date().toISOString(), expires_at: "0001-01-01T00:00:00Z", revoked: false,
})]]);
const tats = new Map();
// The same stepping as src/worker.mjs decide(), with the bindings in process.
async function decide(reqJSON, config) {
  let step = JSON.parse(globalThis.rampartStart(reqJSON, config));
  while (!step.result) {
    if (step.error) throw new Error(step.error);
    let value = null;
    if (step.need === "token") {
      value = await Promise.resolve(kv.get(step.token_id) ?? null);
    } else {
      const now = (BigInt(Date.now()) * 1000000n).toString();
      const out = JSON.parse(globalThis.rampartGCRA(step.limit, tats.get(step.key) ?? "0", now));
      if (out.decision.allowed) tats.set(step.key, out.tat);
      value = await Promise.resolve(JSON.stringify(out.decision));
    }
    step = JSON.parse(globalThis.rampartResume(step.id, value));
  }
  return step.result;
}
const config = JSON.stringify({ routes: [{ name: "api", prefix: "/", scope: "read" }] });
const req = JSON.stringify({
  method: "GET", path: "/api/items/42", query: "limit=5", host: "gw.example.com", scheme: "https",
  headers: [["authorization", "Bearer " + token], ["accept", "application/json"], ["user-agent", "bench"],
    ["x-forwarded-for", "203.0.113.7"], ["accept-encoding", "gzip"]],
  remote: "192.0.2.1", content_length: -1,
});

async function one() {
  const res = await decide(req, config);
  if (!res.forward) throw new Error("refused: " + res.body);
  globalThis.rampartDone(res.request_id, 200, 1);
}

t = performance.now();
await one();
const first_request_ms = performance.now() - t;
for (let i = 0; i < 200; i++) await one(); // warm up

const c0 = process.cpuUsage();
t = performance.now();
for (let i = 0; i < n; i++) await one();
const wall = performance.now() - t;
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({
  requests: n, compile_ms, start_ms, first_request_ms,
  cpu_us_per_request: (c.user + c.system) / n,
  wall_us_per_request: (wall * 1000) / n,
  wasm_bytes: bytes.length,
}) + "\n");
process.exit(0);
