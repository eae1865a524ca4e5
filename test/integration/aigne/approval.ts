/** @module Test helpers for the CLI login: a BROWSER script that records the URL it is given, and a page driver over HTTP. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AccessKeyDecision, AccessKeyRequestInfo, SignedInSession } from "../../../src/shared/api";

/** A fake browser: an executable that appends each URL it is opened with to a file the test reads. */
export interface FakeBrowser {
  /** The value for $BROWSER. */
  command: string;
  /** Resolves with the next URL the browser was opened with (the n-th, counting from 0). */
  nextUrl(timeoutMs?: number): Promise<string>;
}

/** Writes the fake browser script into `dir`. */
export function fakeBrowser(dir: string): FakeBrowser {
  const log = join(dir, "opened-urls");
  const command = join(dir, "fake-browser.sh");
  writeFileSync(command, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`);
  chmodSync(command, 0o755);
  let seen = 0;
  return {
    command,
    async nextUrl(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const urls = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
        if (urls.length > seen) return urls[seen++]!;
        if (Date.now() > deadline) throw new Error("the browser was not opened");
        await Bun.sleep(50);
      }
    },
  };
}

/** What a signed-in visitor of the approval page can do, through the same JSON calls the page makes. */
export interface PageVisitor {
  csrfToken: string;
  cookie: string;
  describe(pageUrl: string): Promise<Response>;
  decide(pageUrl: string, decision: "approve" | "deny", options?: { csrf?: boolean }): Promise<Response>;
}

/** Signs in at the hub like the page's form does, keeping the session cookie; `init` adds fetch options (TLS). */
export async function signInVisitor(
  hubUrl: string,
  credentials: { email: string; password: string },
  init: RequestInit = {},
): Promise<PageVisitor> {
  const response = await fetch(`${hubUrl}/api/auth/sign-in`, {
    ...init,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
  const { csrfToken } = (await response.json()) as SignedInSession;
  const pageParams = (pageUrl: string) => new URL(pageUrl).searchParams;
  return {
    csrfToken,
    cookie,
    describe: (pageUrl) =>
      fetch(`${hubUrl}/.well-known/service/api/access-key/request?token=${pageParams(pageUrl).get("__token__")}`, {
        ...init,
        headers: { cookie },
      }),
    decide(pageUrl, decision, options = {}) {
      const params = pageParams(pageUrl);
      const headers: Record<string, string> = { cookie, "content-type": "application/json" };
      if (options.csrf !== false) headers["x-csrf-token"] = csrfToken;
      return fetch(`${hubUrl}/.well-known/service/api/access-key/request/${decision}`, {
        ...init,
        method: "POST",
        headers,
        body: JSON.stringify({
          token: params.get("__token__"),
          source: params.get("source") ?? undefined,
          appName: params.get("appName") ?? undefined,
        }),
      });
    },
  };
}

/** Approves (or denies) the request behind a page URL and checks the hub agreed. */
export async function decideRequest(
  visitor: PageVisitor,
  pageUrl: string,
  decision: "approve" | "deny",
): Promise<{ info: AccessKeyRequestInfo; outcome: AccessKeyDecision }> {
  const described = await visitor.describe(pageUrl);
  if (described.status !== 200) throw new Error(`lookup failed: ${described.status} ${await described.text()}`);
  const decided = await visitor.decide(pageUrl, decision);
  if (decided.status !== 200) throw new Error(`${decision} failed: ${decided.status} ${await decided.text()}`);
  return {
    info: (await described.json()) as AccessKeyRequestInfo,
    outcome: (await decided.json()) as AccessKeyDecision,
  };
}

/** Waits for the fake browser to be opened, then signs in and decides the request behind that page. */
export async function decideNextRequest(input: {
  browser: FakeBrowser;
  hubUrl: string;
  credentials: { email: string; password: string };
  decision?: "approve" | "deny";
  init?: RequestInit;
}): Promise<string> {
  const page = await input.browser.nextUrl();
  const visitor = await signInVisitor(input.hubUrl, input.credentials, input.init);
  await decideRequest(visitor, page, input.decision ?? "approve");
  return page;
}
