/** @module `aigne-hub agent run`: claims work items, keeps the lease, works by command or model, completes. */
import { type AgentConfig, loadAgentConfig } from "../../config";
import { type FlagSpec, formatFlags, stringFlag } from "../../shared/args";
import { UsageError } from "../../shared/errors";
import {
  type AgentClient,
  type ClaimedItem,
  createAgentClient,
  PlatformCallError,
  streamChatCompletion,
} from "../agent-client";
import { parseHubUrl } from "../api-client";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { ask } from "../prompts";

const flags: Record<string, FlagSpec> = {
  url: { type: "string", value: "URL", help: "the hub (default AIGNE_HUB_URL, else http://127.0.0.1:$AIGNE_HUB_PORT)" },
  "api-key": { type: "string", value: "KEY", help: "the agent key, aha_… (default AIGNE_HUB_AGENT_KEY)" },
  exec: { type: "string", value: "CMD", help: "do the work with this shell command (goal on stdin and in env)" },
  model: { type: "string", value: "PROVIDER/MODEL", help: "do the work by asking this hub model" },
  "hub-key": {
    type: "string",
    value: "KEY",
    help: "the owner's hub key for --model, ahk_… (default AIGNE_HUB_API_KEY)",
  },
  once: { type: "boolean", help: "handle one work item, then exit" },
  wait: { type: "string", value: "SECONDS", help: "long-poll wait for offers, 0–30 (default 30)" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

const HELP = `Usage: aigne-hub agent run [flags]

Runs an agent: claims work items offered to it, renews the lease while working (every third of its length),
streams progress as run events, submits the result as the final artifact and completes the item. A command that
exits non-zero, or a model call that fails, fails the item (the hub re-offers it until its attempts run out).

--exec runs CMD with "sh -c"; the goal (and constraints) arrive on stdin and in AIGNE_HUB_GOAL,
AIGNE_HUB_CONSTRAINTS, AIGNE_HUB_RUN_ID and AIGNE_HUB_WORK_ITEM_ID; its stdout is the result.
--model asks a model through the hub's /v1/chat/completions with the owner's hub key, so the owner is billed.

Flags:
${formatFlags(flags)}

Examples:
  AIGNE_HUB_AGENT_KEY=aha_… aigne-hub agent run --url https://hub.example.com --exec ./write-story.sh
  aigne-hub agent run --api-key "$AGENT_KEY" --model openai/gpt-4o-mini --hub-key "$HUB_KEY" --once
`;

/** Progress text is sent in events of at most this many characters, at most this often. */
const PROGRESS_CHARS = 4000;
const PROGRESS_EVERY_MS = 1000;
/** An item's narration stops adding events after this many (the artifact still carries everything). */
const MAX_PROGRESS_EVENTS = 200;
/** The platform's artifact limit is 200 000 UTF-8 bytes; longer output is cut, with a note. */
const MAX_ARTIFACT_BYTES = 200_000;
/** Pause after an unexpected failure before polling again. */
const RETRY_PAUSE_MS = 5000;

/** What doing the work produced. */
type WorkResult = { ok: true; output: string } | { ok: false; reason: string };

/** How the work is done: a command or a model. */
type Worker = (item: ClaimedItem, progress: (text: string) => void, stop: AbortSignal) => Promise<WorkResult>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The task statement as agents receive it: the goal, then the constraints. */
const taskText = (item: ClaimedItem) =>
  item.constraints ? `${item.goal}\n\nConstraints:\n${item.constraints}` : item.goal;

/** Renews the lease at a third of its remaining time until stopped; a lost lease is reported once. */
function keepLease(client: AgentClient, item: ClaimedItem) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (expiresAt: string) => {
    if (stopped) return;
    const delay = Math.max(1000, (Date.parse(expiresAt) - Date.now()) / 3);
    timer = setTimeout(async () => {
      try {
        schedule((await client.heartbeat(item.work_item_id)).lease_expires_at);
      } catch (error) {
        process.stderr.write(`lease renewal failed: ${error instanceof Error ? error.message : error}\n`);
      }
    }, delay);
  };
  schedule(item.lease_expires_at);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Batches progress text into `message` events, so a chatty worker sends a few events a second at most. */
function progressEvents(client: AgentClient, runId: string) {
  let buffered = "";
  let sent = 0;
  let lastSent = 0;
  let sending: Promise<unknown> = Promise.resolve();
  const send = (text: string) => {
    sent++;
    lastSent = Date.now();
    sending = sending.then(() => client.emit(runId, "message", text)).catch(() => undefined);
  };
  return {
    add(text: string) {
      if (sent >= MAX_PROGRESS_EVENTS) return;
      buffered += text;
      while (buffered.length >= PROGRESS_CHARS) {
        send(buffered.slice(0, PROGRESS_CHARS));
        buffered = buffered.slice(PROGRESS_CHARS);
      }
      if (buffered && Date.now() - lastSent >= PROGRESS_EVERY_MS) {
        send(buffered);
        buffered = "";
      }
    },
    async flush() {
      if (buffered && sent < MAX_PROGRESS_EVENTS) send(buffered);
      buffered = "";
      await sending;
    },
  };
}

/** Runs `sh -c command` with the task on stdin; stdout is the result and streams as progress. */
function commandWorker(command: string, config: AgentConfig): Worker {
  return async (item, progress, stop) => {
    // The command gets the task, not the keys: it has no business calling the hub as this agent or its owner.
    const { AIGNE_HUB_AGENT_KEY: _, AIGNE_HUB_API_KEY: __, AIHUB_AGENT_API_KEY: ___, ...inherited } = config.childEnv;
    const child = Bun.spawn(["sh", "-c", command], {
      cwd: config.cwd,
      env: {
        ...inherited,
        AIGNE_HUB_GOAL: item.goal,
        AIGNE_HUB_CONSTRAINTS: item.constraints,
        AIGNE_HUB_RUN_ID: item.run_id,
        AIGNE_HUB_WORK_ITEM_ID: item.work_item_id,
      },
      stdin: new Blob([taskText(item)]),
      stdout: "pipe",
      stderr: "pipe",
    });
    const kill = () => child.kill();
    stop.addEventListener("abort", kill, { once: true });
    let output = "";
    const decoder = new TextDecoder();
    const errors = new Response(child.stderr).text();
    for await (const chunk of child.stdout) {
      const text = decoder.decode(chunk, { stream: true });
      // Past the artifact limit the rest is drained but not kept: the artifact is cut there anyway.
      if (output.length <= MAX_ARTIFACT_BYTES) {
        output += text;
        progress(text);
      }
    }
    const code = await child.exited;
    stop.removeEventListener("abort", kill);
    const stderrTail = (await errors).trim().slice(-500);
    if (code !== 0) return { ok: false, reason: `command exited with ${code}${stderrTail ? `: ${stderrTail}` : ""}` };
    return { ok: true, output };
  };
}

/** Asks a hub model, billed to the owner through the hub key; the streamed answer is the result. */
function modelWorker(url: string, model: string, hubKey: string): Worker {
  return async (item, progress, stop) => {
    let output = "";
    try {
      for await (const piece of streamChatCompletion({
        url,
        hubKey,
        model,
        signal: stop,
        messages: [
          {
            role: "system",
            content:
              "You are an autonomous agent doing a task published on an agent work platform. Reply with the finished work itself, not a plan or a question.",
          },
          { role: "user", content: taskText(item) },
        ],
      })) {
        output += piece;
        progress(piece);
      }
    } catch (error) {
      if (stop.aborted) throw error;
      return { ok: false, reason: `model call failed: ${error instanceof Error ? error.message : error}` };
    }
    return { ok: true, output };
  };
}

/** Cuts text to the artifact limit in UTF-8 bytes, noting the cut. */
function fitArtifact(text: string): string {
  const trimmed = text.trim() || "(no output)";
  const bytes = new TextEncoder().encode(trimmed);
  if (bytes.length <= MAX_ARTIFACT_BYTES) return trimmed;
  const note = "\n…(output cut at the platform's artifact limit)";
  return new TextDecoder().decode(bytes.slice(0, MAX_ARTIFACT_BYTES - note.length - 3)).replace(/\uFFFD$/, "") + note;
}

/** Handles one claimed item end to end; returns whether it completed. */
async function handle(client: AgentClient, item: ClaimedItem, worker: Worker, how: string, stop: AbortSignal) {
  const id = item.work_item_id;
  process.stderr.write(`claimed work item ${id} of run ${item.run_id}\n`);
  const stopLease = keepLease(client, item);
  try {
    await client.emit(item.run_id, "message", `plan: ${how}, then submit the result as the final artifact`);
    const progress = progressEvents(client, item.run_id);
    const result = await worker(item, (text) => progress.add(text), stop);
    await progress.flush();
    if (!result.ok) {
      const { status } = await client.fail(id, result.reason.slice(0, 1900));
      process.stdout.write(`failed ${id} (${status}): ${result.reason.split("\n")[0]}\n`);
      return false;
    }
    const decision = await client.emit(item.run_id, "decision", `submitting the result of ${how}`);
    const artifact = await client.submit(item.run_id, {
      kind: "final",
      content: fitArtifact(result.output),
      linked_event_seq: decision.seq,
    });
    await client.emit(item.run_id, "artifact_version", `final artifact version ${artifact.version}`);
    await client.complete(id, { artifact_version: artifact.version, summary: `completed with ${how}` });
    process.stdout.write(`completed ${id} (run ${item.run_id}, artifact v${artifact.version})\n`);
    return true;
  } catch (error) {
    if (stop.aborted) {
      await client.release(id, "the agent was stopped").catch(() => undefined);
      process.stderr.write(`released work item ${id}\n`);
      return false;
    }
    throw error;
  } finally {
    stopLease();
  }
}

/** Reads the flags into what the loop needs; missing keys are asked for on a terminal only. */
async function resolveOptions(argv: string[]) {
  const parsed = parseOrHelp(argv, flags, HELP);
  if (!parsed) return undefined;
  const config = loadAgentConfig();
  const exec = stringFlag(parsed, "exec");
  const model = stringFlag(parsed, "model");
  if (Boolean(exec) === Boolean(model))
    throw new UsageError("give exactly one of --exec CMD or --model PROVIDER/MODEL");
  const url = parseHubUrl(stringFlag(parsed, "url") ?? config.hubUrl ?? `http://127.0.0.1:${config.port}`)
    .toString()
    .replace(/\/$/, "");
  const apiKey =
    stringFlag(parsed, "api-key") ??
    config.agentKey ??
    (await ask({ isTTY: config.isTTY, missing: "--api-key (or AIGNE_HUB_AGENT_KEY)", message: "Agent key (aha_…)" }));
  const waitText = stringFlag(parsed, "wait") ?? "30";
  if (!/^\d+$/.test(waitText) || Number(waitText) > 30)
    throw new UsageError("--wait must be a whole number from 0 to 30");
  let worker: Worker;
  let how: string;
  if (exec) {
    worker = commandWorker(exec, config);
    how = `running \`${exec.slice(0, 200)}\``;
  } else {
    const hubKey = stringFlag(parsed, "hub-key") ?? config.apiKey;
    if (!hubKey) throw new UsageError("--model needs the owner's hub key: --hub-key or AIGNE_HUB_API_KEY");
    worker = modelWorker(url, model!, hubKey);
    how = `asking ${model}`;
  }
  return {
    client: createAgentClient({ url, apiKey }),
    worker,
    how,
    once: parsed.values.once === true,
    wait: Number(waitText),
  };
}

/** `agent run`: the polling loop. */
export const agentRun: DescribedCommand = {
  summary: "work as an agent: claim offered items, do them with a command or a model, complete them",
  async run(argv) {
    const options = await resolveOptions(argv);
    if (!options) return 0;
    const { client, worker, how, once, wait } = options;
    const stopper = new AbortController();
    const onSignal = () => stopper.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      for (;;) {
        let item: ClaimedItem | null;
        try {
          item = await client.claimNext(wait, stopper.signal);
        } catch (error) {
          if (stopper.signal.aborted) return 130;
          // A refused key or a disabled agent will not get better by retrying.
          if (once || (error instanceof PlatformCallError && [401, 403].includes(error.status))) throw error;
          process.stderr.write(`${error instanceof Error ? error.message : error}; retrying\n`);
          await sleep(RETRY_PAUSE_MS);
          continue;
        }
        if (stopper.signal.aborted) return 130;
        if (!item) {
          if (!once) continue;
          process.stderr.write(`no work item was offered within ${wait} s\n`);
          return 0;
        }
        const completed = await handle(client, item, worker, how, stopper.signal);
        if (stopper.signal.aborted) return 130;
        if (once) return completed ? 0 : 1;
      }
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
