/** @module Admin REST: the twins of the `aigne-hub admin` commands, for admin keys or admin sessions. */
import { Elysia, t } from "elysia";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";
import { publicKey, publicUser } from "../../services/accounts";
import { describeCredential, describeModel, describeProviders } from "../../services/catalog-views";

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
const AliasBody = t.Object({
  alias: t.String({ maxLength: 128 }),
  model: t.Union([t.String({ maxLength: 256 }), t.Null()]),
});

/** Users and keys, administered over HTTP with the same service calls as the CLI. */
export const adminRoutes = ({ accounts, auth, requests, catalog, stores }: AppDeps) =>
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
    .get("/providers", async () => ({ providers: describeProviders(await stores.catalog.snapshot()) }))
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
        return { credential: describeCredential(updated) };
      },
      { body: CredentialBody },
    )
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
    .post(
      "/aliases",
      async ({ body }) => {
        await catalog.setAlias(body.alias, body.model);
        return { alias: body.alias, model: body.model };
      },
      { body: AliasBody },
    );
