/** @module Request body of the Anthropic-compatible surface: lenient about extra fields, strict about what we read. */
import { type Static, t } from "elysia";
import { wholeNumber } from "../openai/schemas";
import { nullish, OPEN_OBJECT } from "../sse";

const CacheControl = nullish(
  t.Object({ type: t.Literal("ephemeral"), ttl: t.Optional(t.Union([t.Literal("5m"), t.Literal("1h")])) }),
);

const TextBlock = t.Object({ type: t.Literal("text"), text: t.String(), cache_control: CacheControl });

const ImageBlock = t.Object({
  type: t.Literal("image"),
  source: t.Union([
    t.Object({ type: t.Literal("base64"), media_type: t.String(), data: t.String() }),
    t.Object({ type: t.Literal("url"), url: t.String() }),
  ]),
  cache_control: CacheControl,
});

const DocumentBlock = t.Object({
  type: t.Literal("document"),
  source: t.Union([
    t.Object({ type: t.Literal("base64"), media_type: t.String(), data: t.String() }),
    t.Object({ type: t.Literal("text"), media_type: t.Optional(t.String()), data: t.String() }),
    t.Object({ type: t.Literal("url"), url: t.String() }),
  ]),
  title: nullish(t.String()),
  cache_control: CacheControl,
});

const ToolUseBlock = t.Object({
  type: t.Literal("tool_use"),
  id: t.String(),
  name: t.String(),
  input: t.Unknown(),
  cache_control: CacheControl,
});

const ToolResultBlock = t.Object({
  type: t.Literal("tool_result"),
  tool_use_id: t.String(),
  content: t.Optional(t.Union([t.String(), t.Array(t.Union([TextBlock, ImageBlock, DocumentBlock]))])),
  is_error: t.Optional(t.Boolean()),
  cache_control: CacheControl,
});

const ThinkingBlock = t.Object({ type: t.Literal("thinking"), thinking: t.String(), signature: t.String() });

const RedactedThinkingBlock = t.Object({ type: t.Literal("redacted_thinking"), data: t.String() });

const ContentBlock = t.Union([
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
]);

const Tool = t.Object({
  name: t.String({ minLength: 1 }),
  description: t.Optional(t.String()),
  // Optional here so the translator can name what is missing, or say a server tool is unsupported.
  input_schema: t.Optional(t.Record(t.String(), t.Unknown())),
  type: nullish(t.String()),
  cache_control: CacheControl,
});

const ToolChoice = t.Union([
  t.Object({
    type: t.Union([t.Literal("auto"), t.Literal("any"), t.Literal("none")]),
    disable_parallel_tool_use: t.Optional(t.Boolean()),
  }),
  t.Object({ type: t.Literal("tool"), name: t.String(), disable_parallel_tool_use: t.Optional(t.Boolean()) }),
]);

const Thinking = t.Union([
  t.Object({ type: t.Literal("enabled"), budget_tokens: wholeNumber({ minimum: 1 }) }),
  t.Object({ type: t.Union([t.Literal("disabled"), t.Literal("adaptive")]) }),
]);

/** `POST /v1/messages`. */
export const AnthropicMessagesBody = t.Object(
  {
    model: t.String({ minLength: 1 }),
    max_tokens: wholeNumber({ minimum: 1 }),
    messages: t.Array(
      t.Object({
        role: t.Union([t.Literal("user"), t.Literal("assistant")]),
        content: t.Union([t.String(), t.Array(ContentBlock)]),
      }),
      { minItems: 1 },
    ),
    system: t.Optional(t.Union([t.String(), t.Array(TextBlock)])),
    tools: t.Optional(t.Array(Tool)),
    tool_choice: t.Optional(ToolChoice),
    thinking: t.Optional(Thinking),
    temperature: t.Optional(t.Number()),
    top_p: t.Optional(t.Number()),
    top_k: t.Optional(wholeNumber({ minimum: 0 })),
    stop_sequences: t.Optional(t.Array(t.String())),
    stream: t.Optional(t.Boolean()),
    metadata: t.Optional(t.Object({ user_id: nullish(t.String()) })),
  },
  OPEN_OBJECT,
);
export type AnthropicMessagesBody = Static<typeof AnthropicMessagesBody>;
