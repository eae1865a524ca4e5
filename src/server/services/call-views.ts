/** @module How call records are shown: times in ISO 8601, cost as decimal credits, no internal-only fields. */
import type { CallContent, CallRecord } from "../../db/stores";
import type { CallDetailView } from "../../shared/api";
import { formatCredits } from "../../shared/money";

/** A call record for API responses and CSV export. */
export function publicCall(call: CallRecord) {
  return {
    id: call.id,
    requestId: call.requestId,
    createdAt: new Date(call.createdAt).toISOString(),
    userId: call.userId,
    keyId: call.keyId,
    appId: call.appId,
    surface: call.surface,
    type: call.type,
    requestedModel: call.requestedModel,
    model: call.provider && call.model ? `${call.provider}/${call.model}` : null,
    credentialId: call.credentialId,
    status: call.status,
    stream: call.stream,
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    cacheReadTokens: call.cacheReadTokens,
    cacheWriteTokens: call.cacheWriteTokens,
    estimated: call.estimated,
    cost: formatCredits(call.cost),
    latencyMs: call.latencyMs,
    ttftMs: call.ttftMs,
    errorType: call.errorType,
    errorMessage: call.errorMessage,
    attempts: call.attempts,
  };
}

/** One call for the detail endpoints: the record and, when it was stored, what it asked and answered. */
export function publicCallDetail(found: { record: CallRecord; content: CallContent | null }): CallDetailView {
  const { record, content } = found;
  return {
    ...publicCall(record),
    content: content && {
      request: JSON.parse(content.request),
      response: content.response === null ? null : JSON.parse(content.response),
    },
  };
}
