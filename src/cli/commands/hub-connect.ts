/** @module `aigne-hub hub connect [url] [--api-key K]`: check the URL is a hub, sign in through the browser, store. */
import * as p from "@clack/prompts";
import { loadClientConfig } from "../../config";
import { decryptAccessKeySecret } from "../../shared/access-key-crypto";
import { ACCESS_KEY_PAGE_PATH, type AccessKeySessionBody, encodeAccessKeyToken } from "../../shared/api";
import { type FlagSpec, formatFlags, stringFlag } from "../../shared/args";
import { CommandError, UsageError } from "../../shared/errors";
import {
  type DiscoveredHub,
  discoverHub,
  endAccessKeySession,
  fetchUserInfo,
  openAccessKeySession,
  parseHubUrl,
  pollAccessKeySession,
} from "../api-client";
import { openInBrowser } from "../browser";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { type ConnectionStore, connectionStoreFor, OFFICIAL_HUB_URL } from "../connections";
import { ask, choose } from "../prompts";

const flags: Record<string, FlagSpec> = {
  "api-key": { type: "string", value: "KEY", help: "store this hub API key instead of signing in through a browser" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

const HELP = `Usage: aigne-hub hub connect [url] [flags]

Checks that <url> is an AIGNE Hub, then signs in: without --api-key it opens the hub's approval page in a browser
(and prints its URL), waits for you to approve, and stores the new key. The hub becomes the active one. The store is
~/.aigne/aigne-hub-connected.yaml, shared with the aigne CLI. Without <url> on a terminal it asks which hub.

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub hub connect https://hub.example.com
  aigne-hub hub connect http://127.0.0.1:8090 --api-key "$AIGNE_HUB_API_KEY"
`;

/** The CLI polls this often, as the aigne CLI does. */
const POLL_INTERVAL_MS = 1_500;
/** Gives up waiting after this long; the hub expires a pending request sooner. */
const WAIT_LIMIT_MS = 20 * 60_000;
const SOURCE = "aigne-hub hub connect";
const APP_NAME = "aigne-hub CLI";

/** Asks which hub to connect to: the official one or a URL typed in. */
async function askForUrl(isTTY: boolean): Promise<string> {
  const choice = await choose({
    isTTY,
    missing: "<url> (the hub to connect to)",
    message: "Which hub do you want to connect to?",
    options: [
      { value: "official", label: `Official hub (${OFFICIAL_HUB_URL})` },
      { value: "custom", label: "Another hub URL" },
    ],
  });
  if (choice === "official") return OFFICIAL_HUB_URL;
  return ask({
    isTTY,
    missing: "<url>",
    message: "Hub URL",
    placeholder: "https://hub.example.com",
    validate: (value) => {
      try {
        parseHubUrl(value);
        return undefined;
      } catch (error) {
        return error instanceof Error ? error.message : "not a URL";
      }
    },
  });
}

/** The approval page for a session, with the query the aigne CLI sends (form-encoded by URLSearchParams). */
function approvalPageUrl(origin: string, sessionId: string): string {
  const query = new URLSearchParams({
    __token__: encodeAccessKeyToken(sessionId),
    source: SOURCE,
    closeOnSuccess: "true",
    cli: "true",
    appName: ` ${APP_NAME}`,
  });
  return `${origin}${ACCESS_KEY_PAGE_PATH}?${query}`;
}

/** Runs the browser login (aigne-hub-wire.md §3.1) and returns the decrypted key. */
async function signInThroughBrowser(hub: DiscoveredHub, options: { isTTY: boolean; browser?: string }) {
  const session = await openAccessKeySession(hub.origin);
  const page = approvalPageUrl(hub.origin, session.id);
  process.stderr.write(`Approve the sign-in in your browser:\n\n  ${page}\n\n`);
  if (!openInBrowser(page, options.browser)) {
    process.stderr.write("Could not start a browser; open the URL above yourself.\n");
  }
  // Progress goes to stderr: stdout carries only the command's result.
  const spinner = options.isTTY ? p.spinner({ output: process.stderr }) : undefined;
  spinner?.start("Waiting for approval…");
  try {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    let count = 0;
    while (!isApproved(await pollAccessKeySession(hub.origin, session.id, count++))) {
      if (Date.now() > deadline) throw new CommandError("gave up waiting for approval", "Run the command again.");
      await Bun.sleep(POLL_INTERVAL_MS);
    }
    // Decrypt with the values of one more read, as the protocol's reference client does.
    const key = decryptKey(await pollAccessKeySession(hub.origin, session.id, count));
    await endAccessKeySession(hub.origin, session.id).catch((error: unknown) => {
      process.stderr.write(`warning: the hub did not end the sign-in session: ${messageOf(error)}\n`);
    });
    spinner?.stop("Approved.");
    return key;
  } catch (error) {
    spinner?.error("Not connected.");
    throw error;
  }
}

/** A poll answer carries the key once the browser approved. */
const isApproved = (session: AccessKeySessionBody) => Boolean(session.accessKeyId && session.accessKeySecret);

/** Decrypts the handed-over key; CryptoJS would yield "" for a wrong key, so an empty result is a failure too. */
function decryptKey(session: AccessKeySessionBody): string {
  try {
    const key = decryptAccessKeySecret({
      ciphertext: session.accessKeySecret ?? "",
      accessKeyId: session.accessKeyId ?? "",
      challenge: session.challenge,
    });
    if (key) return key;
  } catch {
    // Falls through to the same failure as an empty result.
  }
  throw new CommandError("the hub sent a key that cannot be decrypted", "Run the command again.");
}

/** The message of a thrown value, for a warning line. */
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `hub connect`. */
export const hubConnect: DescribedCommand = {
  summary: "connect to a hub and make it the active one",
  async run(argv: string[]): Promise<number> {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    if (parsed.positionals.length > 1) throw new UsageError("connect takes one <url>");
    const config = loadClientConfig();
    const store = connectionStoreFor(config);
    store.list(); // An unreadable store fails here, before anything is asked or fetched.
    const url = parsed.positionals[0] ?? (await askForUrl(config.isTTY));
    const hub = await discoverHub(url);
    const given = stringFlag(parsed, "api-key")?.trim();
    if (given !== undefined) {
      if (!given) throw new UsageError("--api-key is empty");
      await fetchUserInfo(hub.apiBase, given);
      store.save(hub.apiBase, given);
    } else if (!(await reuseStoredKey(store, hub))) {
      store.save(hub.apiBase, await signInThroughBrowser(hub, config));
    }
    process.stdout.write(`Connected to ${hub.apiBase}; it is now the active hub.\n`);
    return 0;
  },
};

/** Makes an already stored hub active when its key still works, so connecting again does not mint another key. */
async function reuseStoredKey(store: ConnectionStore, hub: DiscoveredHub): Promise<boolean> {
  const stored = store.find(hub.apiBase);
  if (!stored?.apiKey) return false;
  try {
    await fetchUserInfo(hub.apiBase, stored.apiKey);
  } catch (error) {
    process.stderr.write(`The stored key for ${hub.origin} no longer works (${messageOf(error)}); signing in again.\n`);
    return false;
  }
  store.use(stored.url);
  return true;
}
