/** @module `aigne-hub chat [--model provider/model] [prompt…]`: one answer, or a small REPL, streamed from the hub. */
import * as p from "@clack/prompts";
import { type ClientConfig, loadClientConfig } from "../../config";
import type { AigneUsage } from "../../shared/api";
import { type FlagSpec, formatFlags, stringFlag } from "../../shared/args";
import { CommandError, UsageError } from "../../shared/errors";
import { type ChatMessage, streamChat } from "../api-client";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { connectionStoreFor, type HubTarget, resolveTarget } from "../connections";
import { ask, PromptCancelled } from "../prompts";

/** The model the AIGNE clients ask for when none is given. */
const DEFAULT_CHAT_MODEL = "openai/gpt-5-mini";

const flags: Record<string, FlagSpec> = {
  model: { type: "string", short: "m", value: "PROVIDER/MODEL", help: `model to ask (default ${DEFAULT_CHAT_MODEL})` },
  help: { type: "boolean", short: "h", help: "show this help" },
};

const HELP = `Usage: aigne-hub chat [flags] [prompt…]

Asks the active hub (see \`aigne-hub hub status\`) and streams the answer to stdout; the credits used go to stderr.
Without a prompt it reads one from stdin when stdin is not a terminal, and starts a conversation when it is.
AIGNE_HUB_API_URL and AIGNE_HUB_API_KEY override the stored active hub.

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub chat "Summarise RFC 9110 in one sentence"
  aigne-hub chat --model anthropic/claude-sonnet-4 "Hello"
  git diff | aigne-hub chat -m openai/gpt-4o-mini
`;

/** The usage line for stderr: tokens, and the credits charged when the hub bills them. */
export function usageLine(usage: AigneUsage | undefined): string | undefined {
  if (!usage) return undefined;
  const tokens = `${usage.inputTokens} input tokens, ${usage.outputTokens} output tokens`;
  if (typeof usage.aigneHubCredits !== "number") return tokens;
  // Six decimals, as the aigne CLI shows them; Number() drops the trailing zeros.
  const credits = String(Number(usage.aigneHubCredits.toFixed(6)));
  return `${tokens}; credits used: ${usage.creditPrefix ?? ""}${credits}`;
}

/** Streams one answer to stdout and returns its text and final usage. */
async function answer(target: Required<Pick<HubTarget, "url" | "apiKey">>, model: string, messages: ChatMessage[]) {
  let text = "";
  let usage: AigneUsage | undefined;
  for await (const frame of streamChat({ apiBase: target.url, apiKey: target.apiKey, model, messages })) {
    const piece = frame.delta.text?.text;
    if (piece) {
      text += piece;
      process.stdout.write(piece);
    }
    if (frame.delta.json?.usage) usage = frame.delta.json.usage;
  }
  if (!text.endsWith("\n")) process.stdout.write("\n");
  const line = usageLine(usage);
  if (line) process.stderr.write(`${line}\n`);
  return text;
}

/** The hub and key to chat with; a missing key fails with the command that fixes it. */
function chatTarget(config: ClientConfig) {
  const target = resolveTarget(config, connectionStoreFor(config));
  if (!target.apiKey) {
    throw new CommandError(`no API key for ${target.url}`, `Run \`aigne-hub hub connect ${target.url}\`.`);
  }
  return { url: target.url, apiKey: target.apiKey };
}

/** Asks turn after turn on a terminal until an empty line, `/exit` or Ctrl-C; the hub sees the whole conversation. */
async function converse(target: { url: string; apiKey: string }, model: string): Promise<number> {
  p.intro(`Chatting with ${model} on ${target.url}. An empty line or /exit ends.`, { output: process.stderr });
  const messages: ChatMessage[] = [];
  for (;;) {
    const prompt = await ask({ isTTY: true, missing: "prompt", message: "You" }).then(
      (text) => text.trim(),
      (error: unknown) => {
        if (error instanceof PromptCancelled) return "";
        throw error;
      },
    );
    if (!prompt || prompt === "/exit") break;
    messages.push({ role: "user", content: prompt });
    messages.push({ role: "agent", content: await answer(target, model, messages) });
  }
  p.outro("Bye.", { output: process.stderr });
  return 0;
}

/** `chat`. */
export const chat: DescribedCommand = {
  summary: "ask the active hub and stream the answer",
  async run(argv) {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    const config = loadClientConfig();
    const model = stringFlag(parsed, "model") ?? DEFAULT_CHAT_MODEL;
    const target = chatTarget(config);
    let prompt = parsed.positionals.join(" ").trim();
    if (!prompt && config.isTTY) return converse(target, model);
    if (!prompt) prompt = (await Bun.stdin.text()).trim();
    if (!prompt) throw new UsageError("missing prompt: pass it as arguments or on stdin");
    await answer(target, model, [{ role: "user", content: prompt }]);
    return 0;
  },
};
