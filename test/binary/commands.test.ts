/** @module The compiled binary's command line: version, help, usage errors and startups it must refuse untouched. */
import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import packageJson from "../../package.json";
import { runBinary } from "../support/binary";
import { type TempDir, tempDir } from "../support/temp-dir";

/** The lines a failed command wrote to stderr. */
const lines = (text: string) => text.split("\n").filter((line) => line !== "");

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("aigne-hub version and help", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  test("version and --version print aigne-hub and the package version", async () => {
    for (const word of ["version", "--version"]) {
      const result = await runBinary([word], { cwd: dir.path });
      expect(result).toEqual({ code: 0, stdout: `aigne-hub ${packageJson.version}\n`, stderr: "" });
    }
  });

  test("an unknown command exits 2 and shows the help on stderr", async () => {
    const result = await runBinary(["frobnicate"], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)[0]).toBe('aigne-hub: unknown command "frobnicate"');
    expect(result.stderr).toContain("Usage: aigne-hub <command> [flags]");
  });

  test("--help on every command exits 0, prints its usage and touches nothing", async () => {
    const commands = [
      ["serve"],
      ["admin"],
      ["admin", "user", "upsert"],
      ["admin", "key", "create"],
      ["admin", "key", "list"],
      ["admin", "key", "revoke"],
      ["health"],
    ];
    for (const words of commands) {
      const result = await runBinary([...words, "--help"], { cwd: dir.path });
      expect({ words, code: result.code, stderr: result.stderr }).toEqual({ words, code: 0, stderr: "" });
      const usage = words[0] === "admin" && words.length === 1 ? "admin <command>" : words.join(" ");
      expect(result.stdout.startsWith(`Usage: aigne-hub ${usage} [flags]\n`)).toBe(true);
    }
    const top = await runBinary(["--help"], { cwd: dir.path });
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Usage: aigne-hub <command> [flags]");
    expect(readdirSync(dir.path).filter((name) => name !== ".home")).toEqual([]);
  });
});

describe("serve refusing bad input", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
  });
  afterEach(() => {
    dir.remove();
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  const serve = (args: string[], env?: Record<string, string>) =>
    runBinary(["serve", "--host", "127.0.0.1", ...args], { cwd: dir.path, env });

  test("a port that is not a number is a usage error (exit 2) naming the flag", async () => {
    const result = await serve(["--port", "abc", "--data-dir", "data"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toEqual([
      'aigne-hub serve: invalid --port "abc": expected a port number from 0 to 65535',
      'Run "aigne-hub serve --help" for usage.',
    ]);
    expect(existsSync(join(dir.path, "data"))).toBe(false);
  });

  test("a data dir whose parent is a regular file fails with one line and changes nothing", async () => {
    const file = join(dir.path, "not-a-dir");
    writeFileSync(file, "keep me");
    const result = await serve(["--port", "0", "--data-dir", join(file, "data")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toEqual([
      `aigne-hub serve: cannot use data dir ${join(file, "data")}: a part of the path is not a directory`,
    ]);
    expect(readFileSync(file, "utf8")).toBe("keep me");
  });

  test("a port already in use fails with one line and does not create the data dir", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const result = await serve(["--port", String(port), "--data-dir", "data"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(lines(result.stderr)).toEqual([
        `aigne-hub serve: cannot listen on 127.0.0.1:${port}: the port is already in use`,
      ]);
      expect(existsSync(join(dir.path, "data"))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test("a missing TLS file fails with one line and does not create the data dir", async () => {
    writeFileSync(join(dir.path, "key.pem"), "not used");
    const result = await serve([
      "--port",
      "0",
      "--data-dir",
      "data",
      "--tls-cert",
      "missing.pem",
      "--tls-key",
      "key.pem",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toEqual([
      `aigne-hub serve: --tls-cert ${join(dir.path, "missing.pem")} does not exist`,
    ]);
    expect(existsSync(join(dir.path, "data"))).toBe(false);
  });

  test("--tls-cert without --tls-key is a usage error", async () => {
    writeFileSync(join(dir.path, "cert.pem"), "not used");
    const result = await serve(["--port", "0", "--data-dir", "data", "--tls-cert", "cert.pem"]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)[0]).toBe("aigne-hub serve: --tls-cert and --tls-key go together");
    expect(existsSync(join(dir.path, "data"))).toBe(false);
  });

  test("an unknown flag is a usage error naming it", async () => {
    const result = await serve(["--port", "0", "--frob"]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)[0]).toContain("--frob");
    expect(existsSync(join(dir.path, "aigne-hub-data"))).toBe(false);
  });

  test("a postgres database URL fails with one clear line that does not echo the URL", async () => {
    const result = await serve(["--port", "0", "--data-dir", "data"], {
      AIGNE_HUB_DATABASE_URL: "postgres://hub:pw@127.0.0.1/hub",
    });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain('"postgres:" databases are not supported yet');
    expect(result.stderr).not.toContain("hub:pw");
  });
});

describe("admin commands refusing bad input", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());
  const admin = (...args: string[]) => runBinary(["admin", ...args, "--data-dir", "data"], { cwd: dir.path });

  test("admin without a command exits 2 with its overview, and an unknown one names itself", async () => {
    const bare = await runBinary(["admin"], { cwd: dir.path });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toStartWith("Usage: aigne-hub admin <command> [flags]");
    const unknown = await admin("user", "delete");
    expect(unknown.code).toBe(2);
    expect(lines(unknown.stderr)[0]).toBe('aigne-hub admin: unknown admin command "user delete"');
  });

  test("bad user fields are usage errors (exit 2) with one reason each, and no user is written", async () => {
    const cases: [string[], string][] = [
      [["--email", "eve@example.com", "--password", "short"], "password must have at least 8 characters"],
      [["--email", "not-an-email", "--password", "long-enough-1"], 'invalid email "not-an-email"'],
      [
        ["--email", "eve@example.com", "--password", "long-enough-1", "--role", "root"],
        '--role must be admin or user, not "root"',
      ],
      [["--email", "eve@example.com"], "a new user needs a password"],
      [["--password", "long-enough-1"], "missing --email"],
    ];
    for (const [args, reason] of cases) {
      const result = await admin("user", "upsert", ...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: "" });
      expect(lines(result.stderr)[0]).toBe(`aigne-hub admin: ${reason}`);
    }
    const lookup = await admin("key", "list", "--email", "eve@example.com");
    expect(lookup.code).toBe(1);
    expect(lines(lookup.stderr)).toEqual(["aigne-hub admin: no user with email eve@example.com"]);
  });

  test("a key for an unknown user fails with one line and prints no key", async () => {
    const result = await admin("key", "create", "--email", "ghost@example.com");
    expect(result).toEqual({ code: 1, stdout: "", stderr: "aigne-hub admin: no user with email ghost@example.com\n" });
  });
});

describe("serve on a database written by a newer version", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  /** Makes a migrated data dir the way an operator would: with an admin command. */
  async function migratedDataDir(name: string): Promise<string> {
    const dataDir = join(dir.path, name);
    const made = await runBinary(
      ["admin", "user", "upsert", "--email", "old@example.com", "--password", "old-password", "--data-dir", dataDir],
      { cwd: dir.path },
    );
    expect(made.code).toBe(0);
    return dataDir;
  }

  async function expectRefused(dataDir: string) {
    const dbPath = join(dataDir, "hub.db");
    const before = sha256(dbPath);
    const result = await runBinary(["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir], {
      cwd: dir.path,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const stderr = lines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toStartWith(`aigne-hub serve: database ${dbPath} was written by a newer aigne-hub`);
    expect(stderr[0]).toContain("nothing was changed");
    expect(sha256(dbPath)).toBe(before);
    const admin = await runBinary(["admin", "key", "list", "--email", "old@example.com", "--data-dir", dataDir], {
      cwd: dir.path,
    });
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain("was written by a newer aigne-hub");
    expect(sha256(dbPath)).toBe(before);
  }

  test("a higher user_version makes it refuse to start and leaves the file's bytes unchanged", async () => {
    const dataDir = await migratedDataDir("user-version");
    const db = new Database(join(dataDir, "hub.db"));
    db.run("PRAGMA user_version = 99");
    db.close();
    await expectRefused(dataDir);
  });

  test("a migration row newer than any this build knows makes it refuse and leaves the file unchanged", async () => {
    const dataDir = await migratedDataDir("future-row");
    const db = new Database(join(dataDir, "hub.db"));
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?)", [4_102_444_800_000]);
    db.close();
    await expectRefused(dataDir);
  });
});
