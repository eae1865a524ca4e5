/**
 * @module The catalog's admin commands on the compiled binary, against a running `serve`: a second `provider set`
 * adds a credential, bad rates change nothing, and a model set from the command line is served within a second.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type MockUpstream, startMockUpstream } from "../mocks/upstream";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { type TempDir, tempDir } from "../support/temp-dir";

const KEY_ONE = "sk-binary-credential-one-1111";
const KEY_TWO = "sk-binary-credential-two-2222";
const MODEL = "openai/gpt-4o-mini";

describe("aigne-hub admin provider set / model set against a running serve", () => {
  let dir: TempDir;
  let hub: TestHub;
  let mock: MockUpstream;
  let adminKey = "";

  const admin = (...args: string[]) => runBinary(["admin", ...args, "--data-dir", hub.dataDir], { cwd: dir.path });
  const adminOk = async (...args: string[]) => {
    const result = await admin(...args);
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: "" });
    return result.stdout.trim();
  };
  const get = async (path: string) => {
    const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(response.status).toBe(200);
    return response.json();
  };
  const chat = () =>
    fetch(`${hub.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });

  beforeAll(async () => {
    dir = tempDir();
    mock = await startMockUpstream({ script: { text: "served by the binary" } });
    hub = await startBinaryHub({ cwd: dir.path });
    await adminOk("user", "upsert", "--email", "ops@example.com", "--password", "ops-password-1", "--role", "admin");
    adminKey = await adminOk("key", "create", "--email", "ops@example.com");
    await adminOk("credits", "grant", "--email", "ops@example.com", "--amount", "100");
  });
  afterAll(async () => {
    if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
    await mock?.stop();
    dir?.remove();
  });

  test("provider set twice with one name and two keys adds a second credential; keys never printed", async () => {
    const base = ["provider", "set", "--name", "openai", "--type", "openai", "--base-url", mock.openaiBase];
    const first = JSON.parse(await adminOk(...base, "--api-key", KEY_ONE));
    expect(first).toMatchObject({ provider: "openai", created: true, credentialAdded: true });
    const second = JSON.parse(await adminOk(...base, "--api-key", KEY_TWO, "--weight", "5"));
    expect(second).toMatchObject({ provider: "openai", created: false, credentialAdded: true });
    expect(second.credentialId).not.toBe(first.credentialId);

    const { providers } = await get("/api/admin/providers");
    expect(providers).toHaveLength(1);
    expect(providers[0].credentials.map((c: { hint: string; weight: number }) => [c.hint, c.weight])).toEqual([
      ["sk-…1111", 100],
      ["sk-…2222", 5],
    ]);
    expect(JSON.stringify({ first, second, providers })).not.toMatch(/credential-(one|two)/);
  });

  test("model set with bad rates exits 2, says why on stderr and changes nothing", async () => {
    for (const rate of ["abc", "-0.1", "1e-7"]) {
      const result = await admin(
        "model",
        "set",
        "--model",
        MODEL,
        `--input-rate=${rate}`,
        "--output-rate",
        "0.0000006",
      );
      expect({ rate, code: result.code, stdout: result.stdout }).toEqual({ rate, code: 2, stdout: "" });
      const [reason] = result.stderr.trim().split("\n");
      expect(reason).toStartWith("aigne-hub admin: ");
      expect(reason).toContain(`"${rate}"`);
      expect(result.stderr).not.toContain("    at ");
    }
    expect((await get("/api/admin/models")).models).toEqual([]);
    expect((await chat()).status).toBe(404);
  });

  test("a model set from the command line is served by the running hub within a second", async () => {
    expect((await chat()).status).toBe(404);
    await adminOk("model", "set", "--model", MODEL, "--input-rate", "0.00000015", "--output-rate", "0.0000006");
    const set = Date.now();
    let listed = false;
    while (!listed && Date.now() - set < 3000) {
      const { data } = await get("/v1/models");
      listed = data.some((m: { id: string }) => m.id === MODEL);
      if (!listed) await Bun.sleep(50);
    }
    expect(listed).toBe(true);
    expect(Date.now() - set).toBeLessThanOrEqual(1000);
    const response = await chat();
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toBe("served by the binary");
    expect(mock.requests.at(-1)!.body.model).toBe("gpt-4o-mini");
  });
});
