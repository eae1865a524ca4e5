/** @module `aigne-hub agent openclaw`: installs the connector skill into the OpenClaw workspace and registers it. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runBinary } from "../support/binary";
import { tempDir } from "../support/temp-dir";

const KEY = `aha_${"k".repeat(43)}`;

describe("aigne-hub agent openclaw", () => {
  let dir: ReturnType<typeof tempDir>;
  let home = "";
  let configPath = "";

  beforeEach(() => {
    dir = tempDir();
    home = join(dir.path, ".home");
    configPath = join(home, ".openclaw", "openclaw.json");
    mkdirSync(join(home, ".openclaw"), { recursive: true });
  });
  afterEach(() => dir.remove());

  const install = (args: string[]) =>
    runBinary(["agent", "openclaw", "--api-key", KEY, "--base-url", "https://hub.example.com/", ...args], {
      cwd: dir.path,
    });

  test("installs into the configured workspace, registers the skill and backs the config up first", async () => {
    const original = `${JSON.stringify({ agents: { defaults: { workspace: "~/ws" } }, skills: { entries: { other: { enabled: false } } } })}\n`;
    writeFileSync(configPath, original);
    const result = await install([]);
    const skill = join(home, "ws", "skills", "aigne-hub-connector", "SKILL.md");
    expect(result).toEqual({ code: 0, stdout: `${skill}\n`, stderr: expect.stringContaining("registered the skill") });
    const text = readFileSync(skill, "utf8");
    expect(text).toStartWith("---\nname: aigne-hub-connector\n");
    expect(text).toContain('export AIGNE_HUB_URL="https://hub.example.com"');
    expect(text).toContain("$AIGNE_HUB_URL/v1/gateway/inbox/poll");
    expect(text).toContain(KEY);
    expect(statSync(skill).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    expect(config.skills.entries).toEqual({
      other: { enabled: false },
      "aigne-hub-connector": {
        enabled: true,
        apiKey: KEY,
        env: { AIGNE_HUB_URL: "https://hub.example.com", AIGNE_HUB_AGENT_KEY: KEY },
      },
    });
    const backups = readdirSync(join(home, ".openclaw")).filter((name) => name.startsWith("openclaw.json.bak."));
    expect(backups.length).toBe(1);
    expect(readFileSync(join(home, ".openclaw", backups[0]!), "utf8")).toBe(original);
    expect(result.stdout + result.stderr).not.toContain(`${KEY}\n`);
    const again = await install([]);
    expect(again.code).toBe(0);
    expect(readdirSync(join(home, ".openclaw")).filter((name) => name.startsWith("openclaw.json.bak.")).length).toBe(1);
  });

  test("without a workspace setting it falls back to ~/.openclaw/workspace/skills; --skills-dir wins", async () => {
    writeFileSync(configPath, "{}");
    expect((await install([])).stdout).toBe(
      `${join(home, ".openclaw", "workspace", "skills", "aigne-hub-connector", "SKILL.md")}\n`,
    );
    expect((await install(["--skills-dir", "mine"])).stdout).toBe(
      `${join(dir.path, "mine", "aigne-hub-connector", "SKILL.md")}\n`,
    );
  });

  test("a config it cannot parse is reported and left untouched; a bad URL or no key is a usage error", async () => {
    writeFileSync(configPath, "{ json5: 'not json', }");
    const result = await install([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot parse");
    expect(readFileSync(configPath, "utf8")).toBe("{ json5: 'not json', }");
    expect(existsSync(join(home, ".openclaw", "workspace"))).toBe(false);
    expect((await install(["--base-url", "ftp://x"])).code).toBe(2);
    expect((await runBinary(["agent", "openclaw"], { cwd: dir.path })).code).toBe(2);
  });

  test("without an OpenClaw config the skill is still installed, and the config is not created", async () => {
    const result = await install([]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("not registered");
    expect(existsSync(configPath)).toBe(false);
  });
});
