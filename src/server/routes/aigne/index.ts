/** @module AIGNE surface: the routes the unmodified AIGNE clients call, in the hub error shape. */
import { Elysia } from "elysia";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";

/** `/api/user/info` answers the key's user (the CLI's `hub status`). */
export const aigneRoutes = ({ auth, requests, publicBaseUrl }: AppDeps) =>
  new Elysia({ name: "routes:aigne" })
    .use(surfaceErrors(requests, "aigne", renderHubError))
    .get("/api/user/info", async ({ request }) => {
      const { user } = await auth.hubCaller(request.headers.get("authorization"));
      const base = publicBaseUrl(request);
      return {
        user: { did: user.did, fullName: user.name, email: user.email, avatar: null },
        enableCredit: false,
        creditBalance: null,
        paymentLink: null,
        profileLink: `${base}/`,
      };
    });
