/** @module Fetches a web page of a running hub with every script and stylesheet it loads, for size and CSP checks. */
import { expect } from "bun:test";

/** What a page's scripts may weigh together, gzipped. */
const SCRIPT_BUDGET_BYTES = 250 * 1024;

/** One fetched asset. */
interface PageAsset {
  status: number;
  type: string;
  body: Uint8Array<ArrayBuffer>;
}

/** Fetches `path` from `baseUrl` and every asset it loads, following chunk imports inside scripts; keyed by path. */
async function pageWithAssets(baseUrl: string, path: string) {
  const page = await fetch(`${baseUrl}${path}`);
  const html = await page.text();
  const assets = new Map<string, PageAsset>();
  const queue = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
  while (queue.length) {
    const url = queue.shift()!;
    if (assets.has(url)) continue;
    const response = await fetch(`${baseUrl}${url}`);
    const body = new Uint8Array(await response.arrayBuffer());
    assets.set(url, { status: response.status, type: response.headers.get("content-type") ?? "", body });
    if (url.endsWith(".js"))
      for (const [, next] of new TextDecoder().decode(body).matchAll(/["'`](?:\.\/|\/)(chunk-[\w-]+\.js)["'`]/g))
        queue.push(`/${next}`);
  }
  return { page, html, assets };
}

/**
 * Checks what every page must be: HTML with a CSP, at least one script and one stylesheet, each asset served with its
 * content type, and its scripts within the gzipped budget (logged). Returns the HTML for the page's own checks.
 */
export async function expectServedPage(baseUrl: string, path: string): Promise<string> {
  const { page, html, assets } = await pageWithAssets(baseUrl, path);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toStartWith("text/html");
  expect(html).toContain('http-equiv="Content-Security-Policy"');
  const scripts = [...assets].filter(([url]) => url.endsWith(".js"));
  expect(scripts.length).toBeGreaterThan(0);
  expect([...assets].some(([url]) => url.endsWith(".css"))).toBe(true);
  for (const [url, asset] of assets) {
    expect(asset.status).toBe(200);
    expect(asset.type).toStartWith(url.endsWith(".js") ? "text/javascript" : "text/css");
  }
  const gzipped = scripts.reduce((sum, [, asset]) => sum + Bun.gzipSync(asset.body).length, 0);
  console.log(`${path}: ${scripts.length} script(s), ${(gzipped / 1024).toFixed(1)} KB gzipped`);
  expect(gzipped).toBeLessThan(SCRIPT_BUDGET_BYTES);
  return html;
}
