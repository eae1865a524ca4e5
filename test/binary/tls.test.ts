/** @module The compiled binary serving HTTPS with --tls-cert/--tls-key. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { type TempDir, tempDir } from "../support/temp-dir";

const USER = { email: "tls@example.com", password: "tls-password-1" };
const insecure = { tls: { rejectUnauthorized: false } } as const;

describe("serve with a TLS certificate", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  let hub: TestHub;

  beforeAll(async () => {
    const openssl = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        join(dir.path, "key.pem"),
        "-out",
        join(dir.path, "cert.pem"),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (openssl.exitCode !== 0) throw new Error(`openssl failed: ${openssl.stderr.toString()}`);
    hub = await startBinaryHub({ cwd: dir.path, args: ["--tls-cert", "cert.pem", "--tls-key", "key.pem"] });
    const made = await runBinary(
      ["admin", "user", "upsert", "--email", USER.email, "--password", USER.password, "--data-dir", hub.dataDir],
      { cwd: dir.path },
    );
    expect(made.code).toBe(0);
  });
  afterAll(async () => {
    if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
    dir.remove();
  });

  test("its listening line says https", () => {
    expect(hub.stdout()).toBe(`aigne-hub listening on https://127.0.0.1:${hub.port}\n`);
  });

  test("/healthz answers over TLS and plain HTTP on the same port does not", async () => {
    const response = await fetch(`${hub.url}/healthz`, insecure);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    const plain = await fetch(`http://127.0.0.1:${hub.port}/healthz`).then(
      (r) => r.status,
      () => "refused",
    );
    expect(plain).not.toBe(200);
  });

  test("sign-in sets a Secure session cookie", async () => {
    const response = await fetch(`${hub.url}/api/auth/sign-in`, {
      ...insecure,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(USER),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toStartWith("aigne_hub_session=");
    expect(cookie.split("; ")).toContain("Secure");
    expect(cookie.split("; ")).toContain("HttpOnly");
  });

  test("SIGTERM stops it with exit 0", async () => {
    expect(await hub.stop()).toBe(0);
  });
});
