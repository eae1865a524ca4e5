/**
 * @module The floor of the gateway benchmark, run as its own process: `UPSTREAM=<url> bun scripts/bench/bare-proxy.ts`
 * is a `Bun.serve` that forwards each request (method, path, headers, body) to the upstream with `fetch` and streams
 * the answer back, doing nothing else: no auth, no parsing, no records. What it adds over calling the upstream
 * directly is what any Bun gateway pays for the extra hop on this machine. Prints `listening on <url>`.
 */

const upstream = process.env.UPSTREAM;
if (!upstream) throw new Error("UPSTREAM must be the upstream's base URL");
const upstreamOrigin = new URL(upstream).origin;

const proxyServer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const answer = await fetch(upstreamOrigin + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
});

console.log(`listening on http://127.0.0.1:${proxyServer.port}`);
process.on("SIGTERM", () => {
  proxyServer.stop(true);
  process.exit(0);
});
