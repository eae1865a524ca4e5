/** @module Request bodies of the OpenAI-compatible surface: lenient about extra fields, strict about what we read. */
import { type Static, t } from "elysia";
import { nullish, OPEN_OBJECT } from "../sse";

/**
 * A whole number. Elysia's `t.Integer` (like `t.UnionEnum`, which injects a default) costs every body a decode pass
 * over all its fields; this is a plain check.
 */
export const wholeNumber = (options: { minimum?: number; maximum?: number } = {}) =>
  t.Number({ ...options, multipleOf: 1 });

const TextPart = t.Object({ type: t.Literal("text"), text: t.String() });

const ImageUrlPart = t.Object({
  type: t.Literal("image_url"),
  image_url: t.Object({ url: t.String(), detail: t.Optional(t.String()) }),
});

const FilePart = t.Object({
  type: t.Literal("file"),
  file: t.Object({
    file_data: t.Optional(t.String()),
    file_id: t.Optional(t.String()),
    filename: t.Optional(t.String()),
  }),
});

const AudioPart = t.Object({
  type: t.Literal("input_audio"),
  input_audio: t.Object({ data: t.String(), format: t.String() }),
});

const RefusalPart = t.Object({ type: t.Literal("refusal"), refusal: t.String() });

const ToolCall = t.Object({
  id: t.String(),
  type: t.Literal("function"),
  function: t.Object({ name: t.String(), arguments: t.String() }),
});

const SystemMessage = t.Object({
  role: t.Union([t.Literal("system"), t.Literal("developer")]),
  content: t.Union([t.String(), t.Array(TextPart)]),
  name: t.Optional(t.String()),
});

const UserMessage = t.Object({
  role: t.Literal("user"),
  content: t.Union([t.String(), t.Array(t.Union([TextPart, ImageUrlPart, FilePart, AudioPart]))]),
  name: t.Optional(t.String()),
});

const AssistantMessage = t.Object({
  role: t.Literal("assistant"),
  content: nullish(t.Union([t.String(), t.Array(t.Union([TextPart, RefusalPart]))])),
  tool_calls: nullish(t.Array(ToolCall)),
  reasoning_content: nullish(t.String()),
  name: t.Optional(t.String()),
});

const ToolMessage = t.Object({
  role: t.Literal("tool"),
  content: t.Union([t.String(), t.Array(TextPart)]),
  // Optional here so the translator can answer with the field's name instead of a union mismatch.
  tool_call_id: t.Optional(t.String()),
});

const FunctionTool = t.Object({
  type: t.Literal("function"),
  function: t.Object({
    name: t.String(),
    description: t.Optional(t.String()),
    parameters: t.Optional(t.Record(t.String(), t.Unknown())),
    strict: nullish(t.Boolean()),
  }),
});

const ResponseFormat = t.Union([
  t.Object({ type: t.Literal("text") }),
  t.Object({ type: t.Literal("json_object") }),
  t.Object({
    type: t.Literal("json_schema"),
    json_schema: t.Object({
      name: t.String(),
      description: t.Optional(t.String()),
      schema: t.Optional(t.Record(t.String(), t.Unknown())),
      strict: nullish(t.Boolean()),
    }),
  }),
]);

/** `POST /v1/chat/completions`. */
export const OpenAIChatBody = t.Object(
  {
    model: t.String({ minLength: 1 }),
    messages: t.Array(t.Union([SystemMessage, UserMessage, AssistantMessage, ToolMessage]), { minItems: 1 }),
    tools: nullish(t.Array(FunctionTool)),
    tool_choice: nullish(
      t.Union([
        t.Literal("auto"),
        t.Literal("none"),
        t.Literal("required"),
        t.Object({ type: t.Literal("function"), function: t.Object({ name: t.String() }) }),
      ]),
    ),
    parallel_tool_calls: nullish(t.Boolean()),
    response_format: nullish(ResponseFormat),
    max_tokens: nullish(wholeNumber({ minimum: 1 })),
    max_completion_tokens: nullish(wholeNumber({ minimum: 1 })),
    temperature: nullish(t.Number()),
    top_p: nullish(t.Number()),
    stop: nullish(t.Union([t.String(), t.Array(t.String())])),
    frequency_penalty: nullish(t.Number()),
    presence_penalty: nullish(t.Number()),
    seed: nullish(wholeNumber()),
    n: nullish(wholeNumber({ minimum: 1 })),
    reasoning_effort: nullish(
      t.Union([
        t.Literal("none"),
        t.Literal("minimal"),
        t.Literal("low"),
        t.Literal("medium"),
        t.Literal("high"),
        t.Literal("xhigh"),
        t.Literal("max"),
      ]),
    ),
    user: nullish(t.String()),
    stream: nullish(t.Boolean()),
    stream_options: nullish(t.Object({ include_usage: nullish(t.Boolean()) })),
  },
  OPEN_OBJECT,
);
export type OpenAIChatBody = Static<typeof OpenAIChatBody>;

/** `POST /v1/embeddings`; token-array inputs pass the schema so the translator can say they are unsupported. */
export const OpenAIEmbeddingsBody = t.Object(
  {
    model: t.String({ minLength: 1 }),
    input: t.Union([t.String(), t.Array(t.String()), t.Array(t.Number()), t.Array(t.Array(t.Number()))]),
    dimensions: nullish(wholeNumber({ minimum: 1 })),
    encoding_format: nullish(t.Union([t.Literal("float"), t.Literal("base64")])),
    user: nullish(t.String()),
  },
  OPEN_OBJECT,
);
export type OpenAIEmbeddingsBody = Static<typeof OpenAIEmbeddingsBody>;

/** `POST /v1/images/generations`. */
export const OpenAIImagesBody = t.Object(
  {
    model: t.String({ minLength: 1 }),
    prompt: t.String({ minLength: 1 }),
    n: nullish(wholeNumber({ minimum: 1, maximum: 10 })),
    size: nullish(t.String()),
    quality: nullish(t.String()),
    style: nullish(t.String()),
    background: nullish(t.String()),
    output_format: nullish(t.String()),
    response_format: nullish(t.Union([t.Literal("url"), t.Literal("b64_json")])),
    user: nullish(t.String()),
  },
  OPEN_OBJECT,
);
export type OpenAIImagesBody = Static<typeof OpenAIImagesBody>;
