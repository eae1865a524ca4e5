/** @module The AIGNE surface's error body: the hub shape, plus `link` and `timestamp` on NOT_ENOUGH. */
import type { AppError } from "../../../shared/errors";
import { renderHubError } from "../../errors";

/** The body the AIGNE clients read `error.type` and `error.message` from. */
export interface AigneErrorBody {
  error: { type: string; message: string; link?: string; timestamp?: string };
}

/**
 * Renders an AppError for the AIGNE clients. NOT_ENOUGH also carries the payment link (from `extra.details.link`)
 * and the time, as the original hub does, so the CLI can offer "I have bought some credits, try again".
 */
export function renderAigneError(e: AppError, now: () => number = Date.now): AigneErrorBody {
  const body: AigneErrorBody = renderHubError(e);
  if (e.type !== "NOT_ENOUGH") return body;
  const link = e.extra.details?.link;
  if (typeof link === "string") body.error.link = link;
  body.error.timestamp = new Date(now()).toISOString();
  return body;
}
