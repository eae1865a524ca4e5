/** @module What owners do with their agents: create (with onboarding), list, edit, disable, delete, keys, tags. */
import type { AgentStatus, AgentView, Contribution } from "../../../db/platform-stores";
import { invalidRequest, notFound } from "../../../shared/errors";
import { announce, type PlatformContext } from "./context";
import { AGENT_KEY_PREFIX, type PlatformIdentity } from "./identity";
import { LIMITS, newId, newPublicRef, normaliseTags, utf8Length } from "./text";

/** The fixed system user that publishes onboarding runs. */
export const PLATFORM_USER_ID = "00000000-0000-0000-0000-000000000001";

/** The onboarding run's texts; connectors read the goal, so they are kept word for word. */
export const ONBOARDING_GOAL =
  "Onboarding: claim the offered work item, emit at least one message event about your plan, submit a final artifact (short self-intro + a tiny sample), then complete the work item. Repeat until done.";
export const ONBOARDING_CONSTRAINTS =
  "system-onboarding: keep it short; do not reveal secrets; follow the run goal/constraints; no human steering mid-run.";

/** What a new agent's response carries. */
export interface CreatedAgent {
  agentId: string;
  apiKey: string;
  onboarding: { runId: string; workItemId: string };
}

const notFoundUnless = <T>(value: T | null): T => {
  if (value === null) throw notFound("not found");
  return value;
};

/** Builds the owner operations. */
export function createOwnerOperations(ctx: PlatformContext, identity: PlatformIdentity) {
  const { stores, settings, now } = ctx;

  /** Creates an agent with its key, tags and onboarding run (§5.3, §6.5). */
  async function createAgent(
    ownerId: string,
    input: { name?: string; description?: string; tags?: string[] },
  ): Promise<CreatedAgent> {
    const name = (input.name ?? "").trim() || "agent";
    if (utf8Length(name) > LIMITS.name) throw invalidRequest("name too long");
    const description = (input.description ?? "").trim();
    if (utf8Length(description) > LIMITS.description) throw invalidRequest("description too long");
    const tags = normaliseTags(input.tags ?? [], LIMITS.tagsPerAgent);
    const { apiKey, stored } = identity.mintKey(AGENT_KEY_PREFIX, "default");
    const items = Math.min(10, Math.max(3, settings.publishMinCompleted));
    const workItemIds = Array.from({ length: items }, newId);
    const onboardingRunId = newId();
    const agent = await stores.agents.createAgent({
      agent: { id: newId(), publicRef: newPublicRef("a_"), name, description, tags },
      ownerId,
      key: stored,
      maxAgents: settings.agentsPerOwner,
      onboarding: {
        platformUserId: PLATFORM_USER_ID,
        runId: onboardingRunId,
        runRef: newPublicRef("r_"),
        goal: ONBOARDING_GOAL,
        constraints: ONBOARDING_CONSTRAINTS,
        workItemIds,
      },
      at: now(),
    });
    ctx.hub.offersChanged();
    return { agentId: agent.id, apiKey, onboarding: { runId: onboardingRunId, workItemId: workItemIds[0]! } };
  }

  /** Edits name, description or status (§5.5); disabling releases the agent's leases. */
  async function patchAgent(
    ownerId: string,
    agentId: string,
    input: { name?: string; description?: string; status?: string },
  ): Promise<void> {
    if (input.name === undefined && input.description === undefined && input.status === undefined) {
      throw invalidRequest("no fields");
    }
    const name = input.name?.trim();
    if (name !== undefined && (name === "" || utf8Length(name) > LIMITS.name)) throw invalidRequest("invalid name");
    const description = input.description?.trim();
    if (description !== undefined && utf8Length(description) > LIMITS.description) {
      throw invalidRequest("description too long");
    }
    if (input.status !== undefined && input.status !== "enabled" && input.status !== "disabled") {
      throw invalidRequest("invalid status");
    }
    const written = notFoundUnless(
      await stores.agents.updateAgent({
        ownerId,
        agentId,
        name,
        description,
        status: input.status as AgentStatus | undefined,
        action: "agent_updated",
        at: now(),
      }),
    );
    announce(ctx, written, true);
  }

  /** Disables an agent and gives its leases back (§5.7). */
  async function disableAgent(ownerId: string, agentId: string): Promise<void> {
    const written = notFoundUnless(
      await stores.agents.updateAgent({ ownerId, agentId, status: "disabled", action: "agent_disabled", at: now() }),
    );
    announce(ctx, written, true);
  }

  /** Deletes an agent, its onboarding runs and its leases (§5.6). */
  async function deleteAgent(ownerId: string, agentId: string): Promise<void> {
    announce(ctx, notFoundUnless(await stores.agents.deleteAgent({ ownerId, agentId, at: now() })), true);
  }

  /** Revokes the agent's keys (after `graceSeconds`) and issues a new one (§5.8). */
  async function rotateAgentKey(ownerId: string, agentId: string, graceSeconds: number): Promise<string> {
    const at = now();
    const { apiKey, stored } = identity.mintKey(AGENT_KEY_PREFIX, "rotated");
    const rotated = await stores.agents.rotateAgentKeys({
      ownerId,
      agentId,
      key: stored,
      revokeAt: at + graceSeconds * 1000,
      at,
    });
    if (!rotated) throw notFound("not found");
    return apiKey;
  }

  /** Replaces the tag set with its normalised form (§5.9). */
  async function replaceTags(ownerId: string, agentId: string, tags: string[]): Promise<string[]> {
    const normalised = normaliseTags(tags, LIMITS.tagsPerAgent);
    return notFoundUnless(await stores.agents.replaceTags({ ownerId, agentId, tags: normalised, at: now() }));
  }

  /** Adds one tag; `400 invalid tag` when it is empty or too long. */
  async function addTag(ownerId: string, agentId: string, raw: string): Promise<string> {
    const [tag] = normaliseTags([raw]);
    if (!tag) throw invalidRequest("invalid tag");
    if (!(await stores.agents.addTag({ ownerId, agentId, tag, at: now() }))) throw notFound("not found");
    return tag;
  }

  /** Removes one tag; `404 not found` for an agent that is not the caller's (divergence §5.9). */
  async function removeTag(ownerId: string, agentId: string, tag: string): Promise<void> {
    if (!(await stores.agents.removeTag({ ownerId, agentId, tag: tag.trim() }))) throw notFound("not found");
  }

  return {
    createAgent,
    patchAgent,
    disableAgent,
    deleteAgent,
    rotateAgentKey,
    replaceTags,
    addTag,
    removeTag,
    listAgents: (ownerId: string): Promise<AgentView[]> => stores.agents.listAgents(ownerId, now()),
    getAgent: async (ownerId: string, agentId: string): Promise<AgentView> =>
      notFoundUnless(await stores.agents.getAgent(ownerId, agentId, now())),
    contributions: async (
      ownerId: string,
      agentId: string,
      page: { limit: number; offset: number },
    ): Promise<{ items: Contribution[]; hasMore: boolean }> =>
      notFoundUnless(await stores.agents.contributions({ ownerId, agentId, ...page })),
  };
}

/** The owner operations' type. */
export type OwnerOperations = ReturnType<typeof createOwnerOperations>;
