// Spawns "rampart mcp" over stdio with the official TypeScript SDK, lists
// the tools and makes the calls given as JSON in argv[3]; prints one JSON
// document: {"server": ..., "tools": [...], "results": [...]}.
//
// usage: node client.mjs RAMPART_BINARY DATA_DIR '[{"name":"list_media","arguments":{}}]'
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [binary, dataDir, callsJSON] = process.argv.slice(2);
const transport = new StdioClientTransport({ command: binary, args: ["mcp", "--data", dataDir], stderr: "inherit" });
const client = new Client({ name: "rampart-e2e", version: "1.0.0" });
await client.connect(transport);
const { tools } = await client.listTools();
const results = [];
for (const call of JSON.parse(callsJSON || "[]")) {
  const res = await client.callTool({ name: call.name, arguments: call.arguments || {} });
  results.push({
    name: call.name,
    isError: res.isError === true,
    structured: res.structuredContent ?? null,
    text: (res.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n"),
  });
}
process.stdout.write(JSON.stringify({ server: client.getServerVersion(), tools: tools.map((t) => t.name), results }) + "\n");
await client.close();
