/** @module Wire types and paths shared by the hub's routes, its web pages and the CLI client. */

/** The component DID the AIGNE clients look for in discovery: the hub's "ai-kit" blocklet. */
export const HUB_COMPONENT_DID = "z8ia3xzq2tMq8CRHfaXj1BTYJyYnEcHbqP8cJ";
/** Discovery, always at the origin root: `GET /__blocklet__.js?type=json`. */
export const DISCOVERY_PATH = "/__blocklet__.js";
/** The access-key session of the CLI login: POST creates, GET `?sid=` polls, DELETE `?sid=` ends. */
export const ACCESS_KEY_SESSION_PATH = "/.well-known/service/api/access-key/session";
/** The approval page the CLI opens in a browser, with `?__token__=<base64url(session id)>`. */
export const ACCESS_KEY_PAGE_PATH = "/.well-known/service/gen-simple-access-key";
/** The page's own JSON API: GET `?token=` describes a request; POST `/approve` and `/deny` decide it. */
export const ACCESS_KEY_REQUEST_PATH = "/.well-known/service/api/access-key/request";
/** DELETE with a Bearer hub key revokes that key (the CLI's `hub remove` offers it). */
export const ACCESS_KEY_SELF_PATH = "/.well-known/service/api/access-key";
/** The browser session of the signed-in visitor: GET reads it, `sign-in` creates it. */
export const AUTH_SESSION_PATH = "/api/auth/session";
/** Email and password sign-in; answers a SignedInSession and sets the session cookie. */
export const AUTH_SIGN_IN_PATH = "/api/auth/sign-in";

/** One component of the discovery document. */
export interface BlockletComponent {
  did: string;
  name: string;
  title: string;
  mountPoint: string;
  status: "running";
}

/** The discovery document `GET /__blocklet__.js?type=json`; the clients read only `did` and `mountPoint`. */
export interface BlockletDiscovery {
  appName: string;
  appUrl: string;
  version: string;
  componentMountPoints: BlockletComponent[];
}

/** An access-key session as POST and GET return it; the key fields appear once it is approved. */
export interface AccessKeySessionBody {
  id: string;
  type: "access-key-simple";
  challenge: string;
  createdAt?: string;
  expireAt?: string | null;
  accessKeyId?: string;
  /** The hub key in CryptoJS "Salted__" format, keyed by `accessKeyId` and `challenge`. */
  accessKeySecret?: string;
}

/** What the approval page shows about a pending request, for a signed-in visitor. */
export interface AccessKeyRequestInfo {
  status: "pending";
  createdAt: string;
  expiresAt: string;
  creatorIp: string;
  userAgent: string;
}

/** The body of the page's approve and deny calls: the page's `__token__` and what the CLI said about itself. */
export interface AccessKeyDecisionBody {
  token: string;
  source?: string;
  appName?: string;
}

/** The outcome of an approve or deny call. */
export interface AccessKeyDecision {
  status: "approved" | "denied";
  /** The name of the minted key (approve only). */
  keyName?: string;
}

/** A user as the account routes render one. */
export interface PublicUser {
  id: string;
  did: string;
  email: string;
  name: string;
  role: "admin" | "user";
  createdAt: string;
}

/** The signed-in browser session: the user and the token unsafe requests echo in `x-csrf-token`. */
export interface SignedInSession {
  user: PublicUser;
  csrfToken: string;
}

/** The hub's error body; NOT_ENOUGH adds the payment `link`. */
export interface HubErrorBody {
  error: { type: string; message: string; link?: string; timestamp?: string };
}

/** `GET {api}/api/user/info`: who the key belongs to and, with billing on, the balance as decimal strings. */
export interface UserInfo {
  user: { did: string; fullName: string; email: string; avatar?: string | null };
  enableCredit: boolean;
  creditBalance: { balance: string; total: string; grantCount?: number; pendingCredit?: string } | null;
  paymentLink: string | null;
  profileLink: string | null;
  creditPrefix?: string;
}

/** Usage as `/api/v2/chat` reports it; `aigneHubCredits` only with billing on. */
export interface AigneUsage {
  inputTokens: number;
  outputTokens: number;
  aigneHubCredits?: number;
  creditPrefix?: "$" | "€" | "¥";
}

/** One SSE data frame of a streamed `/api/v2/chat`: text is appended, json keys are assigned. */
export interface AigneChatDelta {
  delta: {
    text?: { text?: string; thoughts?: string };
    json?: { model?: string; usage?: AigneUsage; [key: string]: unknown };
  };
}

/** Encodes a session id as the page's `__token__`: base64url of its UTF-8 bytes, without padding. */
export function encodeAccessKeyToken(sessionId: string): string {
  return Buffer.from(sessionId, "utf8").toString("base64url");
}

/** Decodes a `__token__` back into the session id; undefined when it is not base64url. */
export function decodeAccessKeyToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(token)) return undefined;
  return Buffer.from(token, "base64url").toString("utf8");
}
