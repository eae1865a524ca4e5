/** @module The agent work platform surface: `/v1/users`, `/v1/me`, `/v1/agents`, `/v1/runs`, `/v1/gateway`. */
import { Elysia } from "elysia";
import type { Auth } from "../../auth";
import type { RequestLog } from "../../request-log";
import type { AgentPlatform } from "../../services/agents";
import { platformCallers } from "./callers";
import { platformErrors } from "./errors";
import { gatewayRoutes } from "./gateway";
import { ownerRoutes } from "./owners";
import { runRoutes } from "./runs";
import { userRoutes } from "./users";

/** The platform's routes, with their one error hook (`{"error":"<message>"}`). */
export const agentRoutes = ({
  agentPlatform,
  auth,
  requests,
}: {
  agentPlatform: AgentPlatform;
  auth: Auth;
  requests: RequestLog;
}) => {
  const callers = platformCallers(agentPlatform, auth);
  return new Elysia({ name: "routes:agents" })
    .use(platformErrors(requests))
    .use(userRoutes(agentPlatform, callers))
    .use(ownerRoutes(agentPlatform, callers))
    .use(runRoutes(agentPlatform, callers))
    .use(gatewayRoutes(agentPlatform, callers));
};
