// Serves the built Worker in workerd (through the Miniflare API), offline,
// for the Go tests (cmd/rampart and gateway tests drive it over HTTP).
//
// Input, from the environment:
//   RAMPART_WORKER_DIST     the bundle built by build.sh
//   RAMPART_WORKER_OPTIONS  JSON {compatibility_date, kv_namespaces: [name],
//                           durable_objects: {binding: class}, sqlite_classes:
//                           [class], vars: {name: value}}, read by the Go side
//                           from wrangler.toml
//   RAMPART_KV_SEED         optional file in wrangler's bulk format
//                           [{key, value}] to put into the first KV namespace
// Output: one line "RAMPART_READY {json}" on stdout with the URL and the
// start-up time, then the Worker's console output. Stops when stdin closes.
import { Miniflare, Log, LogLevel } from "miniflare";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const dist = process.env.RAMPART_WORKER_DIST;
const opts = JSON.parse(process.env.RAMPART_WORKER_OPTIONS);
const seedFile = process.env.RAMPART_KV_SEED;

const t0 = performance.now();
const durableObjects = {};
for (const [binding, className] of Object.entries(opts.durable_objects ?? {})) {
  durableObjects[binding] = { className, useSQLite: (opts.sqlite_classes ?? []).includes(className) };
}
const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  modules: true,
  scriptPath: join(dist, "worker.mjs"),
  modulesRoot: dist,
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: false }],
  compatibilityDate: opts.compatibility_date,
  kvNamespaces: opts.kv_namespaces ?? [],
  durableObjects,
  bindings: opts.vars ?? {},
  cf: false, // never fetch request.cf data from Cloudflare
  log: new Log(LogLevel.WARN),
});
const url = await mf.ready;
const ready_ms = performance.now() - t0;

if (seedFile && (opts.kv_namespaces ?? []).length > 0) {
  const kv = await mf.getKVNamespace(opts.kv_namespaces[0]);
  for (const { key, value } of JSON.parse(readFileSync(seedFile, "utf8"))) {
    await kv.put(key, value);
  }
}

process.stdout.write("RAMPART_READY " + JSON.stringify({ url: url.href, ready_ms }) + "\n");

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await mf.dispose();
  process.exit(0);
}
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.on("SIGTERM", stop);
process.stdin.resume();
