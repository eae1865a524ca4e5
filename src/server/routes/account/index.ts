/** @module Account surface: browser sign-in/out and the caller's own hub keys. */
import { Elysia, t } from "elysia";
import { notFound, unauthorized } from "../../../shared/errors";
import { formatCredits } from "../../../shared/money";
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from "../../auth";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";
import { publicKey, publicUser } from "../../services/accounts";
import { publicCall, publicCallDetail } from "../../services/call-views";
import { defaultPaymentLink, describeAccount } from "../../services/credits";

const SignInBody = t.Object({ email: t.String({ maxLength: 254 }), password: t.String({ maxLength: 1024 }) });
const KeyBody = t.Object({ name: t.Optional(t.String({ maxLength: 128 })) });
const Budget = t.Union([t.String({ maxLength: 32 }), t.Null()]);
/** Limits of a hub key; null clears one, an absent field keeps it. */
export const LimitsBody = t.Object({
  rpm: t.Optional(t.Union([t.Integer(), t.Null()])),
  tpm: t.Optional(t.Union([t.Integer(), t.Null()])),
  dailyBudget: t.Optional(Budget),
  monthlyBudget: t.Optional(Budget),
});

/** Sign-in sets an HttpOnly, SameSite=Lax session cookie (Secure under TLS); keys are listed, minted, revoked. */
export const accountRoutes = ({
  accounts,
  auth,
  requests,
  config,
  clientAddress,
  credits,
  stores,
  publicBaseUrl,
  topups,
}: AppDeps) => {
  const secure = config.scheme === "https";
  return (
    new Elysia({ name: "routes:account" })
      .use(surfaceErrors(requests, "account", renderHubError))
      .post(
        "/api/auth/sign-in",
        async ({ body, request, server, set }) => {
          const result = await accounts.signIn({
            email: body.email,
            password: body.password,
            ip: clientAddress(request, server),
            userAgent: request.headers.get("user-agent") ?? "",
          });
          set.headers["set-cookie"] = sessionCookie(result.token, secure);
          set.headers["cache-control"] = "no-store";
          return { user: publicUser(result.user), csrfToken: result.session.csrfToken };
        },
        { body: SignInBody },
      )
      .post("/api/auth/sign-out", async ({ request, set }) => {
        await accounts.signOut(readCookie(request.headers.get("cookie"), SESSION_COOKIE));
        set.headers["set-cookie"] = clearedSessionCookie(secure);
        return {};
      })
      .get("/api/auth/session", async ({ request, set }) => {
        const found = await accounts.sessionFor(readCookie(request.headers.get("cookie"), SESSION_COOKIE));
        if (!found) throw unauthorized("Not signed in");
        set.headers["cache-control"] = "no-store";
        return { user: publicUser(found.user), csrfToken: found.session.csrfToken };
      })
      .get("/api/keys", async ({ request }) => {
        const caller = await auth.anyCaller(request);
        return { keys: (await accounts.listHubKeys(caller.user.id)).map(publicKey) };
      })
      .post(
        "/api/keys",
        async ({ body, request, set }) => {
          const caller = await auth.anyCaller(request);
          const issued = await accounts.issueHubKey({ userId: caller.user.id, name: body.name, source: "web" });
          set.status = 201;
          set.headers["cache-control"] = "no-store";
          return { key: issued.key, record: publicKey(issued.record) };
        },
        { body: KeyBody },
      )
      .delete("/api/keys/:id", async ({ params, request }) => {
        const caller = await auth.anyCaller(request);
        return { record: publicKey(await accounts.revokeHubKey({ id: params.id, userId: caller.user.id })) };
      })
      .patch(
        "/api/keys/:id/limits",
        async ({ params, body, request }) => {
          const caller = await auth.anyCaller(request);
          return { limits: await accounts.setKeyLimits({ id: params.id, userId: caller.user.id, ...body }) };
        },
        { body: LimitsBody },
      )
      .get("/api/credits", async ({ request }) => {
        const caller = await auth.anyCaller(request);
        const mode = await credits.settings();
        return {
          enableCredit: mode.enabled,
          account: describeAccount(await credits.account(caller.user.id)),
          paymentLink: mode.paymentLink ?? defaultPaymentLink(publicBaseUrl(request)),
          // Lets the top-up page offer card checkout only when Stripe is configured.
          cardTopUp: topups.enabled,
        };
      })
      .post(
        "/api/credits/redeem",
        async ({ body, request }) => {
          const caller = await auth.anyCaller(request);
          const { amount, account } = await credits.redeem(caller.user.id, body.code);
          return { redeemed: formatCredits(amount), account: describeAccount(account) };
        },
        { body: t.Object({ code: t.String({ minLength: 1, maxLength: 128 }) }) },
      )
      .post(
        "/api/credits/checkout",
        async ({ body, request }) => {
          const caller = await auth.anyCaller(request);
          return topups.checkout({ user: caller.user, credits: body.credits, baseUrl: publicBaseUrl(request) });
        },
        { body: t.Object({ credits: t.String({ maxLength: 16 }) }) },
      )
      // Stripe signs the raw bytes, so this route takes the body as text.
      .post(
        "/api/stripe/webhook",
        ({ body, request }) => topups.webhook(body, request.headers.get("stripe-signature")),
        { parse: "text", body: t.String({ maxLength: 1_000_000 }) },
      )
      .get("/api/usage", async ({ query, request }) => {
        const caller = await auth.anyCaller(request);
        const days = Math.min(366, Math.max(1, Number(query.days ?? 30) || 30));
        const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
        const rows = await stores.calls.usageByDay(caller.user.id, since);
        return { since, usage: rows.map((row) => ({ ...row, cost: formatCredits(row.cost) })) };
      })
      .get("/api/calls", async ({ query, request }) => {
        const caller = await auth.anyCaller(request);
        const limit = Math.min(500, Math.max(1, Number(query.limit ?? 50) || 50));
        const calls = await stores.calls.list({ userId: caller.user.id, limit });
        return { calls: calls.map(publicCall) };
      })
      .get("/api/calls/:id", async ({ params, request }) => {
        const caller = await auth.anyCaller(request);
        const found = await stores.calls.find(params.id);
        // Another user's call is answered as missing: its existence is not the caller's to learn.
        if (!found || found.record.userId !== caller.user.id) throw notFound("no call with that id");
        return { call: publicCallDetail(found) };
      })
  );
};
