/** @module The logger's redaction: key-shaped text and secret-named fields never reach a log line. */
import { describe, expect, test } from "bun:test";
import { createLogger, redact, redactText } from "../../src/server/log";

const HUB_KEY = "ahk_Q2hhbmdlTWVQbGVhc2UtdGhpcy1pcy1hLXRlc3Qta2V5";
const OPENAI_KEY = "sk-proj-abcdefghijklmnop1234";
const ANTHROPIC_KEY = "sk-ant-api03-abcdefghijklmnop";
const GEMINI_KEY = "AIzaSyA1234567890abcdefghijklmn";

describe("redactText", () => {
  test("masks hub keys, provider keys and bearer tokens wherever they sit in the text", () => {
    expect(redactText(`key=${HUB_KEY}.`)).toBe("key=[redacted].");
    expect(redactText(`upstream said: invalid ${OPENAI_KEY}`)).toBe("upstream said: invalid [redacted]");
    expect(redactText(`"${ANTHROPIC_KEY}"`)).toBe('"[redacted]"');
    expect(redactText(`gemini ${GEMINI_KEY}`)).toBe("gemini [redacted]");
    expect(redactText("Authorization: Bearer abc.def-ghi")).toBe("Authorization: Bearer [redacted]");
    expect(redactText(`curl -H "Authorization: Bearer ${HUB_KEY}" url`)).toBe(
      'curl -H "Authorization: Bearer [redacted]" url',
    );
  });

  test("masks agent and user keys that share the hub's key shape", () => {
    expect(redactText("agent ahu_abcdefghijklmnopqrstu and aha_abcdefghijklmnopqrst")).toBe(
      "agent [redacted] and [redacted]",
    );
  });

  test("leaves ordinary text, ids, short prefixes and key hints alone", () => {
    const plain = "request 01J0000000000000000000000 for ann@example.com: key ahk_Q2hh…LWtl, sk-short, task-list";
    expect(redactText(plain)).toBe(plain);
  });

  test("masks every occurrence, not just the first", () => {
    expect(redactText(`${HUB_KEY} ${HUB_KEY}`)).toBe("[redacted] [redacted]");
  });
});

describe("redact", () => {
  test("replaces fields named like secrets, whatever their case or separator", () => {
    const out = redact({
      password: "hunter2-hunter2",
      apiKey: "plain-looking-value",
      api_key: "plain-looking-value",
      "x-api-key": "plain-looking-value",
      authorization: "Basic dXNlcjpwYXNz",
      Authorization: "Bearer abc",
      newPassword: "another-one",
      cookie: "aigne_hub_session=abc",
      csrfToken: "csrf",
      pepper: "pep",
      secret: "s",
      email: "ann@example.com",
      status: 401,
    });
    expect(out).toEqual({
      password: "[redacted]",
      apiKey: "[redacted]",
      api_key: "[redacted]",
      "x-api-key": "[redacted]",
      authorization: "[redacted]",
      Authorization: "[redacted]",
      newPassword: "[redacted]",
      cookie: "[redacted]",
      csrfToken: "[redacted]",
      pepper: "[redacted]",
      secret: "[redacted]",
      email: "ann@example.com",
      status: 401,
    });
  });

  test("walks nested objects and arrays and masks key-shaped strings under harmless names", () => {
    const out = redact({
      request: { headers: { Authorization: `Bearer ${HUB_KEY}` } },
      notes: [`used ${OPENAI_KEY}`, 3],
    });
    expect(out).toEqual({ request: { headers: { Authorization: "[redacted]" } }, notes: ["used [redacted]", 3] });
  });

  test("reduces an Error to its name and a masked message, without the stack", () => {
    const error = new TypeError(`bad key ${HUB_KEY}`);
    expect(redact({ cause: error })).toEqual({ cause: { name: "TypeError", message: "bad key [redacted]" } });
  });

  test("keeps null and undefined secret fields as they are and does not modify its input", () => {
    const input = { password: null, apiKey: undefined, nested: { token: "t" } };
    expect(redact(input)).toEqual({ password: null, apiKey: undefined, nested: { token: "[redacted]" } });
    expect(input.nested.token).toBe("t");
  });

  test("passes numbers, booleans and null through", () => {
    expect(redact(42)).toBe(42);
    expect(redact(true)).toBe(true);
    expect(redact(null)).toBeNull();
  });
});

describe("createLogger", () => {
  test("writes one JSON line per event with level, message and bound fields, redacted", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (line) => lines.push(line) }).child({ requestId: "r-1" });
    log.info("request", { path: "/api/user/info", authorization: `Bearer ${HUB_KEY}` });
    log.warn(`upstream rejected ${OPENAI_KEY}`);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ level: "info", msg: "request", requestId: "r-1", authorization: "[redacted]" });
    expect(second).toMatchObject({ level: "warn", msg: "upstream rejected [redacted]", requestId: "r-1" });
    expect(Number.isNaN(Date.parse(String(first!.time)))).toBe(false);
    expect(lines.join("")).not.toContain(HUB_KEY);
    expect(lines.join("")).not.toContain(OPENAI_KEY);
  });

  test("drops events below its level", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", write: (line) => lines.push(line) });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["w", "e"]);
  });
});
