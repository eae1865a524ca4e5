/** @module The hub credential store shared with the `aigne` CLI: ~/.aigne/aigne-hub-connected.yaml (wire §8.3). */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import type { ClientConfig } from "../config";
import { CommandError } from "../shared/errors";

/** The hub the `aigne` CLI treats as active when the store names none. */
export const OFFICIAL_HUB_URL = "https://hub.aigne.io";
const URL_FIELD = "AIGNE_HUB_API_URL";
const KEY_FIELD = "AIGNE_HUB_API_KEY";
const DEFAULT_ENTRY = "default";

/** One stored hub: the entry's host key, its API base URL and key, and whether it is the active one. */
export interface HubConnection {
  host: string;
  url: string;
  apiKey?: string;
  active: boolean;
}

/** The hub a command talks to, after the environment overrides; `source` says where the URL came from. */
export interface HubTarget {
  url: string;
  apiKey?: string;
  source: "argument" | "environment" | "store";
}

type StoreData = Record<string, unknown>;

/** Where the store lives under a home directory; a missing home is a clear failure, not a file in the cwd. */
export function storePathFor(homeDir: string | undefined): string {
  if (!homeDir) throw new CommandError("no home directory: set HOME so aigne-hub can find ~/.aigne");
  return join(homeDir, ".aigne", "aigne-hub-connected.yaml");
}

/** The origin of a URL, or the input itself when it does not parse. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** The store key of a URL as the `aigne` CLI computes it (`new URL(url).host`); a bare `host[:port]` is its own key. */
export function hostKeyOf(url: string): string {
  if (!url.includes("://")) return url.replace(/\/.*$/, "").toLowerCase();
  try {
    return new URL(url).host;
  } catch {
    throw new CommandError(`"${url}" is not a URL`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads, edits and writes the store file; every write replaces the file atomically with mode 0600. */
export function createConnectionStore(path: string) {
  /** Parses the file; a file that is not a YAML mapping is reported with its path and never rewritten. */
  function read(): StoreData {
    if (!existsSync(path)) return {};
    let parsed: unknown;
    try {
      parsed = parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw unreadable(error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error));
    }
    if (parsed === null || parsed === undefined) return {};
    if (!isRecord(parsed)) throw unreadable("it is not a mapping of hosts");
    return parsed;
  }

  function unreadable(reason: string): CommandError {
    return new CommandError(
      `cannot read the hub store ${path}: ${reason}`,
      "Fix or move that file (aigne-hub left it untouched), then run the command again.",
    );
  }

  function write(data: StoreData): void {
    // The aigne CLI's folder may already exist with its own mode; only a folder created here gets 0700.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, stringify(data), { mode: 0o600 });
    renameSync(temporary, path);
  }

  function activeOrigin(data: StoreData): string {
    const chosen = data[DEFAULT_ENTRY];
    const url = isRecord(chosen) && typeof chosen[URL_FIELD] === "string" ? chosen[URL_FIELD] : OFFICIAL_HUB_URL;
    return originOf(url);
  }

  function connections(data: StoreData): HubConnection[] {
    const active = activeOrigin(data);
    const found: HubConnection[] = [];
    for (const [host, entry] of Object.entries(data)) {
      if (host === DEFAULT_ENTRY || !isRecord(entry) || typeof entry[URL_FIELD] !== "string") continue;
      const url = entry[URL_FIELD];
      const apiKey = typeof entry[KEY_FIELD] === "string" ? entry[KEY_FIELD] : undefined;
      found.push({ host, url, apiKey, active: originOf(url) === active });
    }
    return found;
  }

  function lookup(data: StoreData, url: string): HubConnection | undefined {
    const host = hostKeyOf(url);
    return connections(data).find((c) => c.host === host || originOf(c.url) === originOf(url));
  }

  function requireConnection(data: StoreData, url: string): HubConnection {
    const found = lookup(data, url);
    if (found) return found;
    const known = connections(data).map((c) => c.url);
    throw new CommandError(
      `no hub ${url} in ${path}`,
      known.length ? `Connected hubs: ${known.join(", ")}` : "Run `aigne-hub hub connect <url>` first.",
    );
  }

  return {
    path,
    /** Every stored hub, in file order. */
    list: () => connections(read()),
    /** The hub the store marks active, if it holds it. */
    active: () => connections(read()).find((c) => c.active),
    /** The stored hub for a URL (matched by host, as the aigne CLI does), if any. */
    find: (url: string) => lookup(read(), url),
    /** Like find, but an unknown URL fails with the list of connected hubs. */
    get: (url: string) => requireConnection(read(), url),

    /** Stores a key under the URL's host and makes that hub the active one. */
    save(url: string, apiKey: string): HubConnection {
      const data = read();
      const host = hostKeyOf(url);
      data[host] = { [URL_FIELD]: url, [KEY_FIELD]: apiKey };
      data[DEFAULT_ENTRY] = { [URL_FIELD]: url };
      write(data);
      return { host, url, apiKey, active: true };
    },

    /** Makes a stored hub the active one. */
    use(url: string): HubConnection {
      const data = read();
      const found = requireConnection(data, url);
      data[DEFAULT_ENTRY] = { [URL_FIELD]: found.url };
      write(data);
      return { ...found, active: true };
    },

    /** Deletes a stored hub; when it was active, the first remaining hub becomes active (or none). */
    remove(url: string): { removed: HubConnection; active?: HubConnection } {
      const data = read();
      const removed = requireConnection(data, url);
      delete data[removed.host];
      if (removed.active) {
        const next = connections(data)[0];
        if (next) data[DEFAULT_ENTRY] = { [URL_FIELD]: next.url };
        else delete data[DEFAULT_ENTRY];
      }
      write(data);
      return { removed, active: connections(data).find((c) => c.active) };
    },
  };
}

/** The store's type, as commands receive it. */
export type ConnectionStore = ReturnType<typeof createConnectionStore>;

/**
 * Picks the hub a command talks to: a stored hub named by URL, else AIGNE_HUB_API_URL/AIGNE_HUB_URL, else the active
 * stored hub. The key of a named hub is its stored one; otherwise AIGNE_HUB_API_KEY wins over the stored key.
 */
export function resolveTarget(config: ClientConfig, store: ConnectionStore, url?: string): HubTarget {
  if (url) {
    const named = store.find(url);
    if (!named) throw new CommandError(`no hub ${url} in ${store.path}`, "Run `aigne-hub hub list` to see the hubs.");
    return { url: named.url, apiKey: named.apiKey, source: "argument" };
  }
  const chosen = config.hubUrl ?? store.active()?.url;
  if (!chosen) {
    throw new CommandError("no hub is connected", "Run `aigne-hub hub connect <url>`, or set AIGNE_HUB_API_URL.");
  }
  return {
    url: chosen,
    apiKey: config.apiKey ?? store.find(chosen)?.apiKey,
    source: config.hubUrl ? "environment" : "store",
  };
}

/** The store under the configured home directory. */
export const connectionStoreFor = (config: Pick<ClientConfig, "homeDir">): ConnectionStore =>
  createConnectionStore(storePathFor(config.homeDir));
