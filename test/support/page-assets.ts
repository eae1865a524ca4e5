/** @module Fetches a web page of a running hub with every script and stylesheet it loads, for size and CSP checks. */

/** One fetched asset. */
export interface PageAsset {
  status: number;
  type: string;
  body: Uint8Array<ArrayBuffer>;
}

/** Fetches `path` from `baseUrl` and every asset it loads, following chunk imports inside scripts; keyed by path. */
export async function pageWithAssets(baseUrl: string, path: string) {
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
