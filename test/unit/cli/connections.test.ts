/** @module The credential store shared with the aigne CLI: its format, modes, overrides and a file it cannot parse. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  type ConnectionStore,
  createConnectionStore,
  hostKeyOf,
  resolveTarget,
  storePathFor,
} from "../../../src/cli/connections";
import type { ClientConfig } from "../../../src/config";
import { CommandError } from "../../../src/shared/errors";
import { tempDir } from "../../support/temp-dir";

/** A store file as `aigne hub connect` writes it (mode 0644, default file permissions). */
const AIGNE_WRITTEN = `127.0.0.1:8090:
  AIGNE_HUB_API_URL: http://127.0.0.1:8090
  AIGNE_HUB_API_KEY: ahk_one
hub.example.com:
  AIGNE_HUB_API_URL: https://hub.example.com/ai-kit
  AIGNE_HUB_API_KEY: blocklet-two
default:
  AIGNE_HUB_API_URL: http://127.0.0.1:8090
`;

const config = (overrides: Partial<ClientConfig> = {}): ClientConfig => ({
  homeDir: "/nowhere",
  port: 8090,
  isTTY: false,
  cwd: "/",
  ...overrides,
});

let dir: ReturnType<typeof tempDir>;
let path: string;
let store: ConnectionStore;

beforeEach(() => {
  dir = tempDir();
  path = storePathFor(dir.path);
  store = createConnectionStore(path);
});
afterEach(() => dir.remove());

const writeAigneFile = (text = AIGNE_WRITTEN) => {
  mkdirSync(join(dir.path, ".aigne"), { recursive: true, mode: 0o755 });
  writeFileSync(path, text, { mode: 0o644 });
  chmodSync(path, 0o644);
};

describe("the store file", () => {
  test("lives at ~/.aigne/aigne-hub-connected.yaml; no home is a clear failure", () => {
    expect(path).toBe(join(dir.path, ".aigne", "aigne-hub-connected.yaml"));
    expect(() => storePathFor(undefined)).toThrow("HOME");
  });

  test("reads the 0644 file the aigne CLI writes, with the active hub from `default`", () => {
    writeAigneFile();
    expect(store.list()).toEqual([
      { host: "127.0.0.1:8090", url: "http://127.0.0.1:8090", apiKey: "ahk_one", active: true },
      { host: "hub.example.com", url: "https://hub.example.com/ai-kit", apiKey: "blocklet-two", active: false },
    ]);
  });

  test("a missing or empty file is an empty store", () => {
    expect(store.list()).toEqual([]);
    writeAigneFile("");
    expect(store.list()).toEqual([]);
  });

  test("save writes the aigne format under the URL's host and makes it the default, dir 0700 and file 0600", () => {
    store.save("http://127.0.0.1:9000", "ahk_new");
    expect(statSync(join(dir.path, ".aigne")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(parse(readFileSync(path, "utf8"))).toEqual({
      "127.0.0.1:9000": { AIGNE_HUB_API_URL: "http://127.0.0.1:9000", AIGNE_HUB_API_KEY: "ahk_new" },
      default: { AIGNE_HUB_API_URL: "http://127.0.0.1:9000" },
    });
  });

  test("saving over the aigne CLI's file keeps its other hubs and tightens the mode to 0600", () => {
    writeAigneFile();
    store.save("https://other.example.com", "ahk_three");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.list().map((c) => [c.url, c.active])).toEqual([
      ["http://127.0.0.1:8090", false],
      ["https://hub.example.com/ai-kit", false],
      ["https://other.example.com", true],
    ]);
  });

  test("use switches the default; an unknown URL fails naming the file and the known hubs", () => {
    writeAigneFile();
    expect(store.use("https://hub.example.com").url).toBe("https://hub.example.com/ai-kit");
    expect(store.active()?.host).toBe("hub.example.com");
    const failure = (() => {
      try {
        store.use("https://unknown.example.com");
      } catch (error) {
        return error as CommandError;
      }
    })();
    expect(failure).toBeInstanceOf(CommandError);
    expect(failure?.message).toContain(path);
    expect(failure?.hint).toContain("http://127.0.0.1:8090");
  });

  test("removing the active hub makes the first remaining one active; removing the last leaves no default", () => {
    writeAigneFile();
    const first = store.remove("http://127.0.0.1:8090");
    expect(first.removed.url).toBe("http://127.0.0.1:8090");
    expect(first.active?.url).toBe("https://hub.example.com/ai-kit");
    const last = store.remove("hub.example.com");
    expect(last.active).toBeUndefined();
    expect(parse(readFileSync(path, "utf8"))).toEqual({});
  });

  test("a file it cannot parse is reported with its path and left byte-for-byte untouched", () => {
    const corrupt = "127.0.0.1:8090:\n  AIGNE_HUB_API_URL: [unclosed\n\t\u0000garbage";
    writeAigneFile(corrupt);
    const before = readFileSync(path);
    for (const action of [
      () => store.list(),
      () => store.save("http://127.0.0.1:1", "k"),
      () => store.use("http://127.0.0.1:8090"),
      () => store.remove("http://127.0.0.1:8090"),
    ]) {
      expect(action).toThrow(`cannot read the hub store ${path}`);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    writeAigneFile("- just\n- a list\n");
    expect(() => store.list()).toThrow("not a mapping");
  });
});

describe("hostKeyOf", () => {
  test("is new URL(url).host for URLs and the host itself for a bare host:port", () => {
    expect(hostKeyOf("http://127.0.0.1:8090/")).toBe("127.0.0.1:8090");
    expect(hostKeyOf("https://hub.example.com:8443/ai-kit")).toBe("hub.example.com:8443");
    expect(hostKeyOf("Hub.Example.com")).toBe("hub.example.com");
  });
});

describe("resolveTarget", () => {
  test("uses the active stored hub and its key", () => {
    writeAigneFile();
    expect(resolveTarget(config(), store)).toEqual({
      url: "http://127.0.0.1:8090",
      apiKey: "ahk_one",
      source: "store",
    });
  });

  test("AIGNE_HUB_API_URL and AIGNE_HUB_API_KEY override the store", () => {
    writeAigneFile();
    expect(resolveTarget(config({ hubUrl: "https://hub.example.com/ai-kit" }), store)).toEqual({
      url: "https://hub.example.com/ai-kit",
      apiKey: "blocklet-two",
      source: "environment",
    });
    expect(resolveTarget(config({ apiKey: "ahk_env" }), store).apiKey).toBe("ahk_env");
  });

  test("a named hub uses its own stored key; nothing connected is a clear failure", () => {
    writeAigneFile();
    expect(resolveTarget(config({ apiKey: "ahk_env" }), store, "https://hub.example.com")).toMatchObject({
      url: "https://hub.example.com/ai-kit",
      apiKey: "blocklet-two",
    });
    const empty = createConnectionStore(join(dir.path, "empty.yaml"));
    expect(() => resolveTarget(config(), empty)).toThrow("no hub is connected");
  });
});
