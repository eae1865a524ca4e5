/** @module The compiled binary's `serve` lifecycle: data dir, migrations, probes, restarts, concurrent starts, SIGTERM. */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { type TempDir, tempDir } from "../support/temp-dir";

const MIGRATION_COUNT = (
  JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "drizzle", "sqlite", "meta", "_journal.json"), "utf8")) as {
    entries: unknown[];
  }
).entries.length;
const KEY_SHAPE = /^ahk_[A-Za-z0-9_-]{43}$/;
const PASSWORD = "lifecycle-pass-1";

/** Reads what the migrations left in a hub.db without writing to it. */
function schemaState(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  try {
    const migrations = db.query("SELECT hash, created_at FROM __drizzle_migrations").all();
    const userVersion = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    const tables = (
      db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    )
      .map((row) => row.name)
      .filter((name) => !name.startsWith("sqlite_"));
    return { migrations, userVersion, tables };
  } finally {
    db.close();
  }
}

/** Creates a user and a key with the admin commands on a data dir; returns the key. */
async function userWithKey(cwd: string, dataDir: string, email: string): Promise<string> {
  const upsert = await runBinary(
    ["admin", "user", "upsert", "--email", email, "--password", PASSWORD, "--data-dir", dataDir],
    {
      cwd,
    },
  );
  expect(upsert.stderr).toBe("");
  expect(upsert.code).toBe(0);
  const created = await runBinary(["admin", "key", "create", "--email", email, "--data-dir", dataDir], { cwd });
  expect(created.code).toBe(0);
  const key = created.stdout.trim();
  expect(created.stdout).toBe(`${key}\n`);
  expect(key).toMatch(KEY_SHAPE);
  return key;
}

function userInfo(hub: TestHub, key: string) {
  return fetch(`${hub.url}/api/user/info`, { headers: { authorization: `Bearer ${key}` } });
}

describe("serve started in an empty directory", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  let hub: TestHub;
  let key = "";

  beforeAll(async () => {
    hub = await startBinaryHub({ cwd: dir.path });
  });
  afterAll(async () => {
    if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
    dir.remove();
  });

  test("it prints one listening line with the real port on stdout", () => {
    expect(hub.stdout()).toBe(`aigne-hub listening on http://127.0.0.1:${hub.port}\n`);
    expect(hub.port).toBeGreaterThan(0);
  });

  test("it creates the data dir with mode 0700 and its key files with mode 0600", () => {
    expect(statSync(hub.dataDir).isDirectory()).toBe(true);
    expect(statSync(hub.dataDir).mode & 0o777).toBe(0o700);
    for (const name of ["secret.key", "pepper.key"]) {
      const path = join(hub.dataDir, name);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(path, "utf8").trim(), "base64url").length).toBe(32);
    }
  });

  test("it applies every migration once before it listens", () => {
    const state = schemaState(join(hub.dataDir, "hub.db"));
    expect(state.migrations).toHaveLength(MIGRATION_COUNT);
    expect(state.userVersion).toBe(MIGRATION_COUNT);
    expect(state.tables).toEqual(
      expect.arrayContaining(["__drizzle_migrations", "hub_keys", "sign_in_throttle", "users", "web_sessions"]),
    );
  });

  test("it answers /healthz and /readyz without auth", async () => {
    const health = await fetch(`${hub.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  test("a user and key made by admin commands while it runs are accepted at once", async () => {
    key = await userWithKey(dir.path, hub.dataDir, "Life.Cycle@Example.com");
    const response = await userInfo(hub, key);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: { email: string; did: string } };
    expect(body.user.email).toBe("Life.Cycle@Example.com");
    expect(body.user.did).toMatch(/^z[1-9A-HJ-NP-Za-km-z]+$/);
  });

  test("a restart keeps users, keys and the key files", async () => {
    const secretBefore = readFileSync(join(hub.dataDir, "secret.key"), "utf8");
    const pepperBefore = readFileSync(join(hub.dataDir, "pepper.key"), "utf8");
    expect(await hub.stop()).toBe(0);
    hub = await startBinaryHub({ cwd: dir.path });
    expect(readFileSync(join(hub.dataDir, "secret.key"), "utf8")).toBe(secretBefore);
    expect(readFileSync(join(hub.dataDir, "pepper.key"), "utf8")).toBe(pepperBefore);
    expect(schemaState(join(hub.dataDir, "hub.db")).migrations).toHaveLength(MIGRATION_COUNT);
    const response = await userInfo(hub, key);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { email: string } }).user.email).toBe("Life.Cycle@Example.com");
    const signIn = await fetch(`${hub.url}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "life.cycle@example.com", password: PASSWORD }),
    });
    expect(signIn.status).toBe(200);
  });

  test("SIGTERM lets a slow in-flight request finish, then exits 0 with the WAL checkpointed", async () => {
    const wal = join(hub.dataDir, "hub.db-wal");
    expect(statSync(wal).size).toBeGreaterThan(0);
    const encoder = new TextEncoder();
    const head = `{"email":"life.cycle@example.com",`;
    const tail = `"password":"${PASSWORD}"}`;
    let signalledAt = 0;
    // JSON allows whitespace between members, so the body trickles in over ~500 ms without changing its meaning.
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode(head));
        await Bun.sleep(150);
        signalledAt = performance.now();
        hub.proc.kill("SIGTERM");
        for (let i = 0; i < 4; i++) {
          await Bun.sleep(100);
          controller.enqueue(encoder.encode(" ".repeat(4096)));
        }
        controller.enqueue(encoder.encode(tail));
        controller.close();
      },
    });
    const exited = hub.proc.exited.then((code) => ({ code, at: performance.now() }));
    const response = await fetch(`${hub.url}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const answeredAt = performance.now();
    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { email: string } }).user.email).toBe("Life.Cycle@Example.com");
    expect(answeredAt - signalledAt).toBeGreaterThanOrEqual(350);
    const exit = await exited;
    expect(exit.code).toBe(0);
    expect(exit.at).toBeGreaterThanOrEqual(signalledAt);
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    expect(hub.logs()).toContain('"msg":"shutting down"');
    expect(hub.logs()).toContain('"msg":"stopped"');
  });
});

describe("serve stopped right after it starts", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  const hubs: TestHub[] = [];
  afterAll(async () => {
    await Promise.all(hubs.filter((h) => h.proc.exitCode === null).map((h) => h.stop("SIGKILL")));
    dir.remove();
  });

  test("a SIGTERM sent the moment the listening line appears still shuts down cleanly with exit 0", async () => {
    const codes: number[] = [];
    // The race is narrow, so a few rounds make a regression show up reliably.
    for (let round = 0; round < 5; round++) {
      const hub = await startBinaryHub({ cwd: dir.path, args: ["--data-dir", join(dir.path, `data-${round}`)] });
      hubs.push(hub);
      codes.push(await hub.stop());
      expect(hub.logs()).toContain('"msg":"stopped"');
    }
    expect(codes).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("serve processes started at once on one data dir", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  const hubs: TestHub[] = [];

  afterAll(async () => {
    await Promise.all(hubs.filter((h) => h.proc.exitCode === null).map((h) => h.stop("SIGKILL")));
    dir.remove();
  });

  test("eight at a time all come up on different ports, the schema is applied once and they share keys", async () => {
    // Two rounds of eight racing starts make a missing migration lock or busy timeout show up reliably.
    const RACERS = 8;
    for (const round of [1, 2]) {
      const dataDir = join(dir.path, `shared-${round}`);
      const started = await Promise.allSettled(
        Array.from({ length: RACERS }, () => startBinaryHub({ cwd: dir.path, args: ["--data-dir", dataDir] })),
      );
      const running = started.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
      hubs.push(...running);
      expect({ round, outcomes: started.map((outcome) => outcome.status) }).toEqual({
        round,
        outcomes: Array(RACERS).fill("fulfilled"),
      });
      expect(new Set(running.map((hub) => hub.port)).size).toBe(RACERS);

      const state = schemaState(join(dataDir, "hub.db"));
      expect(state.migrations).toHaveLength(MIGRATION_COUNT);
      expect(state.userVersion).toBe(MIGRATION_COUNT);

      const key = await userWithKey(dir.path, dataDir, `round${round}@example.com`);
      for (const hub of running) {
        expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
        expect((await userInfo(hub, key)).status).toBe(200);
      }
      expect(await Promise.all(running.map((hub) => hub.stop()))).toEqual(Array(RACERS).fill(0));
    }
  });
});
