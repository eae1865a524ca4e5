/** @module Request bodies of the AIGNE surface: the `/api/v2/*` envelope, open to unknown keys as the clients require. */
import { type Static, t } from "elysia";
import { nullish, OPEN_OBJECT } from "../sse";

const CacheControl = t.Object({
  type: t.Literal("ephemeral"),
  ttl: t.Optional(t.UnionEnum(["5m", "1h"])),
});

const TextPart = t.Object({ type: t.Literal("text"), text: t.String(), cacheControl: nullish(CacheControl) });

const UrlPart = t.Object({
  type: t.Literal("url"),
  url: t.String(),
  mimeType: nullish(t.String()),
  filename: nullish(t.String()),
  cacheControl: nullish(CacheControl),
});

const FilePart = t.Object({
  type: t.Literal("file"),
  data: t.String(),
  mimeType: nullish(t.String()),
  filename: nullish(t.String()),
  cacheControl: nullish(CacheControl),
});

const FunctionRef = t.Object({
  name: t.String({ minLength: 1 }),
  description: nullish(t.String()),
  parameters: nullish(t.Record(t.String(), t.Unknown())),
});

const Tool = t.Object({
  type: t.Optional(t.Literal("function")),
  function: FunctionRef,
  cacheControl: nullish(CacheControl),
});

const ToolCall = t.Object({
  id: t.String(),
  type: t.Optional(t.Literal("function")),
  // An object per the protocol; JSON text from lenient callers is accepted and checked by the translator.
  function: t.Object({ name: t.String(), arguments: t.Optional(t.Unknown()) }),
});

const ChatMessage = t.Object({
  role: t.UnionEnum(["system", "user", "agent", "tool"]),
  content: nullish(t.Union([t.String(), t.Array(t.Union([TextPart, UrlPart, FilePart]))])),
  toolCalls: nullish(t.Array(ToolCall)),
  toolCallId: nullish(t.String()),
  name: nullish(t.String()),
  cacheControl: nullish(CacheControl),
});

const ResponseFormat = t.Union([
  t.Object({ type: t.Literal("text") }),
  t.Object({ type: t.Literal("json_object") }),
  t.Object({
    type: t.Literal("json_schema"),
    jsonSchema: t.Object({
      name: t.String(),
      description: nullish(t.String()),
      schema: t.Record(t.String(), t.Unknown()),
      strict: nullish(t.Boolean()),
    }),
  }),
]);

const CacheConfig = t.Object({
  enabled: nullish(t.Boolean()),
  strategy: nullish(t.UnionEnum(["auto", "manual"])),
  autoBreakpoints: nullish(
    t.Object({ tools: nullish(t.Boolean()), system: nullish(t.Boolean()), lastMessage: nullish(t.Boolean()) }),
  ),
});

const ChatModelOptions = t.Object(
  {
    model: nullish(t.String()),
    temperature: nullish(t.Number()),
    topP: nullish(t.Number()),
    frequencyPenalty: nullish(t.Number()),
    presencePenalty: nullish(t.Number()),
    parallelToolCalls: nullish(t.Boolean()),
    reasoningEffort: nullish(t.Union([t.Number({ minimum: 0 }), t.UnionEnum(["minimal", "low", "medium", "high"])])),
    maxTokens: nullish(t.Integer({ minimum: 1 })),
    cacheConfig: nullish(CacheConfig),
  },
  OPEN_OBJECT,
);

const Options = nullish(t.Object({ streaming: nullish(t.Boolean()) }, OPEN_OBJECT));

/** `POST /api/v2/chat`: `{input: ChatModelInput, agent?, options?}`; older clients put `model` at the top level. */
export const AigneChatBody = t.Object(
  {
    input: t.Object(
      {
        messages: t.Array(ChatMessage),
        tools: nullish(t.Array(Tool)),
        toolChoice: nullish(t.Union([t.UnionEnum(["auto", "none", "required"]), Tool])),
        responseFormat: nullish(ResponseFormat),
        modelOptions: nullish(ChatModelOptions),
      },
      OPEN_OBJECT,
    ),
    model: nullish(t.String()),
    // Always "$CHAT_MODEL" from the AIGNE clients; accepted and ignored.
    agent: t.Optional(t.Unknown()),
    options: Options,
  },
  OPEN_OBJECT,
);
export type AigneChatBody = Static<typeof AigneChatBody>;

const EmbeddingInput = t.Union([t.String(), t.Array(t.String())]);

/** `POST /api/v2/embeddings`: the envelope `{input:{input, modelOptions:{model}}}` or the flat `{model, input}`. */
export const AigneEmbeddingsBody = t.Object(
  {
    input: t.Union([
      EmbeddingInput,
      t.Object(
        {
          input: EmbeddingInput,
          modelOptions: nullish(
            t.Object({ model: nullish(t.String()), dimensions: nullish(t.Integer({ minimum: 1 })) }, OPEN_OBJECT),
          ),
        },
        OPEN_OBJECT,
      ),
    ]),
    model: nullish(t.String()),
    dimensions: nullish(t.Integer({ minimum: 1 })),
  },
  OPEN_OBJECT,
);
export type AigneEmbeddingsBody = Static<typeof AigneEmbeddingsBody>;

const ImageOptions = {
  size: nullish(t.String()),
  quality: nullish(t.String()),
  style: nullish(t.String()),
  background: nullish(t.String()),
  outputFormat: nullish(t.String()),
};

/** `POST /api/v2/image`: provider extras may sit in `input` or in `input.modelOptions`. */
export const AigneImageBody = t.Object(
  {
    input: t.Object(
      {
        prompt: t.String({ minLength: 1 }),
        n: nullish(t.Integer({ minimum: 1, maximum: 10 })),
        image: nullish(t.Array(t.Unknown())),
        outputFileType: nullish(t.String()),
        modelOptions: nullish(t.Object({ model: nullish(t.String()), ...ImageOptions }, OPEN_OBJECT)),
        ...ImageOptions,
      },
      OPEN_OBJECT,
    ),
    model: nullish(t.String()),
    options: Options,
  },
  OPEN_OBJECT,
);
export type AigneImageBody = Static<typeof AigneImageBody>;
