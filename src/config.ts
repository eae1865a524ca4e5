/** @module Configuration: flags > environment > .env files > defaults, resolved once into frozen objects. */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { type FlagSpec, type ParsedFlags, parseFlags, stringFlag } from "./shared/args";
import { UsageError } from "./shared/errors";

/** A flat view of the environment: the real one over the .env files. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Everything `serve` and the admin commands need; passed down, never global. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly scheme: "http" | "https";
  readonly publicUrl?: string;
  /** Master key material from AIGNE_HUB_SECRET; else data-dir/secret.key. */
  readonly secret?: string;
  /** From AIGNE_HUB_API_KEY_PEPPER; else data-dir/pepper.key. */
  readonly pepper?: string;
  readonly databaseUrl?: string;
  readonly workItemLeaseSeconds: number;
  readonly workerTickMs: number;
  readonly matchingParticipantCount: number;
  readonly publishMinCompletedWorkItems: number;
  /** Decimal string of credits each new user starts with. */
  readonly signupCredits: string;
  /** AIGNE_HUB_CREDITS=on|off; undefined leaves the stored setting (default on). */
  readonly creditsOverride?: boolean;
  /** AIGNE_HUB_STORE_CONTENT=on|off; undefined leaves the stored setting (default off). */
  readonly storeContentOverride?: boolean;
  readonly nodeEnv: string;
  readonly development: boolean;
  readonly shutdownGraceMs: number;
  readonly maxBodyBytes: number;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** How long an upstream may take to send response headers. */
  readonly upstreamTimeoutMs: number;
  /** HTTP_PROXY is set: plain-http upstreams then go through fetch, which honours it (and NO_PROXY). */
  readonly upstreamHttpProxy: boolean;
  /** How long a stream whose client left keeps reading upstream for the final usage. */
  readonly streamDrainMs: number;
  /** How often invalid provider credentials are probed. */
  readonly credentialProbeMs: number;
  /** Call records older than this are pruned. */
  readonly callRetentionMs: number;
  /** At most this many call records are kept. */
  readonly callRetentionRows: number;
  /** Proxies (CIDRs) whose X-Forwarded-For names the real client; none by default. */
  readonly trustedProxies: string[];
  /** Stripe Checkout top-ups; off unless a secret key is set. */
  readonly stripe?: {
    readonly secretKey: string;
    readonly webhookSecret?: string;
    readonly currency: string;
    /** Price of one credit in the currency's minor unit (cents). */
    readonly unitAmount: number;
    /** Another Stripe API origin (a proxy, or a test double). */
    readonly apiUrl?: string;
  };
}

/** The flags `serve` and every admin command accept for locating and opening the data dir. */
export const dataDirFlags: Record<string, FlagSpec> = {
  "data-dir": {
    type: "string",
    value: "DIR",
    help: "data directory (env AIGNE_HUB_DATA_DIR, default ./aigne-hub-data)",
  },
  "env-file": { type: "string", value: "FILE", help: "read this .env file after the default ones" },
};

/** The flags of `serve`. */
export const serveFlags: Record<string, FlagSpec> = {
  host: { type: "string", value: "HOST", help: "address to bind (env AIGNE_HUB_HOST, default 0.0.0.0)" },
  port: {
    type: "string",
    value: "PORT",
    help: "port to listen on, 0 picks a free one (env AIGNE_HUB_PORT, default 8090)",
  },
  ...dataDirFlags,
  "tls-cert": {
    type: "string",
    value: "FILE",
    help: "PEM certificate; with --tls-key serves HTTPS (env AIGNE_HUB_TLS_CERT)",
  },
  "tls-key": { type: "string", value: "FILE", help: "PEM private key (env AIGNE_HUB_TLS_KEY)" },
  "public-url": { type: "string", value: "URL", help: "URL the hub is reached at (env AIGNE_HUB_PUBLIC_URL)" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** The real environment and the working directory: the only reads of process state in the program. */
function processState(): { env: Environment; cwd: string } {
  return { env: { ...process.env }, cwd: process.cwd() };
}

/**
 * Merges the .env files (`.env`, `.env.local`, `.env.<NODE_ENV>`, `.env.<NODE_ENV>.local`, then `envFile`)
 * under the real environment: later files win, the real environment wins over every file.
 */
export function gatherEnvironment(input: { env: Environment; cwd: string; envFile?: string }): Environment {
  const nodeEnv = input.env.NODE_ENV;
  const names = [".env", ".env.local", ...(nodeEnv ? [`.env.${nodeEnv}`, `.env.${nodeEnv}.local`] : [])];
  const merged: Record<string, string | undefined> = {};
  for (const name of names) Object.assign(merged, readEnvFile(join(input.cwd, name), false));
  if (input.envFile) Object.assign(merged, readEnvFile(resolve(input.cwd, input.envFile), true));
  for (const [key, value] of Object.entries(input.env)) if (value !== undefined) merged[key] = value;
  return Object.freeze(merged);
}

function readEnvFile(path: string, required: boolean): Record<string, string> {
  if (!existsSync(path)) {
    if (required) throw new UsageError(`--env-file ${path} does not exist`);
    return {};
  }
  return parseDotenv(readFileSync(path));
}

/** Picks AIGNE_HUB_<name>, else the MVP alias AIHUB_<alias>. */
function pick(env: Environment, name: string, alias?: string): { value?: string; source: string } {
  const primary = env[`AIGNE_HUB_${name}`];
  if (primary !== undefined && primary !== "") return { value: primary, source: `AIGNE_HUB_${name}` };
  if (alias) {
    const legacy = env[`AIHUB_${alias}`];
    if (legacy !== undefined && legacy !== "") return { value: legacy, source: `AIHUB_${alias}` };
  }
  return { source: `AIGNE_HUB_${name}` };
}

function parsePort(value: string, source: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`invalid ${source} "${value}": expected a port number from 0 to 65535`);
  }
  return Number(value);
}

function parsePositiveNumber(value: string, source: string, options: { integer: boolean; min: number }): number {
  const pattern = options.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const parsed = Number(value);
  if (!pattern.test(value.trim()) || !Number.isFinite(parsed) || parsed < options.min || parsed === 0) {
    const kind = options.integer ? "a whole number" : "a number";
    throw new UsageError(`invalid ${source} "${value}": expected ${kind} of at least ${options.min || "more than 0"}`);
  }
  return parsed;
}

function numberSetting(
  env: Environment,
  name: string,
  alias: string | undefined,
  fallback: number,
  options: { integer: boolean; min: number },
): number {
  const { value, source } = pick(env, name, alias);
  return value === undefined ? fallback : parsePositiveNumber(value, source, options);
}

/** Splits the MVP's AIHUB_HTTP_ADDR (`:8080`, `127.0.0.1:8080`) into host and port. */
function parseListenAddress(value: string): { host?: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value.trim());
  if (!match) throw new UsageError(`invalid AIHUB_HTTP_ADDR "${value}": expected host:port or :port`);
  const host = match[1]?.replace(/^\[|\]$/g, "");
  return { host: host || undefined, port: parsePort(match[2]!, "AIHUB_HTTP_ADDR") };
}

function parseUrl(value: string, source: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
    return url.toString().replace(/\/$/, "");
  } catch {
    throw new UsageError(`invalid ${source} "${value}": expected an http(s) URL`);
  }
}

/** Parses AIGNE_HUB_TRUSTED_PROXIES: comma-separated IPv4/IPv6 addresses or CIDRs. */
function parseCidrs(value: string | undefined): string[] {
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address) && address.split(".").every((octet) => Number(octet) <= 255);
    const v6 = /^[0-9a-f:.]+$/i.test(address) && address.includes(":");
    const bits = prefix === undefined ? 0 : Number(prefix);
    if ((!v4 && !v6) || !/^\d*$/.test(prefix ?? "") || bits > (v4 ? 32 : 128)) {
      throw new UsageError(`invalid AIGNE_HUB_TRUSTED_PROXIES entry "${entry}": expected an IP address or CIDR`);
    }
  }
  return entries;
}

function parseSwitch(value: string | undefined, source: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new UsageError(`invalid ${source} "${value}": expected on or off`);
}

/** Resolves the server configuration from parsed flags and a gathered environment; pure, for unit tests. */
export function resolveServerConfig(flags: ParsedFlags, env: Environment, cwd: string): ServerConfig {
  const legacy = env.AIHUB_HTTP_ADDR ? parseListenAddress(env.AIHUB_HTTP_ADDR) : undefined;

  const portFlag = stringFlag(flags, "port");
  const portEnv = env.AIGNE_HUB_PORT;
  const port =
    portFlag !== undefined
      ? parsePort(portFlag, "--port")
      : portEnv
        ? parsePort(portEnv, "AIGNE_HUB_PORT")
        : (legacy?.port ?? 8090);
  const host = stringFlag(flags, "host") ?? (env.AIGNE_HUB_HOST || legacy?.host || "0.0.0.0");

  const dataDir = resolve(cwd, stringFlag(flags, "data-dir") ?? (env.AIGNE_HUB_DATA_DIR || "./aigne-hub-data"));
  const tlsCert = stringFlag(flags, "tls-cert") ?? (env.AIGNE_HUB_TLS_CERT || undefined);
  const tlsKey = stringFlag(flags, "tls-key") ?? (env.AIGNE_HUB_TLS_KEY || undefined);
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new UsageError("--tls-cert and --tls-key go together");

  const publicUrlValue = stringFlag(flags, "public-url") ?? (env.AIGNE_HUB_PUBLIC_URL || undefined);
  const nodeEnv = env.NODE_ENV || "production";
  const logLevel = (env.AIGNE_HUB_LOG_LEVEL || "info").toLowerCase();
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new UsageError(`invalid AIGNE_HUB_LOG_LEVEL "${logLevel}": expected debug, info, warn or error`);
  }
  const signupCredits = env.AIGNE_HUB_SIGNUP_CREDITS || "0";
  if (!/^\d+(\.\d{1,6})?$/.test(signupCredits)) {
    throw new UsageError(`invalid AIGNE_HUB_SIGNUP_CREDITS "${signupCredits}": expected a decimal amount`);
  }

  return Object.freeze({
    host,
    port,
    dataDir,
    tlsCert: tlsCert ? resolve(cwd, tlsCert) : undefined,
    tlsKey: tlsKey ? resolve(cwd, tlsKey) : undefined,
    scheme: tlsCert ? "https" : "http",
    publicUrl: publicUrlValue ? parseUrl(publicUrlValue, "--public-url") : undefined,
    secret: env.AIGNE_HUB_SECRET || undefined,
    pepper: pick(env, "API_KEY_PEPPER", "API_KEY_PEPPER").value,
    databaseUrl: pick(env, "DATABASE_URL", "DATABASE_URL").value,
    workItemLeaseSeconds: numberSetting(env, "WORK_ITEM_LEASE_SECONDS", "WORK_ITEM_LEASE_SECONDS", 300, {
      integer: true,
      min: 30,
    }),
    workerTickMs: Math.round(
      numberSetting(env, "WORKER_TICK_SECONDS", "WORKER_TICK_SECONDS", 5, { integer: false, min: 0 }) * 1000,
    ),
    matchingParticipantCount: numberSetting(env, "MATCHING_PARTICIPANT_COUNT", "MATCHING_PARTICIPANT_COUNT", 3, {
      integer: true,
      min: 1,
    }),
    publishMinCompletedWorkItems: numberSetting(
      env,
      "PUBLISH_MIN_COMPLETED_WORK_ITEMS",
      "PUBLISH_MIN_COMPLETED_WORK_ITEMS",
      1,
      { integer: true, min: 1 },
    ),
    signupCredits,
    creditsOverride: parseSwitch(env.AIGNE_HUB_CREDITS || undefined, "AIGNE_HUB_CREDITS"),
    storeContentOverride: parseSwitch(env.AIGNE_HUB_STORE_CONTENT || undefined, "AIGNE_HUB_STORE_CONTENT"),
    nodeEnv,
    development: nodeEnv === "development",
    shutdownGraceMs: numberSetting(env, "SHUTDOWN_GRACE_SECONDS", undefined, 30, { integer: false, min: 0 }) * 1000,
    maxBodyBytes: numberSetting(env, "MAX_BODY_BYTES", undefined, 32 * 1024 * 1024, { integer: true, min: 1024 }),
    logLevel: logLevel as ServerConfig["logLevel"],
    upstreamTimeoutMs:
      numberSetting(env, "UPSTREAM_TIMEOUT_SECONDS", undefined, 300, { integer: false, min: 0 }) * 1000,
    upstreamHttpProxy: Boolean(env.HTTP_PROXY || env.http_proxy),
    streamDrainMs: numberSetting(env, "STREAM_DRAIN_SECONDS", undefined, 10, { integer: false, min: 0 }) * 1000,
    credentialProbeMs:
      numberSetting(env, "CREDENTIAL_PROBE_SECONDS", undefined, 300, { integer: false, min: 0 }) * 1000,
    callRetentionMs: numberSetting(env, "CALL_RETENTION_DAYS", undefined, 90, { integer: false, min: 0 }) * 86_400_000,
    callRetentionRows: numberSetting(env, "CALL_RETENTION_ROWS", undefined, 1_000_000, { integer: true, min: 1 }),
    trustedProxies: parseCidrs(env.AIGNE_HUB_TRUSTED_PROXIES),
    stripe: env.AIGNE_HUB_STRIPE_SECRET_KEY
      ? {
          secretKey: env.AIGNE_HUB_STRIPE_SECRET_KEY,
          webhookSecret: env.AIGNE_HUB_STRIPE_WEBHOOK_SECRET || undefined,
          currency: (env.AIGNE_HUB_STRIPE_CURRENCY || "usd").toLowerCase(),
          unitAmount: numberSetting(env, "STRIPE_UNIT_AMOUNT", undefined, 1, { integer: true, min: 1 }),
          apiUrl: env.AIGNE_HUB_STRIPE_API_URL
            ? parseUrl(env.AIGNE_HUB_STRIPE_API_URL, "AIGNE_HUB_STRIPE_API_URL")
            : undefined,
        }
      : undefined,
  });
}

/** Parses `serve`/admin argv, gathers the environment and resolves; bad input is a UsageError. */
export function loadServerConfig(
  argv: string[],
  specs: Record<string, FlagSpec> = serveFlags,
): { config: ServerConfig; flags: ParsedFlags } {
  const flags = parseFlags(argv, specs);
  const state = processState();
  const env = gatherEnvironment({ ...state, envFile: stringFlag(flags, "env-file") });
  return { config: resolveServerConfig(flags, env, state.cwd), flags };
}

/** What the client half needs: where the credential store lives and the environment overrides. */
export interface ClientConfig {
  /** Undefined when neither HOME nor the user database names one; only commands that need it fail then. */
  readonly homeDir?: string;
  /** AIGNE_HUB_API_URL or AIGNE_HUB_URL, when set. */
  readonly hubUrl?: string;
  readonly apiKey?: string;
  readonly browser?: string;
  readonly port: number;
  readonly isTTY: boolean;
  readonly cwd: string;
}

/** The user's home from the user database, or undefined (a container user may have none). */
function userHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/** Resolves the client configuration from the environment (no .env files: the client runs anywhere). */
export function loadClientConfig(): ClientConfig {
  const { env, cwd } = processState();
  const home = env.HOME || userHome();
  const portValue = env.AIGNE_HUB_PORT;
  return Object.freeze({
    homeDir: home === undefined ? undefined : isAbsolute(home) ? home : resolve(cwd, home),
    hubUrl: env.AIGNE_HUB_API_URL || env.AIGNE_HUB_URL || undefined,
    apiKey: env.AIGNE_HUB_API_KEY || undefined,
    browser: env.BROWSER || undefined,
    port: portValue ? parsePort(portValue, "AIGNE_HUB_PORT") : 8090,
    isTTY: Boolean(process.stdin.isTTY),
    cwd,
  });
}

/** What `aigne-hub agent …` needs beyond the client configuration. */
export interface AgentConfig extends ClientConfig {
  /** AIGNE_HUB_AGENT_KEY (alias AIHUB_AGENT_API_KEY, the MVP connector's name): the agent key. */
  readonly agentKey?: string;
  /** The environment handed to an `--exec` command, so it sees what the agent sees. */
  readonly childEnv: Environment;
}

/** Resolves the agent runner's configuration from the environment. */
export function loadAgentConfig(): AgentConfig {
  const { env } = processState();
  return Object.freeze({
    ...loadClientConfig(),
    agentKey: env.AIGNE_HUB_AGENT_KEY || env.AIHUB_AGENT_API_KEY || undefined,
    childEnv: env,
  });
}
