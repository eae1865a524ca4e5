/** @jsxImportSource preact */
/** @module The playground (/ui/playground): pick a model and chat with it, the answer streaming through the hub. */
import { useRef, useState } from "preact/hooks";
import type { AigneChatDelta, AigneUsage, AiModelInfo } from "../shared/api";
import { call, describeError, send } from "./lib/api";
import { Button, ErrorText, Notice, Panel } from "./lib/components";
import { Form, SelectField, TextAreaField } from "./lib/fields";
import { useLoad } from "./lib/hooks";
import { formatCount, translator } from "./lib/i18n";
import { mountPage } from "./lib/shell";
import { sseFrames } from "./lib/sse";
import { recall, remember } from "./lib/storage";

const pt = translator(
  {
    title: "Playground",
    heading: "Playground",
    intro: "Chat with any model of this hub. Calls are billed to your account like any other.",
    model: "Model",
    settings: "Chat settings",
    rates: "{input} credits per input token, {output} per output token",
    noModels: "No chat models are available yet. An operator adds them in the admin console.",
    system: "System prompt (optional)",
    message: "Message",
    messageHint: "Enter sends; Shift+Enter starts a new line.",
    send: "Send",
    stop: "Stop",
    clear: "Clear conversation",
    conversation: "Conversation",
    you: "You",
    assistant: "Model",
    thoughts: "Reasoning",
    answering: "The model is answering…",
    done: "Answer complete.",
    stopped: "Stopped.",
    usage: "{input} tokens in, {output} out",
    cost: "{credits} credits",
    empty: "Your conversation appears here.",
  },
  {
    title: "试验场",
    heading: "模型试验场",
    intro: "与本 Hub 的任意模型对话。调用与其他调用一样计入你的账户。",
    model: "模型",
    settings: "对话设置",
    rates: "输入每 Token {input} 额度，输出每 Token {output} 额度",
    noModels: "还没有可用的对话模型。请运维人员在管理控制台中添加。",
    system: "系统提示词（可选）",
    message: "消息",
    messageHint: "按 Enter 发送，Shift+Enter 换行。",
    send: "发送",
    stop: "停止",
    clear: "清空对话",
    conversation: "对话",
    you: "你",
    assistant: "模型",
    thoughts: "推理过程",
    answering: "模型正在回答…",
    done: "回答完成。",
    stopped: "已停止。",
    usage: "输入 {input} Token，输出 {output} Token",
    cost: "{credits} 额度",
    empty: "对话内容会显示在这里。",
  },
);

const MODEL_KEY = "aigne-hub.playground.model";

interface Turn {
  role: "user" | "agent";
  text: string;
  thoughts?: string;
  model?: string;
  usage?: AigneUsage;
  error?: string;
  stopped?: boolean;
}

/** Reads the stream into the last turn; resolves when the hub closes it, throws on an `event: error` frame. */
async function streamInto(response: Response, update: (change: (turn: Turn) => Turn) => void): Promise<void> {
  for await (const frame of sseFrames(response.body!)) {
    if (frame.event === "error") throw new Error((JSON.parse(frame.data) as { message?: string }).message);
    const { delta } = JSON.parse(frame.data) as AigneChatDelta;
    const text = delta.text?.text ?? "";
    const thoughts = delta.text?.thoughts ?? "";
    const model = delta.json?.model;
    const usage = delta.json?.usage;
    update((turn) => ({
      ...turn,
      text: turn.text + text,
      thoughts: thoughts ? (turn.thoughts ?? "") + thoughts : turn.thoughts,
      model: model ?? turn.model,
      usage: usage ?? turn.usage,
    }));
  }
}

function Playground() {
  const models = useLoad(() => call<AiModelInfo[]>("GET", "/api/ai/models?type=chat"));
  const [chosen, setChosen] = useState(() => recall(MODEL_KEY) ?? "");
  const [system, setSystem] = useState("");
  const [draft, setDraft] = useState("");
  const [turns, setTurns] = useState<Turn[]>([]);
  const [status, setStatus] = useState("");
  const running = useRef<AbortController | null>(null);
  const [busy, setBusy] = useState(false);

  const list = models.data ?? [];
  const model = list.find((m) => m.model === chosen) ?? list[0];
  const groups = [...new Set(list.map((m) => m.providerDisplayName))].map((group) => ({
    group,
    options: list.filter((m) => m.providerDisplayName === group).map((m): [string, string] => [m.model, m.model]),
  }));

  const updateLast = (change: (turn: Turn) => Turn) =>
    setTurns((all) => [...all.slice(0, -1), change(all[all.length - 1]!)]);

  const ask = async () => {
    const prompt = draft.trim();
    if (!prompt || !model || busy) return;
    const history = [...turns.filter((turn) => !turn.error && turn.text), { role: "user" as const, text: prompt }];
    setTurns([...turns, { role: "user", text: prompt }, { role: "agent", text: "" }]);
    setDraft("");
    setBusy(true);
    setStatus(pt("answering"));
    const controller = new AbortController();
    running.current = controller;
    try {
      const messages = [
        ...(system.trim() ? [{ role: "system", content: system.trim() }] : []),
        ...history.map((turn) => ({ role: turn.role, content: turn.text })),
      ];
      const response = await send(
        "POST",
        "/api/v2/chat",
        { input: { messages, modelOptions: { model: model.model } }, options: { streaming: true } },
        controller.signal,
      );
      await streamInto(response, updateLast);
      setStatus(pt("done"));
    } catch (error) {
      if (controller.signal.aborted) {
        updateLast((turn) => ({ ...turn, stopped: true }));
        setStatus(pt("stopped"));
      } else {
        updateLast((turn) => ({ ...turn, error: describeError(error) }));
        setStatus("");
      }
    } finally {
      running.current = null;
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1>{pt("heading")}</h1>
      </div>
      <p class="muted">{pt("intro")}</p>
      <div class="playground">
        <Panel title={pt("settings")}>
          <ErrorText error={models.error} />
          {models.data && list.length === 0 && <Notice kind="info">{pt("noModels")}</Notice>}
          {model && (
            <>
              <SelectField
                label={pt("model")}
                name="model"
                value={model.model}
                options={groups}
                onChange={(value) => {
                  setChosen(value);
                  remember(MODEL_KEY, value);
                }}
              />
              <p class="muted small">
                {pt("rates", { input: model.input_credits_per_token, output: model.output_credits_per_token })}
              </p>
            </>
          )}
          <TextAreaField label={pt("system")} name="system" rows={4} value={system} onInput={setSystem} />
          <Button onClick={() => setTurns([])} disabled={busy || turns.length === 0}>
            {pt("clear")}
          </Button>
        </Panel>
        <Panel title={pt("conversation")}>
          <Transcript turns={turns} busy={busy} />
          <p class="visually-hidden" role="status">
            {status}
          </p>
          <Form onSubmit={ask}>
            <TextAreaField
              label={pt("message")}
              name="message"
              rows={3}
              value={draft}
              hint={pt("messageHint")}
              required
              onInput={setDraft}
              onKeyDown={(event) => {
                if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
                  event.preventDefault();
                  void ask();
                }
              }}
            />
            <div class="actions">
              <Button type="submit" kind="primary" busy={busy} disabled={!model}>
                {pt("send")}
              </Button>
              {busy && <Button onClick={() => running.current?.abort()}>{pt("stop")}</Button>}
            </div>
          </Form>
        </Panel>
      </div>
    </div>
  );
}

function Transcript(props: { turns: Turn[]; busy: boolean }) {
  if (props.turns.length === 0) return <p class="muted">{pt("empty")}</p>;
  return (
    <ol class="transcript" aria-label={pt("conversation")}>
      {props.turns.map((turn, index) => {
        const last = index === props.turns.length - 1;
        // Turns are only ever appended or cleared, so the index is a stable key.
        return (
          <li key={index} class={`turn ${turn.role}`} aria-busy={(last && props.busy) || undefined}>
            <span class="turn-role">{turn.role === "user" ? pt("you") : (turn.model ?? pt("assistant"))}</span>
            {turn.thoughts && (
              <details class="thoughts">
                <summary>{pt("thoughts")}</summary>
                <p class="turn-text">{turn.thoughts}</p>
              </details>
            )}
            <p class="turn-text">{turn.text || (last && props.busy ? "…" : "")}</p>
            {turn.error && <Notice kind="error">{turn.error}</Notice>}
            {turn.stopped && <p class="muted small">{pt("stopped")}</p>}
            {turn.usage && (
              <p class="muted small">
                {pt("usage", {
                  input: formatCount(turn.usage.inputTokens),
                  output: formatCount(turn.usage.outputTokens),
                })}
                {turn.usage.aigneHubCredits !== undefined &&
                  ` · ${pt("cost", { credits: String(turn.usage.aigneHubCredits) })}`}
              </p>
            )}
          </li>
        );
      })}
    </ol>
  );
}

mountPage({ page: "playground", title: () => pt("title"), render: () => <Playground /> });
