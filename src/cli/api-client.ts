/** @module The only code that talks HTTP to a hub: discovery, the access-key login, user info, revocation and chat. */
import {
  ACCESS_KEY_SELF_PATH,
  ACCESS_KEY_SESSION_PATH,
  type AccessKeySessionBody,
  type AigneChatDelta,
  type BlockletDiscovery,
  DISCOVERY_PATH,
  HUB_COMPONENT_DID,
  type HubErrorBody,
  type UserInfo,
} from "../shared/api";
import { CommandError } from "../shared/errors";
import { readSse } from "./sse";

/** Discovery and session calls get what the aigne client allows them. */
const CONTROL_TIMEOUT_MS = 8_000;
/** A streamed chat sends its headers at once; a non-streaming one may take up to this long. */
const CHAT_HEADERS_TIMEOUT_MS = 60_000;
const CLIENT_ID = "aigne-hub-cli";

/** A hub found by discovery: its origin and the API base (origin + mount point) the AIGNE routes live under. */
export interface DiscoveredHub {
  origin: string;
  apiBase: string;
}

/** One chat turn as `/api/v2/chat` takes it; `agent` is the assistant. */
export interface ChatMessage {
  role: "system" | "user" | "agent";
  content: string;
}

/** Parses a URL the user typed; only http and https are hubs. */
export function parseHubUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CommandError(`"${url}" is not a URL`, "Give the hub's address, e.g. https://hub.example.com");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CommandError(`"${url}" is not an http(s) URL`);
  }
  return parsed;
}

/** Joins an origin and a mount point the way the aigne CLI stores it: no trailing slash. */
export function joinMountPoint(origin: string, mountPoint: string): string {
  const path = mountPoint.replace(/^\/+|\/+$/g, "");
  return path ? `${origin}/${path}` : origin;
}

/** The first http(s) URL in a message, e.g. the top-up link of a NOT_ENOUGH error. */
const firstUrl = (text: string) => /https?:\/\/\S+/.exec(text)?.[0];

/** Reads an error response into a CommandError whose hint says what to do next. */
async function errorFrom(response: Response, what: string, origin: string): Promise<CommandError> {
  const text = await response.text().catch(() => "");
  let body: Partial<HubErrorBody> | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const message = body?.error?.message ?? (text.trim().slice(0, 200) || response.statusText);
  switch (response.status) {
    case 401:
      return new CommandError(
        `${what}: the hub did not accept the API key (${message})`,
        `Run \`aigne-hub hub connect ${origin}\` to sign in again.`,
      );
    case 402: {
      const link = body?.error?.link ?? firstUrl(message);
      return new CommandError(
        message,
        link ? `Buy credits at ${link}, then try again.` : "Buy credits on the hub, then try again.",
      );
    }
    case 429:
      return new CommandError(
        `${what}: ${message}`,
        `Wait ${response.headers.get("retry-after") ?? "a while"} seconds and try again.`,
      );
    default:
      return new CommandError(`${what} failed with HTTP ${response.status}: ${message}`);
  }
}

/** Fetches with a deadline for the response headers; network failures become one readable CommandError. */
async function send(url: string, init: RequestInit, what: string, timeoutMs: number): Promise<Response> {
  const origin = new URL(url).origin;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) {
      throw new CommandError(`${what}: ${origin} did not answer within ${timeoutMs / 1000} s`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    const hint = /certificate|self.signed|TLS|SSL/i.test(reason)
      ? "The hub's TLS certificate is not trusted here; for a private CA set NODE_EXTRA_CA_CERTS=<ca.pem>."
      : "Check the URL and that the hub is running.";
    throw new CommandError(`${what}: cannot reach ${origin} (${reason})`, hint);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a JSON body, or fails naming what was expected. */
async function jsonOf<T>(response: Response, what: string): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    throw new CommandError(`${what}: the answer is not JSON`);
  }
}

const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

/** Checks that a URL is a hub: its origin serves discovery with the hub component; returns the API base. */
export async function discoverHub(url: string): Promise<DiscoveredHub> {
  const { origin } = parseHubUrl(url);
  const response = await send(`${origin}${DISCOVERY_PATH}?type=json`, {}, "discovery", CONTROL_TIMEOUT_MS);
  const notHub = (why: string) =>
    new CommandError(`${origin} is not an AIGNE Hub: ${why}`, "Check the URL; it should be the hub's address.");
  if (!response.ok) throw notHub(`${DISCOVERY_PATH}?type=json answered HTTP ${response.status}`);
  const document = (await response.json().catch(() => undefined)) as Partial<BlockletDiscovery> | undefined;
  const component = Array.isArray(document?.componentMountPoints)
    ? document.componentMountPoints.find((c) => c?.did === HUB_COMPONENT_DID)
    : undefined;
  if (!component || typeof component.mountPoint !== "string") {
    throw notHub("its discovery document names no hub component");
  }
  return { origin, apiBase: joinMountPoint(origin, component.mountPoint) };
}

/** Opens an access-key session for the browser login. */
export async function openAccessKeySession(origin: string): Promise<AccessKeySessionBody> {
  const what = "starting the sign-in";
  const response = await send(`${origin}${ACCESS_KEY_SESSION_PATH}`, { method: "POST" }, what, CONTROL_TIMEOUT_MS);
  if (!response.ok) throw await errorFrom(response, what, origin);
  const session = await jsonOf<AccessKeySessionBody>(response, what);
  if (typeof session.id !== "string" || typeof session.challenge !== "string") {
    throw new CommandError(`${what}: the hub sent no session id or challenge`);
  }
  return session;
}

/** Polls a session; a denial and an expired or unknown session end the login with a clear message. */
export async function pollAccessKeySession(
  origin: string,
  sessionId: string,
  requestCount: number,
): Promise<AccessKeySessionBody> {
  const what = "waiting for approval";
  const response = await send(
    `${origin}${ACCESS_KEY_SESSION_PATH}?sid=${encodeURIComponent(sessionId)}`,
    { headers: { "x-request-count": String(requestCount) } },
    what,
    CONTROL_TIMEOUT_MS,
  );
  if (response.status === 403) throw new CommandError("access was denied in the browser; nothing was stored");
  if (response.status === 404) {
    throw new CommandError("the sign-in request expired or was already used", "Run the connect command again.");
  }
  if (!response.ok) throw await errorFrom(response, what, origin);
  return jsonOf<AccessKeySessionBody>(response, what);
}

/** Ends a session so the hub erases the handed-over secret. */
export async function endAccessKeySession(origin: string, sessionId: string): Promise<void> {
  const what = "ending the sign-in";
  const response = await send(
    `${origin}${ACCESS_KEY_SESSION_PATH}?sid=${encodeURIComponent(sessionId)}`,
    { method: "DELETE" },
    what,
    CONTROL_TIMEOUT_MS,
  );
  if (!response.ok) throw await errorFrom(response, what, origin);
}

/** Who a key belongs to and, with billing on, their balance: `GET {api}/api/user/info`, with the scheme as stored. */
export async function fetchUserInfo(apiBase: string, apiKey: string): Promise<UserInfo> {
  const what = "reading the account";
  const response = await send(`${apiBase}/api/user/info`, { headers: bearer(apiKey) }, what, CONTROL_TIMEOUT_MS);
  if (!response.ok) throw await errorFrom(response, what, new URL(apiBase).origin);
  const info = await jsonOf<UserInfo>(response, what);
  if (typeof info?.user !== "object" || info.user === null) throw new CommandError(`${what}: the answer has no user`);
  return info;
}

/** Revokes the presented key on an aigne-hub server (the original hub has no such call). */
export async function revokeHubKey(origin: string, apiKey: string): Promise<void> {
  const what = "revoking the key";
  const response = await send(
    `${origin}${ACCESS_KEY_SELF_PATH}`,
    { method: "DELETE", headers: bearer(apiKey) },
    what,
    CONTROL_TIMEOUT_MS,
  );
  if (!response.ok) throw await errorFrom(response, what, origin);
}

/**
 * Streams a chat answer from `{api}/api/v2/chat`: yields each delta as it arrives; an `event: error` frame or an
 * error status before the stream becomes a CommandError.
 */
export async function* streamChat(input: {
  apiBase: string;
  apiKey: string;
  model: string;
  messages: ChatMessage[];
}): AsyncGenerator<AigneChatDelta> {
  const what = "the chat request";
  const response = await send(
    `${input.apiBase}/api/v2/chat`,
    {
      method: "POST",
      headers: { ...bearer(input.apiKey), "content-type": "application/json", "x-aigne-hub-client-did": CLIENT_ID },
      body: JSON.stringify({
        input: { messages: input.messages, modelOptions: { model: input.model } },
        agent: "$CHAT_MODEL",
        options: { streaming: true },
      }),
    },
    what,
    CHAT_HEADERS_TIMEOUT_MS,
  );
  if (!response.ok) throw await errorFrom(response, what, new URL(input.apiBase).origin);
  if (!response.body) return;
  for await (const event of readSse(response.body)) {
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      throw new CommandError("the hub sent an answer event that is not JSON");
    }
    if (event.event === "error") {
      const message = (payload as { message?: string } | null)?.message ?? event.data;
      throw new CommandError(`the hub stopped the answer: ${message}`);
    }
    if (event.event === undefined && typeof payload === "object" && payload !== null && "delta" in payload) {
      yield payload as AigneChatDelta;
    }
  }
}
