/** @module The one place that wires concrete parts into the services and routes use. */
import type { Server } from "bun";
import type { ServerConfig } from "../config";
import type { Stores } from "../db/stores";
import { describeError } from "../shared/errors";
import { parseCredits } from "../shared/money";
import { createAuth } from "./auth";
import { leaseWorkerTasks } from "./lease-worker";
import type { Logger } from "./log";
import { providerFor } from "./providers";
import { sendPlainHttpViaFetch } from "./providers/http";
import { createRequestLog } from "./request-log";
import { createAccessKeys } from "./services/access-keys";
import { createAccounts } from "./services/accounts";
import { createAgentPlatform } from "./services/agents";
import { resolvePlatformSettings } from "./services/agents/settings";
import { createCatalog } from "./services/catalog";
import { createCredits } from "./services/credits";
import { createCallRecorder } from "./services/gateway/call-recorder";
import { createCredentialHealth } from "./services/gateway/credential-health";
import { createGateway } from "./services/gateway/engine";
import { gatewayTasks } from "./services/gateway/maintenance";
import { createSecrets, type SecretMaterial } from "./services/secrets";
import { createStripeTopups } from "./services/stripe-topups";

/** Builds every service over the opened stores. */
export function buildServices(input: {
  stores: Stores;
  config: ServerConfig;
  material: SecretMaterial;
  log: Logger;
  now?: () => number;
}) {
  const { stores, config, material, log, now = Date.now } = input;
  sendPlainHttpViaFetch(config.upstreamHttpProxy);
  const logFailure = (what: string) => (error: unknown) => log.error(what, { error: describeError(error) });
  const secrets = createSecrets(material);
  const catalog = createCatalog({
    stores,
    secrets,
    creditsOverride: config.creditsOverride,
    storeContentOverride: config.storeContentOverride,
    now,
  });
  const recorder = createCallRecorder({ stores, onError: logFailure("call record write failed") });
  const credits = createCredits({ stores, catalog, secrets, now, recorder });
  const accounts = createAccounts({
    stores,
    secrets,
    now,
    onUserCreated: (user) =>
      parseCredits(config.signupCredits) === 0n
        ? Promise.resolve()
        : credits.grant({
            userId: user.id,
            amount: config.signupCredits,
            note: "signup",
            idempotencyKey: `signup:${user.id}`,
          }),
  });
  const health = createCredentialHealth({ stores, now, onError: logFailure("credential health write failed") });
  const gateway = createGateway({
    catalog,
    credits,
    health,
    recorder,
    providerFor,
    now,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    drainMs: config.streamDrainMs,
  });
  const topups = createStripeTopups({ config: config.stripe, credits });
  const agentPlatform = createAgentPlatform({
    stores: stores.platform,
    settings: resolvePlatformSettings(config, { trustedProxies: config.trustedProxies }),
    secrets,
    authenticateHubKey: accounts.authenticateKey,
    now,
    onError: logFailure("agent event poll failed"),
  });
  return {
    config,
    now,
    topups,
    stores,
    log,
    secrets,
    accounts,
    catalog,
    credits,
    health,
    recorder,
    gateway,
    auth: createAuth(accounts),
    accessKeys: createAccessKeys({ stores, accounts, secrets, now }),
    agentPlatform,
    requests: createRequestLog({ log, maxBodyBytes: config.maxBodyBytes }),
    /**
     * Writes what the request path queued (captures, call records, health, key use), first returning the credit
     * tranches hold beyond their calls' reservations, so the stored accounts then show only what calls in flight hold;
     * shutdown awaits it.
     */
    async flushWrites() {
      credits.releaseUnreserved();
      await recorder.flush();
      await health.flush();
      await accounts.recordKeyUse();
    },
    /** The periodic tasks `serve` runs in its background worker. */
    backgroundTasks: [
      { name: "reconcile credit holds", everyMs: 0, run: async () => void (await credits.reconcile()) },
      { name: "release idle credit tranches", everyMs: 0, run: async () => credits.sweepTranches() },
      ...gatewayTasks({
        stores,
        catalog,
        health,
        recorder,
        providerFor,
        probeEveryMs: config.credentialProbeMs,
        retentionMs: config.callRetentionMs,
        retentionRows: config.callRetentionRows,
        now,
      }),
      ...leaseWorkerTasks({
        platform: agentPlatform,
        tickMs: config.workerTickMs,
        auditRetentionMs: config.callRetentionMs,
        auditRetentionRows: config.callRetentionRows,
      }),
      { name: "record hub key use", everyMs: 0, run: accounts.recordKeyUse },
    ],
    /**
     * Copies the WAL into the database, on its own short cadence: autocheckpoint is off so no request pays for one,
     * and at full load a tick's worth of WAL took a few hundred milliseconds to sync, where 100 ms of it takes a few.
     */
    checkpointTask: { name: "checkpoint the database", everyMs: 0, run: stores.checkpoint },
    /** The socket address of the client (forwarded headers are not trusted). */
    clientAddress: (request: Request, server: Server<unknown> | null) =>
      server?.requestIP(request)?.address ?? "unknown",
    /** The URL the hub is reached at: --public-url, else the request's own origin. */
    publicBaseUrl: (request: Request) => config.publicUrl ?? new URL(request.url).origin,
  };
}

/** What createApp and the route plugins receive. */
export type AppDeps = ReturnType<typeof buildServices>;
