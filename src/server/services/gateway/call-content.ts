/**
 * @module What a call stores of itself while the operator's `audit.storeContent` is on: the canonical request (never
 * headers or keys) and the output, as JSON text. The engine builds these only while the setting is on.
 */
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  EmbeddingRequest,
  EmbeddingResult,
  ImageRequest,
  ImageResult,
  Reasoning,
  ToolCall,
} from "./types";

/** A chat's output as stored: the answer text, reasoning and tool calls. */
interface ChatOutput {
  text: string;
  reasoning?: Reasoning[];
  toolCalls: ToolCall[];
}

/** A chat request as stored: what was asked, without the pass-through headers (they may carry credentials). */
export function chatRequestContent(request: ChatRequest): string {
  const { passthroughHeaders: _headers, ...asked } = request;
  return JSON.stringify(asked);
}

/** A whole chat answer as stored. */
export function chatOutputContent(result: ChatResult): string {
  const output: ChatOutput = { text: result.text, reasoning: result.reasoning, toolCalls: result.toolCalls };
  return JSON.stringify(output);
}

/** An embeddings request as stored. */
export function embeddingRequestContent(request: EmbeddingRequest): string {
  return JSON.stringify(request);
}

/** Embeddings as stored: how many vectors of what size; the numbers themselves tell an auditor nothing. */
export function embeddingOutputContent(result: EmbeddingResult): string {
  return JSON.stringify({ vectors: result.vectors.length, dimensions: result.vectors[0]?.length ?? 0 });
}

/** An image request as stored. */
export function imageRequestContent(request: ImageRequest): string {
  return JSON.stringify(request);
}

/** Generated images as stored: URLs as they are, base64 data by type and size only (it can be megabytes). */
export function imageOutputContent(result: ImageResult): string {
  const images = result.images.map((image) =>
    image.kind === "url"
      ? image
      : { kind: image.kind, mediaType: image.mediaType, bytes: Buffer.byteLength(image.data, "base64") },
  );
  return JSON.stringify({ images });
}

/** Assembles a streamed answer as its chunks pass, without holding the stream back. */
export class StreamTranscript {
  private text = "";
  private reasoning: Reasoning[] = [];
  private toolCalls: ToolCall[] = [];

  /** Folds one chunk in: text and reasoning append, tool-call fragments join their call by index. */
  add(chunk: ChatChunk): void {
    if (chunk.type === "text") this.text += chunk.text;
    else if (chunk.type === "reasoning") this.addReasoning(chunk.text, chunk.signature);
    else if (chunk.type === "tool_call") {
      this.toolCalls[chunk.index] ??= { id: "", name: "", arguments: "" };
      const call = this.toolCalls[chunk.index]!;
      if (chunk.id) call.id = chunk.id;
      if (chunk.name) call.name = chunk.name;
      call.arguments += chunk.argumentsDelta;
    }
  }

  private addReasoning(text: string, signature: string | undefined): void {
    const last = this.reasoning.at(-1);
    if (last && last.signature === undefined) last.text += text;
    else this.reasoning.push({ text });
    if (signature !== undefined) this.reasoning.at(-1)!.signature = signature;
  }

  /** What was assembled so far, as stored. */
  content(): string {
    const output: ChatOutput = {
      text: this.text,
      reasoning: this.reasoning.length ? this.reasoning : undefined,
      // Indexes may skip (a provider numbering from 1): drop the holes.
      toolCalls: this.toolCalls.filter(Boolean),
    };
    return JSON.stringify(output);
  }
}
