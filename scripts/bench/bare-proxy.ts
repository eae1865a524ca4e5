/**
 * @module The floors of the gateway benchmark, run as their own process:
 * `UPSTREAM=<url> bun scripts/bench/bare-proxy.ts` is a `Bun.serve` that forwards each request (method, path,
 * headers, body) to the upstream and streams the answer back, doing nothing else: no auth, no parsing, no records. It
 * forwards with `fetch`, or with `CLIENT=plain` with the hub's own keep-alive client for plain-http upstreams
 * (`src/server/providers/plain-http.ts`). What it adds over calling the upstream directly is what a Bun gateway pays
 * for the extra hop alone on this machine, with either client. Prints `listening on <url>`.
 */
import { PlainHttpPool } from "../../src/server/providers/plain-http";

const upstream = process.env.UPSTREAM;
if (!upstream) throw new Error("UPSTREAM must be the upstream's base URL");
const upstreamOrigin = new URL(upstream).origin;
const plainHttp = process.env.CLIENT === "plain" ? new PlainHttpPool() : undefined;

/** Forwards one request with the hub's client (it sets host and length); reads the body first, as the hub does. */
async function forwardPlain(pool: PlainHttpPool, request: Request, target: string): Promise<Response> {
  return pool.request({
    url: new URL(target),
    method: request.method,
    headers: Object.fromEntries(request.headers),
    body: request.method === "GET" ? undefined : await request.text(),
    signal: request.signal,
  });
}

const proxyServer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const target = upstreamOrigin + url.pathname + url.search;
    const answer = plainHttp
      ? await forwardPlain(plainHttp, request, target)
      : await fetch(target, { method: request.method, headers: request.headers, body: request.body });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
});

console.log(`listening on http://127.0.0.1:${proxyServer.port}`);
process.on("SIGTERM", () => {
  proxyServer.stop(true);
  process.exit(0);
});
