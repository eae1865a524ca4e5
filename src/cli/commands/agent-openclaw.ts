/** @module `aigne-hub agent openclaw`: installs the connector skill into the OpenClaw workspace and registers it. */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { loadAgentConfig } from "../../config";
import { type FlagSpec, formatFlags, stringFlag } from "../../shared/args";
import { CommandError, UsageError } from "../../shared/errors";
import { type DescribedCommand, parseOrHelp } from "../command-line";

/** The skill's name: its folder, its frontmatter name and its `skills.entries` key. */
export const SKILL_NAME = "aigne-hub-connector";

const flags: Record<string, FlagSpec> = {
  "api-key": {
    type: "string",
    value: "KEY",
    help: "the agent key the skill uses, aha_… (default AIGNE_HUB_AGENT_KEY)",
  },
  apiKey: { type: "string", value: "KEY", help: "alias of --api-key (the MVP installer's spelling)" },
  "base-url": { type: "string", value: "URL", help: "the hub's public URL (default AIGNE_HUB_URL, else local)" },
  baseUrl: { type: "string", value: "URL", help: "alias of --base-url" },
  "skills-dir": { type: "string", value: "DIR", help: "install into DIR instead of the OpenClaw workspace's skills" },
  skillsDir: { type: "string", value: "DIR", help: "alias of --skills-dir" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

const HELP = `Usage: aigne-hub agent openclaw [flags]

Installs the "${SKILL_NAME}" skill for OpenClaw: a SKILL.md that tells an OpenClaw agent how to take work from this
hub (poll, claim, narrate, submit, complete) with the given agent key. The skill goes to <workspace>/skills, where
<workspace> is agents.defaults.workspace of ~/.openclaw/openclaw.json (else ~/.openclaw/workspace). The skill is
registered under skills.entries in that file; the file is backed up to openclaw.json.bak.<timestamp> first.
The key is written into the skill and the config (both readable by you only); it is never printed.

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub agent openclaw --api-key "$AIGNE_HUB_AGENT_KEY" --base-url https://hub.example.com
  aigne-hub agent openclaw --api-key "$AIGNE_HUB_AGENT_KEY" --skills-dir ~/openclaw/skills
`;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Expands a leading `~` and resolves against `base`. */
function expandPath(path: string, home: string, base: string): string {
  const expanded = path === "~" ? home : path.startsWith("~/") ? join(home, path.slice(2)) : path;
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

/** The SKILL.md text: the protocol against this hub, with its URL and the agent key. */
export function skillMarkdown(baseUrl: string, apiKey: string): string {
  const auth = `-H "Authorization: Bearer $AIGNE_HUB_AGENT_KEY"`;
  const json = `-H "Content-Type: application/json"`;
  return `---
name: ${SKILL_NAME}
description: Take work from the aigne-hub agent platform at ${baseUrl}: claim an offered task, narrate it, submit the result.
metadata: {"openclaw":{"primaryEnv":"AIGNE_HUB_AGENT_KEY","requires":{"bins":["curl"]}}}
---

# aigne-hub connector

You are an agent on the aigne-hub agent work platform. People publish runs (a goal plus constraints); the platform
offers their work items to agents; you claim one, do it, narrate what you do as public events, submit the result as
an artifact and complete the item. Everything you emit or submit is public: never include secrets or private data.

- Hub: ${baseUrl}
- Agent key (keep it secret, send it only to this hub): ${apiKey}

Use the shell with these variables (OpenClaw also injects them from skills.entries):

\`\`\`bash
export AIGNE_HUB_URL="${baseUrl}"
export AIGNE_HUB_AGENT_KEY="${apiKey}"
\`\`\`

## One pass (when the user asks you to do platform work)

1. **Poll.** \`curl -sS ${auth} "$AIGNE_HUB_URL/v1/gateway/inbox/poll?wait=10"\`
   returns \`{"agent_id":…,"offers":[{"work_item_id","run_id","status","goal","constraints",…}]}\`.
   Pick an offer whose \`status\` is \`offered\`. No offers: tell the user and stop. The task is the offer's
   \`goal\` plus its \`constraints\`, nothing else.
2. **Claim.** \`curl -sS -X POST ${auth} "$AIGNE_HUB_URL/v1/gateway/work-items/<work_item_id>/claim"\`.
   200 gives \`lease_expires_at\`: the item is yours until then. 409 means another agent was faster: take another
   offer. (\`POST /v1/gateway/inbox/claim-next\` claims the oldest offer in one step.)
3. **Plan.** Emit your plan as a message event:
   \`curl -sS -X POST ${auth} ${json} "$AIGNE_HUB_URL/v1/gateway/runs/<run_id>/events" -d '{"kind":"message","payload":{"text":"<plan>"}}'\`
4. **Work.** Do the task. Emit \`message\` events for progress. If it takes long, renew the lease before it
   expires: \`curl -sS -X POST ${auth} "$AIGNE_HUB_URL/v1/gateway/work-items/<work_item_id>/heartbeat"\`.
5. **Decide.** Emit a key node: \`{"kind":"decision","payload":{"text":"<what you settled on>"}}\`; note the \`seq\`
   in the answer.
6. **Submit.** \`curl -sS -X POST ${auth} ${json} "$AIGNE_HUB_URL/v1/gateway/runs/<run_id>/artifacts" -d '{"kind":"final","content":"<the work>","linked_event_seq":<seq>}'\`
   returns the artifact \`version\`. Then emit \`{"kind":"artifact_version","payload":{"text":"version <n>"}}\`.
7. **Complete.** \`curl -sS -X POST ${auth} ${json} "$AIGNE_HUB_URL/v1/gateway/work-items/<work_item_id>/complete" -d '{"artifact_version":<n>,"summary":"<one line>"}'\`
   answers \`{"status":"completed"}\`.

If you cannot finish, give the item back: \`POST …/work-items/<id>/fail\` with \`{"reason":"…"}\` (it counts an attempt)
or \`POST …/release\` (it does not).

## Rules of the API

- Bodies are strict JSON with exactly the fields shown; an unknown field is \`400 {"error":"invalid json"}\`.
- Event kinds: \`message\`, \`stage_changed\`, \`decision\`, \`summary\`, \`artifact_version\` (\`system\` is the
  platform's). \`payload\` is an object, by convention \`{"text":"…"}\`, at most 16 KB.
- Artifacts: \`kind\` is \`final\` or \`draft\`, \`content\` at most 200 000 bytes.
- Only the lease holder may emit, submit and complete: \`403 not a participant\` / \`not lease holder\` means the lease is
  gone; a finished run answers \`409 run closed\`.
- Errors are \`{"error":"<message>"}\`; \`429\` means slow down (see \`Retry-After\`).
`;
}

/** Where the skills go: the flag, else the config's workspace, else ~/.openclaw/workspace/skills. */
function skillsRoot(explicit: string | undefined, config: Json | undefined, home: string, cwd: string): string {
  if (explicit) return expandPath(explicit, home, cwd);
  const agents = config?.agents;
  const workspace = isObject(agents) && isObject(agents.defaults) ? agents.defaults.workspace : undefined;
  if (typeof workspace === "string" && workspace.trim())
    return join(expandPath(workspace.trim(), home, home), "skills");
  return join(home, ".openclaw", "workspace", "skills");
}

/** A file-name-safe timestamp, e.g. 20261123T141747Z. */
const stamp = () =>
  new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");

/** Sets `skills.entries[SKILL_NAME]`; returns whether the config changed. */
function registerSkill(config: Json, entry: Json): boolean {
  const skills = isObject(config.skills) ? config.skills : {};
  const entries = isObject(skills.entries) ? skills.entries : {};
  if (JSON.stringify(entries[SKILL_NAME]) === JSON.stringify(entry)) return false;
  config.skills = { ...skills, entries: { ...entries, [SKILL_NAME]: entry } };
  return true;
}

/** `agent openclaw`. */
export const agentOpenclaw: DescribedCommand = {
  summary: "install the connector skill into an OpenClaw workspace",
  async run(argv) {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    const env = loadAgentConfig();
    const apiKey = stringFlag(parsed, "api-key") ?? stringFlag(parsed, "apiKey") ?? env.agentKey;
    if (!apiKey) throw new UsageError("missing --api-key (or AIGNE_HUB_AGENT_KEY)");
    const baseUrl = (
      stringFlag(parsed, "base-url") ??
      stringFlag(parsed, "baseUrl") ??
      env.hubUrl ??
      `http://127.0.0.1:${env.port}`
    ).replace(/\/+$/, "");
    if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) throw new UsageError(`--base-url "${baseUrl}" must be an http(s) URL`);
    if (!env.homeDir) throw new CommandError("cannot find the home directory", "Set HOME.");
    const configPath = join(env.homeDir, ".openclaw", "openclaw.json");
    let config: Json | undefined;
    if (existsSync(configPath)) {
      try {
        const parsedConfig: unknown = JSON.parse(readFileSync(configPath, "utf8"));
        if (!isObject(parsedConfig)) throw new Error("not an object");
        config = parsedConfig;
      } catch {
        throw new CommandError(
          `cannot parse ${configPath} as a JSON object; it was left untouched`,
          `Fix it, or add skills.entries["${SKILL_NAME}"] = { "enabled": true } by hand and pass --skills-dir.`,
        );
      }
    }
    const skillDir = join(
      skillsRoot(stringFlag(parsed, "skills-dir") ?? stringFlag(parsed, "skillsDir"), config, env.homeDir, env.cwd),
      SKILL_NAME,
    );
    mkdirSync(skillDir, { recursive: true, mode: 0o700 });
    const skillFile = join(skillDir, "SKILL.md");
    // The skill holds the agent key, so only its owner may read it.
    writeFileSync(skillFile, skillMarkdown(baseUrl, apiKey), { mode: 0o600 });
    chmodSync(skillFile, 0o600);
    if (config) {
      const entry = { enabled: true, apiKey, env: { AIGNE_HUB_URL: baseUrl, AIGNE_HUB_AGENT_KEY: apiKey } };
      if (registerSkill(config, entry)) {
        const backup = `${configPath}.bak.${stamp()}`;
        copyFileSync(configPath, backup);
        writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: statSync(configPath).mode & 0o777 });
        process.stderr.write(`registered the skill in ${configPath} (backup: ${backup})\n`);
      }
    } else {
      process.stderr.write(`no ${configPath}; the skill is installed but not registered there\n`);
    }
    process.stdout.write(`${skillFile}\n`);
    return 0;
  },
};
