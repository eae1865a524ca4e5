/** @module Admin REST: the twins of the `aigne-hub admin` commands, for admin keys or admin sessions. */
import { Elysia, t } from "elysia";
import type { CredentialTestResult, HubSettingsView } from "../../../shared/api";
import { invalidRequest, notFound } from "../../../shared/errors";
import { isUlid } from "../../../shared/ids";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";
import { providerFor } from "../../providers";
import { UpstreamFailure } from "../../providers/types";
import { publicKey, publicUser } from "../../services/accounts";
import { publicCall, publicCallDetail } from "../../services/call-views";
import { describeCredential, describeModel, describeProviders } from "../../services/catalog-views";
import { describeAccount, publicEntry } from "../../services/credits";
import { LimitsBody } from "../account";

const UserBody = t.Object({
  email: t.String({ maxLength: 254 }),
  password: t.Optional(t.String({ maxLength: 1024 })),
  name: t.Optional(t.String({ maxLength: 128 })),
  role: t.Optional(t.Union([t.Literal("admin"), t.Literal("user")])),
});
const KeyBody = t.Object({ email: t.String({ maxLength: 254 }), name: t.Optional(t.String({ maxLength: 128 })) });
const ProviderBody = t.Object({
  name: t.String({ maxLength: 64 }),
  type: t.String({ maxLength: 32 }),
  baseUrl: t.Optional(t.String({ maxLength: 2048 })),
  apiKey: t.Optional(t.String({ maxLength: 4096 })),
  weight: t.Optional(t.Integer()),
  enabled: t.Optional(t.Boolean()),
  default: t.Optional(t.Boolean()),
});
const CredentialBody = t.Object({ weight: t.Optional(t.Integer()), enabled: t.Optional(t.Boolean()) });
const RateText = t.String({ maxLength: 40 });
const ModelBody = t.Object({
  model: t.String({ maxLength: 256 }),
  type: t.Optional(t.String({ maxLength: 16 })),
  inputRate: t.Optional(RateText),
  outputRate: t.Optional(RateText),
  cachedInputRate: t.Optional(t.Union([RateText, t.Null()])),
  maxOutputTokens: t.Optional(t.Union([t.Integer(), t.Null()])),
  fallbackModel: t.Optional(t.Union([t.String({ maxLength: 256 }), t.Null()])),
  enabled: t.Optional(t.Boolean()),
});
const GrantBody = t.Object({
  email: t.String({ maxLength: 254 }),
  amount: t.String({ maxLength: 32 }),
  note: t.Optional(t.String({ maxLength: 500 })),
});
const CodesBody = t.Object({
  amount: t.String({ maxLength: 32 }),
  count: t.Optional(t.Integer()),
  note: t.Optional(t.String({ maxLength: 500 })),
  expiresAt: t.Optional(t.String({ format: "date-time" })),
});
const SettingsBody = t.Object({
  creditsEnabled: t.Optional(t.Boolean()),
  paymentLink: t.Optional(t.Union([t.String({ maxLength: 2048 }), t.Null()])),
  lenient: t.Optional(t.Boolean()),
  storeContent: t.Optional(t.Boolean()),
});
const CSV_COLUMNS = [
  "createdAt",
  "id",
  "userId",
  "keyId",
  "appId",
  "surface",
  "type",
  "requestedModel",
  "model",
  "status",
  "stream",
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "estimated",
  "cost",
  "latencyMs",
  "ttftMs",
  "errorType",
] as const;

/** Renders call records as CSV, quoting every field that needs it. */
function callsCsv(calls: ReturnType<typeof publicCall>[]): string {
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [
    CSV_COLUMNS.join(","),
    ...calls.map((call) => CSV_COLUMNS.map((column) => cell(call[column])).join(",")),
  ].join("\r\n");
}

const AliasBody = t.Object({
  alias: t.String({ maxLength: 128 }),
  model: t.Union([t.String({ maxLength: 256 }), t.Null()]),
});

const PROBE_TIMEOUT_MS = 10_000;

/** Billing and content-storing settings plus what the environment fixes, so the console can show both. */
async function hubSettings({
  credits,
  catalog,
  config,
}: Pick<AppDeps, "credits" | "catalog" | "config">): Promise<HubSettingsView> {
  return {
    ...(await credits.settings()),
    creditsOverride: config.creditsOverride ?? null,
    storeContent: (await catalog.view()).storeContent,
    storeContentOverride: config.storeContentOverride ?? null,
    retention: { days: config.callRetentionMs / 86_400_000, rows: config.callRetentionRows },
  };
}

/** Probes one credential with its provider's cheap authenticated call; a pass clears invalid marks and cooldowns. */
async function testCredential(
  { catalog, health, now }: Pick<AppDeps, "catalog" | "health" | "now">,
  id: string,
): Promise<CredentialTestResult> {
  const view = await catalog.view();
  for (const provider of view.providers) {
    const credential = view.credentialsByProvider.get(provider.id)?.find((c) => c.id === id);
    if (!credential) continue;
    const started = now();
    try {
      await providerFor(provider.type).probe(
        { baseUrl: provider.baseUrl, apiKey: credential.apiKey, timeoutMs: PROBE_TIMEOUT_MS },
        AbortSignal.timeout(PROBE_TIMEOUT_MS),
      );
      health.restore(credential);
      return { ok: true, latencyMs: now() - started };
    } catch (error) {
      // UpstreamFailure messages are safe to show; anything else could carry internals.
      const message = error instanceof UpstreamFailure ? error.message : "the provider could not be reached";
      return { ok: false, latencyMs: now() - started, message };
    }
  }
  throw notFound("no credential with that id");
}

/** Users and keys, administered over HTTP with the same service calls as the CLI. */
export const adminRoutes = ({ accounts, auth, requests, catalog, stores, credits, health, config, now }: AppDeps) =>
  new Elysia({ name: "routes:admin", prefix: "/api/admin" })
    .use(surfaceErrors(requests, "admin", renderHubError))
    // Transform runs before body validation, so an unauthenticated caller learns nothing about the body rules.
    .onTransform(async ({ request }) => {
      await auth.adminCaller(request);
    })
    .post(
      "/users",
      async ({ body, set }) => {
        const { user, created } = await accounts.upsertUser(body);
        set.status = created ? 201 : 200;
        return { user: publicUser(user), created };
      },
      { body: UserBody },
    )
    .get("/keys", async ({ query }) => {
      const user = await accounts.requireUserByEmail(String(query.email ?? ""));
      return { keys: (await accounts.listHubKeys(user.id)).map(publicKey) };
    })
    .post(
      "/keys",
      async ({ body, set }) => {
        const user = await accounts.requireUserByEmail(body.email);
        const issued = await accounts.issueHubKey({ userId: user.id, name: body.name, source: "admin" });
        set.status = 201;
        set.headers["cache-control"] = "no-store";
        return { key: issued.key, record: publicKey(issued.record) };
      },
      { body: KeyBody },
    )
    .delete("/keys/:id", async ({ params }) => ({
      record: publicKey(await accounts.revokeHubKey({ id: params.id })),
    }))
    .get("/providers", async () => ({ providers: describeProviders(await stores.catalog.snapshot(), now()) }))
    .post(
      "/providers",
      async ({ body }) => {
        const result = await catalog.setProvider(body);
        if (body.default) await catalog.setSetting("gateway.defaultProvider", result.provider.name);
        return { provider: result.provider, created: result.created, credentialId: result.credentialId ?? null };
      },
      { body: ProviderBody },
    )
    .patch(
      "/credentials/:id",
      async ({ params, body }) => {
        const updated = await catalog.updateCredential({ id: params.id, ...body });
        return { credential: describeCredential(updated, now()) };
      },
      { body: CredentialBody },
    )
    .post("/credentials/:id/test", ({ params }) => testCredential({ catalog, health, now }, params.id))
    .delete("/credentials/:id", async ({ params }) => {
      await catalog.removeCredential(params.id);
      return {};
    })
    .get("/models", async () => {
      const snapshot = await stores.catalog.snapshot();
      const names = new Map(snapshot.providers.map((p) => [p.id, p.name]));
      return {
        models: snapshot.models.map((m) => describeModel(m, names.get(m.providerId) ?? "?")),
        aliases: snapshot.aliases,
      };
    })
    .post(
      "/models",
      async ({ body }) => {
        const result = await catalog.setModel(body);
        return { model: describeModel(result.model, result.id.split("/")[0]!), created: result.created };
      },
      { body: ModelBody },
    )
    .get("/users", async ({ query }) => {
      const limit = Math.min(200, Math.max(1, Number(query.limit ?? 50) || 50));
      const offset = Math.max(0, Number(query.offset ?? 0) || 0);
      const users = await stores.accounts.listUsers({
        query: typeof query.q === "string" ? query.q : undefined,
        limit,
        offset,
      });
      return {
        users: await Promise.all(
          users.map(async (user) => ({
            ...publicUser(user),
            credits: describeAccount(await credits.account(user.id)),
          })),
        ),
      };
    })
    .post(
      "/credits/grant",
      async ({ body, request }) => {
        const user = await accounts.requireUserByEmail(body.email);
        const result = await credits.grant({
          userId: user.id,
          amount: body.amount,
          note: body.note,
          idempotencyKey: request.headers.get("idempotency-key") ?? undefined,
        });
        return { applied: result.applied, entry: publicEntry(result.entry), account: describeAccount(result.account) };
      },
      { body: GrantBody },
    )
    .get("/credits/ledger", async ({ query }) => {
      const user = await accounts.requireUserByEmail(String(query.email ?? ""));
      const limit = Math.min(500, Math.max(1, Number(query.limit ?? 100) || 100));
      // A page goes on from the entry id the previous page ended with (`next`), so entries added meanwhile shift nothing.
      const before = query.before === undefined ? undefined : String(query.before);
      if (before !== undefined && !isUlid(before)) {
        throw invalidRequest("before must be an entry id, the `next` of the previous page", "before");
      }
      const entries = await stores.ledger.entries(user.id, limit, before);
      return {
        account: describeAccount(await credits.account(user.id)),
        entries: entries.map(publicEntry),
        next: entries.length === limit ? entries.at(-1)!.id : null,
      };
    })
    .post(
      "/redeem-codes",
      async ({ body, set }) => {
        const codes = await credits.createRedeemCodes({
          amount: body.amount,
          count: body.count,
          note: body.note,
          expiresAt: body.expiresAt ? Date.parse(body.expiresAt) : undefined,
        });
        set.status = 201;
        set.headers["cache-control"] = "no-store";
        return { codes };
      },
      { body: CodesBody },
    )
    .get("/settings", () => hubSettings({ credits, catalog, config }))
    .patch(
      "/settings",
      async ({ body }) => {
        if (body.creditsEnabled !== undefined) await catalog.setSetting("credits.enabled", body.creditsEnabled);
        if (body.lenient !== undefined) await catalog.setSetting("credits.lenient", body.lenient);
        if (body.paymentLink !== undefined)
          await catalog.setSetting("credits.paymentLink", body.paymentLink ? validUrl(body.paymentLink) : null);
        if (body.storeContent !== undefined) await catalog.setSetting("audit.storeContent", body.storeContent);
        return hubSettings({ credits, catalog, config });
      },
      { body: SettingsBody },
    )
    .patch(
      "/keys/:id/limits",
      async ({ params, body }) => ({ limits: await accounts.setKeyLimits({ id: params.id, ...body }) }),
      { body: LimitsBody },
    )
    .get("/calls", async ({ query, set }) => {
      const limit = Math.min(10_000, Math.max(1, Number(query.limit ?? 100) || 100));
      const user =
        typeof query.email === "string" && query.email ? await accounts.requireUserByEmail(query.email) : null;
      const status =
        query.status === "success" || query.status === "failed" || query.status === "cancelled"
          ? query.status
          : undefined;
      const calls = (
        await stores.calls.list({
          userId: user?.id,
          model: typeof query.model === "string" && query.model ? query.model : undefined,
          status,
          since: query.since ? Date.parse(String(query.since)) || undefined : undefined,
          until: query.until ? Date.parse(String(query.until)) || undefined : undefined,
          limit,
        })
      ).map(publicCall);
      if (query.format !== "csv") return { calls };
      set.headers["content-type"] = "text/csv; charset=utf-8";
      set.headers["content-disposition"] = 'attachment; filename="calls.csv"';
      return callsCsv(calls);
    })
    .get("/calls/:id", async ({ params }) => {
      const found = await stores.calls.find(params.id);
      if (!found) throw notFound("no call with that id");
      return { call: publicCallDetail(found) };
    })
    .post(
      "/aliases",
      async ({ body }) => {
        await catalog.setAlias(body.alias, body.model);
        return { alias: body.alias, model: body.model };
      },
      { body: AliasBody },
    );

function validUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "https:" || url.protocol === "http:") return url.toString();
  } catch {
    // Reported below.
  }
  throw invalidRequest("paymentLink must be an absolute http(s) URL", "paymentLink");
}
