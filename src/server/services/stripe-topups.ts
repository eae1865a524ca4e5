/**
 * @module Stripe Checkout top-ups with the official SDK: a checkout session per purchase, and a webhook that
 * verifies the signature and credits each paid session exactly once (the event id is the grant's idempotency key).
 */
import type Stripe from "stripe";
import type { ServerConfig } from "../../config";
import type { User } from "../../db/stores";
import { AppError, forbidden, invalidRequest, unavailable } from "../../shared/errors";
import { parseCredits } from "../../shared/money";
import type { Credits } from "./credits";

const MAX_CREDITS_PER_PURCHASE = 1_000_000n * 1_000_000n;

/** Splits an API origin into the SDK's host, port and protocol options. */
function apiAddress(apiUrl: string | undefined) {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol: "http" | "https" = url.protocol === "http:" ? "http" : "https";
  return { host: url.hostname, port: url.port || (protocol === "https" ? 443 : 80), protocol };
}

/** Builds the top-up service; without a configured secret key every call answers 503. */
export function createStripeTopups(deps: { config: ServerConfig["stripe"]; credits: Credits }) {
  const { config, credits } = deps;
  let stripe: Promise<Stripe> | undefined;

  /** The SDK client, loaded on first use: most hubs never configure card top-ups, and it is large to load. */
  function client(): Promise<Stripe> {
    if (!config) throw unavailable("Card top-ups are not configured on this hub");
    stripe ??= import("stripe").then(
      ({ default: StripeClient }) =>
        new StripeClient(config.secretKey, { maxNetworkRetries: 1, telemetry: false, ...apiAddress(config.apiUrl) }),
    );
    return stripe;
  }

  /** Starts a Checkout session for `credits` whole credits; returns the URL to send the user to. */
  async function checkout(input: {
    user: User;
    credits: string;
    baseUrl: string;
  }): Promise<{ url: string; id: string }> {
    const api = await client();
    const micro = parseCredits(input.credits, "credits");
    if (micro <= 0n || micro % 1_000_000n !== 0n || micro > MAX_CREDITS_PER_PURCHASE) {
      throw invalidRequest("credits must be a whole number from 1 to 1000000", "credits");
    }
    const quantity = Number(micro / 1_000_000n);
    const session = await api.checkout.sessions
      .create({
        mode: "payment",
        customer_email: input.user.email,
        client_reference_id: input.user.id,
        line_items: [
          {
            quantity,
            price_data: {
              currency: config!.currency,
              unit_amount: config!.unitAmount,
              product_data: { name: "aigne-hub credits" },
            },
          },
        ],
        metadata: { userId: input.user.id, credits: String(quantity) },
        success_url: `${input.baseUrl}/ui/credits?checkout=success`,
        cancel_url: `${input.baseUrl}/ui/credits?checkout=cancelled`,
      })
      .catch((error: unknown) => {
        throw new AppError("upstream_error", 502, "Stripe did not create the checkout session", {}, { cause: error });
      });
    if (!session.url) throw new AppError("upstream_error", 502, "Stripe returned no checkout URL");
    return { url: session.url, id: session.id };
  }

  /** Verifies a webhook delivery and credits a paid checkout once; returns whether this delivery granted credits. */
  async function webhook(payload: string, signature: string | null): Promise<{ credited: boolean }> {
    const api = await client();
    if (!config?.webhookSecret) throw unavailable("The Stripe webhook secret is not configured on this hub");
    let event: Stripe.Event;
    try {
      event = await api.webhooks.constructEventAsync(payload, signature ?? "", config.webhookSecret);
    } catch {
      throw forbidden("The Stripe signature does not verify");
    }
    if (event.type !== "checkout.session.completed" && event.type !== "checkout.session.async_payment_succeeded") {
      return { credited: false };
    }
    const session = event.data.object;
    const userId = session.metadata?.userId;
    const amount = session.metadata?.credits;
    if (session.payment_status !== "paid" || !userId || !amount) return { credited: false };
    const result = await credits.grant({
      userId,
      amount,
      note: "Stripe checkout",
      reference: session.id,
      // One grant per checkout session, however many events or deliveries report it.
      idempotencyKey: `stripe:${session.id}`,
    });
    return { credited: result.applied };
  }

  return { enabled: Boolean(config), checkout, webhook };
}

/** The top-up service's type. */
export type StripeTopups = ReturnType<typeof createStripeTopups>;
