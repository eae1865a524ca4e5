/** @module System surface: liveness and readiness probes, no auth. */
import { Elysia } from "elysia";
import { AppError } from "../../../shared/errors";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";

/** `/healthz` answers while the process serves; `/readyz` also needs the database to answer. */
export const systemRoutes = ({ stores, requests }: AppDeps) =>
  new Elysia({ name: "routes:system" })
    .use(surfaceErrors(requests, "system", renderHubError))
    .get("/healthz", () => ({ status: "ok" }))
    .get("/readyz", async () => {
      await stores.ping().catch((cause: unknown) => {
        throw new AppError("unavailable", 503, "database is not reachable", { retryAfterSeconds: 1 }, { cause });
      });
      return { status: "ready" };
    });
