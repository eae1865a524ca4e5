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

/** A hub key's limits in the account and admin APIs; null means no limit. Budgets are decimal credits. */
export interface HubKeyLimits {
  rpm: number | null;
  tpm: number | null;
  dailyBudget: string | null;
  monthlyBudget: string | null;
}

/** A hub key as `GET /api/keys` lists it: the hint only, never the key. */
export interface HubKeyView {
  id: string;
  name: string;
  hint: string;
  source: "admin" | "web" | "cli";
  createdAt: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  limits: HubKeyLimits;
}

/** `POST /api/keys`: the new key, which is never shown again, and its record. */
export interface IssuedHubKey {
  key: string;
  record: HubKeyView;
}

/** A credit account in decimal credits; `balance` is what is available (holds already taken off). */
export interface CreditAccountView {
  balance: string;
  total: string;
  grantCount: number;
  pendingCredit: string;
}

/** `GET /api/credits`: the caller's account, where to top up, and whether card checkout is configured. */
export interface CreditsOverview {
  enableCredit: boolean;
  account: CreditAccountView;
  paymentLink: string;
  cardTopUp: boolean;
}

/** `POST /api/credits/redeem`: what the code was worth and the account after it. */
export interface RedeemResult {
  redeemed: string;
  account: CreditAccountView;
}

/** `POST /api/credits/checkout`: the Stripe page to send the visitor to. */
export interface CheckoutSession {
  url: string;
  id: string;
}

/** One user's usage of one model on one UTC day; cost in decimal credits. */
export interface UsageDayView {
  day: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cost: string;
}

/** `GET /api/usage?days=`: daily usage per model since `since` (a UTC date). */
export interface UsageReport {
  since: string;
  usage: UsageDayView[];
}

/** One model call as `GET /api/calls` and `GET /api/admin/calls` render it. */
export interface CallView {
  id: string;
  requestId: string;
  createdAt: string;
  userId: string;
  keyId: string | null;
  appId: string | null;
  surface: string;
  type: "chat" | "embedding" | "image";
  requestedModel: string;
  model: string | null;
  credentialId: string | null;
  status: "success" | "failed" | "cancelled";
  stream: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  estimated: boolean;
  cost: string;
  latencyMs: number;
  ttftMs: number | null;
  errorType: string | null;
  errorMessage: string | null;
  attempts: { provider: string; credentialId: string | null; status: number | null; outcome: string; ms: number }[];
}

/** `GET /api/calls/:id` and `GET /api/admin/calls/:id`: one call, with what it asked and answered when stored. */
export interface CallDetailView extends CallView {
  /** The canonical request and the output (text, reasoning, tool calls); null unless contents were stored. */
  content: { request: unknown; response: unknown } | null;
}

/**
 * One entry of `GET /api/ai/models`; rates are decimal credits per token. The AIGNE client's schema requires the rates
 * as strings and `status` as an object or null.
 */
export interface AiModelInfo {
  model: string;
  type: string;
  provider: string;
  input_credits_per_token: string;
  output_credits_per_token: string;
  modelMetadata: Record<string, unknown>;
  providerDisplayName: string;
  status: { available: boolean };
}

/** A provider credential as operators see it: its hint, weight and health. */
export interface CredentialView {
  id: string;
  hint: string;
  weight: number;
  enabled: boolean;
  status: "active" | "cooling" | "invalid" | "disabled";
  invalidReason: string | null;
  cooldownUntil: string | null;
  requests: number;
  errors: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastUsedAt: string | null;
  createdAt: string | null;
}

/** `GET /api/admin/providers`: one provider with its credentials. */
export interface ProviderView {
  id: string;
  name: string;
  type: "openai" | "openai-compatible" | "anthropic" | "gemini";
  baseUrl: string;
  enabled: boolean;
  credentials: CredentialView[];
}

/** `POST /api/admin/credentials/:id/test`: whether the credential answered a cheap authenticated call. */
export interface CredentialTestResult {
  ok: boolean;
  latencyMs: number;
  /** Why it failed, safe to show. */
  message?: string;
}

/** A priced model as `GET /api/admin/models` lists it; rates are decimal credits per token. */
export interface ModelView {
  id: string;
  type: "chat" | "embedding" | "image";
  inputRate: string;
  outputRate: string;
  cachedInputRate: string | null;
  maxOutputTokens: number | null;
  fallbackModel: string | null;
  enabled: boolean;
  updatedAt: string | null;
}

/** `GET /api/admin/models`: the models and the aliases that point at them. */
export interface ModelCatalogView {
  models: ModelView[];
  aliases: { alias: string; target: string }[];
}

/** A user in the admin user list, with the credit account. */
export interface AdminUserView extends PublicUser {
  credits: CreditAccountView;
}

/** A credit ledger entry; amounts in decimal credits. */
export interface LedgerEntryView {
  id: string;
  kind: "grant" | "hold" | "capture" | "release" | "refund" | "adjustment";
  delta: string;
  amount: string;
  balanceAfter: string;
  reference: string | null;
  keyId: string | null;
  note: string | null;
  createdAt: string;
}

/** `GET|PATCH /api/admin/settings`: billing switches, storing call contents, and the call retention the env fixes. */
export interface HubSettingsView {
  enabled: boolean;
  paymentLink: string | null;
  lenient: boolean;
  /** Set when AIGNE_HUB_CREDITS pins billing on or off, which the setting then cannot change. */
  creditsOverride: boolean | null;
  /** Whether calls store their prompt and output (`audit.storeContent`, default off). */
  storeContent: boolean;
  /** Set when AIGNE_HUB_STORE_CONTENT pins storing contents on or off. */
  storeContentOverride: boolean | null;
  retention: { days: number; rows: number };
}
