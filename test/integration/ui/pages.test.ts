/**
 * @module The compiled binary serves every web page with its bundled chunks, the right content types and redirects,
 * and no page loads more than 250 KB of gzipped script.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBinaryHub, type TestHub } from "../../support/hub";
import { pageWithAssets } from "../../support/page-assets";
import { type TempDir, tempDir } from "../../support/temp-dir";

const PAGES = [
  "/ui/account",
  "/ui/credits",
  "/ui/playground",
  "/ui/admin",
  "/.well-known/service/gen-simple-access-key?__token__=x",
];
const SCRIPT_BUDGET_BYTES = 250 * 1024;

let dir: TempDir;
let hub: TestHub;

beforeAll(async () => {
  dir = tempDir();
  hub = await startBinaryHub({ cwd: dir.path });
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  dir?.remove();
});

describe("the web pages of the binary", () => {
  for (const path of PAGES) {
    test(`${path} is HTML with a CSP, and its chunks are served with their content types`, async () => {
      const { page, html, assets } = await pageWithAssets(hub.url, path);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toStartWith("text/html");
      expect(html).toContain('http-equiv="Content-Security-Policy"');
      const scripts = [...assets].filter(([url]) => url.endsWith(".js"));
      expect(scripts.length).toBeGreaterThan(0);
      expect([...assets].filter(([url]) => url.endsWith(".css")).length).toBeGreaterThan(0);
      for (const [url, asset] of assets) {
        expect(asset.status).toBe(200);
        expect(asset.type).toStartWith(url.endsWith(".js") ? "text/javascript" : "text/css");
      }
      const gzipped = scripts.reduce((sum, [, asset]) => sum + Bun.gzipSync(asset.body).length, 0);
      console.log(`${path}: ${scripts.length} script(s), ${(gzipped / 1024).toFixed(1)} KB gzipped`);
      expect(gzipped).toBeLessThan(SCRIPT_BUDGET_BYTES);
    });
  }

  test("files of ui-public are served from the binary at the root, with a cache header", async () => {
    const response = await fetch(`${hub.url}/robots.txt`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain");
    expect(response.headers.get("cache-control")).toContain("max-age=");
    expect(await response.text()).toContain("Disallow: /api/");
  });

  test("/ redirects to /ui/, and a page path with a trailing slash to the page, keeping the query", async () => {
    const location = async (path: string) => {
      const response = await fetch(`${hub.url}${path}`, { redirect: "manual" });
      expect(response.status).toBe(302);
      const target = new URL(response.headers.get("location")!, hub.url);
      return target.pathname + target.search;
    };
    expect(await location("/")).toBe("/ui/");
    expect(await location("/ui/account/")).toBe("/ui/account");
    expect(await location("/ui/credits/?checkout=success")).toBe("/ui/credits?checkout=success");
    expect(await location("/ui/admin/")).toBe("/ui/admin");
    const home = await fetch(`${hub.url}/ui/`);
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toStartWith("text/html");
  });
});
