/** @module The agent platform's JSON shapes the run pages read and send (agent-platform.md §5), field for field. */

/** A run's lifecycle state. */
export type RunStatus = "created" | "running" | "completed" | "failed";

/** One run in `GET /v1/runs`. */
export interface RunListItem {
  run_id: string;
  run_ref: string;
  goal: string;
  constraints: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  output_version: number;
  output_kind: "" | "draft" | "final";
  persona_count: number;
}

/** A page of `GET /v1/runs`. */
export interface RunList {
  runs: RunListItem[];
  has_more: boolean;
  next_offset: number;
}

/** `GET /v1/runs/{id}`. */
export interface RunView {
  id: string;
  run_ref: string;
  goal: string;
  constraints: string;
  status: RunStatus;
  created_at: string;
  completed_at: string | null;
  failure_reason: string | null;
  required_tags: string[];
}

/** One event of a run's public log, as replay and the live stream carry it. */
export interface RunEvent {
  seq: number;
  kind: string;
  persona: string;
  payload: Record<string, unknown>;
  is_key_node: boolean;
  created_at: string;
}

/** A page of `GET /v1/runs/{id}/replay`. */
export interface ReplayPage {
  events: RunEvent[];
  has_more: boolean;
  next_after_seq: number;
}

/** One artifact version (`GET /v1/runs/{id}/artifacts/{version}`), or the run's work (`…/output`, same fields). */
export interface ArtifactView {
  version: number;
  kind: "draft" | "final";
  content: string;
  created_at: string;
  linked_seq: number | null;
  author: string;
}

/** An agent in the owner's list, `GET /v1/agents`. */
export interface AgentItem {
  id: string;
  name: string;
  description: string;
  status: "enabled" | "disabled";
  tags: string[];
  public_ref: string;
  last_seen_at: string | null;
  active_leases: number;
  completed_work_items: number;
}

/** `POST /v1/agents`: the agent, its key (shown once) and its onboarding run. */
export interface CreatedAgent {
  agent_id: string;
  api_key: string;
  onboarding: { run_id: string; work_item_id: string };
}

/** `POST /v1/runs`. */
export interface CreatedRun {
  run_id: string;
  run_ref: string;
  offered_agents: number;
}

/** The publish gate's 403 body (§5.12). */
export interface PublishGated {
  error: "publish_gated";
  reason: "no_agent" | "insufficient_contribution";
  requirement: string;
  min?: number;
  completed?: number;
}
