/** @module Admin REST: the twins of the `aigne-hub admin` commands, for admin keys or admin sessions. */
import { Elysia, t } from "elysia";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";
import { publicKey, publicUser } from "../../services/accounts";

const UserBody = t.Object({
  email: t.String({ maxLength: 254 }),
  password: t.Optional(t.String({ maxLength: 1024 })),
  name: t.Optional(t.String({ maxLength: 128 })),
  role: t.Optional(t.Union([t.Literal("admin"), t.Literal("user")])),
});
const KeyBody = t.Object({ email: t.String({ maxLength: 254 }), name: t.Optional(t.String({ maxLength: 128 })) });

/** Users and keys, administered over HTTP with the same service calls as the CLI. */
export const adminRoutes = ({ accounts, auth, requests }: AppDeps) =>
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
    }));
