/** @module The compiled binary reads .env files in the contract's order, under the real environment and the flags. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { type TempDir, tempDir } from "../support/temp-dir";

/** Finds distinct ports that are free right now. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The resolved data dir the hub logged at startup, or undefined when it logged no start line. */
function loggedDataDir(hub: TestHub): string | undefined {
  const started = hub
    .logs()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; dataDir?: string })
    .find((record) => record.msg === "started");
  return started?.dataDir;
}

describe("serve configured by .env files", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  let ports: number[] = [];
  let hub: TestHub | undefined;
  const write = (name: string, lines: string[]) => writeFileSync(join(dir.path, name), `${lines.join("\n")}\n`);

  beforeAll(async () => {
    ports = await freePorts(7);
    const [env, local, nodeEnv, nodeEnvLocal, envFile] = ports;
    write(".env", [
      "AIGNE_HUB_HOST=127.0.0.1",
      `AIGNE_HUB_PORT=${env}`,
      "AIGNE_HUB_DATA_DIR=from-env",
      "AIGNE_HUB_LOG_LEVEL=error",
      "# a comment, and NODE_ENV here must not pick the .env.<NODE_ENV> files",
      "NODE_ENV=production",
    ]);
    write(".env.local", [`AIGNE_HUB_PORT=${local}`, "AIGNE_HUB_DATA_DIR=from-local"]);
    write(".env.test", [`AIGNE_HUB_PORT=${nodeEnv}`, "AIGNE_HUB_DATA_DIR=from-node-env", "AIGNE_HUB_LOG_LEVEL=error"]);
    write(".env.test.local", [
      `AIGNE_HUB_PORT=${nodeEnvLocal}`,
      "AIGNE_HUB_DATA_DIR=from-node-env-local",
      'AIGNE_HUB_LOG_LEVEL="info"',
    ]);
    write(".env.production", ["AIGNE_HUB_PORT=not-a-port", "AIGNE_HUB_DATA_DIR=from-production"]);
    write("extra.env", [`AIGNE_HUB_PORT=${envFile}`]);
  });
  afterEach(async () => {
    if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
    hub = undefined;
  });
  /** Stops the hub (its whole log is read then) and returns the data dir it logged at startup. */
  const stopAndReadDataDir = async (running: TestHub) => {
    expect(await running.stop()).toBe(0);
    return loggedDataDir(running);
  };
  afterAll(() => dir.remove());

  test("without NODE_ENV, .env.local wins over .env", async () => {
    hub = await startBinaryHub({ cwd: dir.path, defaultFlags: false, env: { AIGNE_HUB_LOG_LEVEL: "info" } });
    expect(hub.url).toBe(`http://127.0.0.1:${ports[1]}`);
    expect(await stopAndReadDataDir(hub)).toBe(join(dir.path, "from-local"));
  });

  test("with NODE_ENV=test, .env.test.local wins over .env.test, and --env-file wins over all files", async () => {
    hub = await startBinaryHub({
      cwd: dir.path,
      defaultFlags: false,
      args: ["--env-file", "extra.env"],
      env: { NODE_ENV: "test" },
    });
    expect(hub.url).toBe(`http://127.0.0.1:${ports[4]}`);
    expect(existsSync(join(dir.path, "from-node-env-local", "hub.db"))).toBe(true);
    expect(existsSync(join(dir.path, "from-node-env"))).toBe(false);
    expect(existsSync(join(dir.path, "from-production"))).toBe(false);

    // Admin commands read the same files, so they find the server's data dir without --data-dir.
    const env = { NODE_ENV: "test" };
    const upsert = await runBinary(
      ["admin", "user", "upsert", "--email", "env@example.com", "--password", "env-pass-12"],
      {
        cwd: dir.path,
        env,
      },
    );
    expect(upsert.code).toBe(0);
    const key = (
      await runBinary(["admin", "key", "create", "--email", "env@example.com"], { cwd: dir.path, env })
    ).stdout.trim();
    const info = await fetch(`${hub.url}/api/user/info`, { headers: { authorization: `Bearer ${key}` } });
    expect(info.status).toBe(200);
    // Data dir and the info level come from .env.test.local, over .env.test, .env.local and .env.
    expect(await stopAndReadDataDir(hub)).toBe(join(dir.path, "from-node-env-local"));
  });

  test("the real environment wins over every file", async () => {
    hub = await startBinaryHub({
      cwd: dir.path,
      defaultFlags: false,
      args: ["--env-file", "extra.env"],
      env: {
        NODE_ENV: "test",
        AIGNE_HUB_PORT: String(ports[5]),
        AIGNE_HUB_DATA_DIR: "from-real-env",
        AIGNE_HUB_LOG_LEVEL: "warn",
      },
    });
    expect(hub.url).toBe(`http://127.0.0.1:${ports[5]}`);
    expect(existsSync(join(dir.path, "from-real-env", "hub.db"))).toBe(true);
    expect(await stopAndReadDataDir(hub)).toBeUndefined();
    const levels = hub
      .logs()
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { level: string }).level);
    expect(levels.filter((level) => level === "info" || level === "debug")).toEqual([]);
  });

  test("a flag wins over the real environment and the files", async () => {
    hub = await startBinaryHub({
      cwd: dir.path,
      defaultFlags: false,
      args: ["--env-file", "extra.env", "--port", String(ports[6]), "--data-dir", "from-flag"],
      env: { NODE_ENV: "test", AIGNE_HUB_PORT: String(ports[5]), AIGNE_HUB_DATA_DIR: "from-real-env" },
    });
    expect(hub.url).toBe(`http://127.0.0.1:${ports[6]}`);
    expect(await stopAndReadDataDir(hub)).toBe(join(dir.path, "from-flag"));
  });

  test("a missing --env-file is a usage error", async () => {
    const result = await runBinary(["serve", "--env-file", "nope.env"], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(
      `aigne-hub serve: --env-file ${join(dir.path, "nope.env")} does not exist`,
    );
  });
});
