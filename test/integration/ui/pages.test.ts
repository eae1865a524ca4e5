/**
 * @module The compiled binary serves every web page with its bundled chunks, the right content types and redirects,
 * and no page loads more than 250 KB of gzipped script.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBinaryHub, type TestHub } from "../../support/hub";
import { expectServedPage } from "../../support/page-assets";
import { type TempDir, tempDir } from "../../support/temp-dir";

const PAGES = [
  "/ui/account",
  "/ui/credits",
  "/ui/playground",
  "/ui/admin",
  "/.well-known/service/gen-simple-access-key?__token__=x",
];

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
      await expectServedPage(hub.url, path);
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
