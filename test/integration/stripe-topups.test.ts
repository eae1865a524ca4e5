import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { startStripeDouble } from "../mocks/stripe";
import { type InProcessHub, startInProcessHub } from "../support/app";

const WEBHOOK_SECRET = "whsec_test_topups";
const signer = new Stripe("sk_test_signer");

/** A checkout.session.completed event for a user buying `credits`. */
function completedEvent(input: {
  eventId: string;
  sessionId: string;
  userId: string;
  credits: string;
  paid?: boolean;
}) {
  return JSON.stringify({
    id: input.eventId,
    object: "event",
    type: "checkout.session.completed",
    data: {
      object: {
        id: input.sessionId,
        object: "checkout.session",
        payment_status: input.paid === false ? "unpaid" : "paid",
        metadata: { userId: input.userId, credits: input.credits },
      },
    },
  });
}

describe("Stripe Checkout top-ups", () => {
  let hub: InProcessHub;
  let stripe: ReturnType<typeof startStripeDouble>;
  let userId: string;
  let cookie: string;
  let csrf: string;

  const deliver = async (payload: string, secret = WEBHOOK_SECRET) =>
    fetch(`${hub.url}/api/stripe/webhook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "stripe-signature": await signer.webhooks.generateTestHeaderStringAsync({ payload, secret }),
      },
      body: payload,
    });

  beforeAll(async () => {
    stripe = startStripeDouble();
    hub = await startInProcessHub({
      env: {
        AIGNE_HUB_STRIPE_SECRET_KEY: "sk_test_hub",
        AIGNE_HUB_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        AIGNE_HUB_STRIPE_API_URL: stripe.url,
        AIGNE_HUB_STRIPE_UNIT_AMOUNT: "2",
      },
    });
    userId = (await hub.deps.accounts.upsertUser({ email: "buyer@example.com", password: "password-1" })).user.id;
    const signIn = await fetch(`${hub.url}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "buyer@example.com", password: "password-1" }),
    });
    cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
    csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
  });

  afterAll(async () => {
    await hub.stop();
    stripe.stop();
  });

  test("a checkout creates a Stripe session priced per credit and returns its URL", async () => {
    const response = await fetch(`${hub.url}/api/credits/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
      body: JSON.stringify({ credits: "25" }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { url: string; id: string };
    expect(body.url).toStartWith("https://checkout.stripe.test/c/pay/");
    const sent = stripe.requests.at(-1)!;
    expect(sent.authorization).toBe("Bearer sk_test_hub");
    expect(sent.form.get("line_items[0][quantity]")).toBe("25");
    expect(sent.form.get("line_items[0][price_data][unit_amount]")).toBe("2");
    expect(sent.form.get("metadata[userId]")).toBe(userId);
    expect(sent.form.get("client_reference_id")).toBe(userId);
  });

  test("a fractional or zero credit amount is refused before Stripe is called", async () => {
    const before = stripe.requests.length;
    for (const credits of ["0", "1.5", "abc"]) {
      const response = await fetch(`${hub.url}/api/credits/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
        body: JSON.stringify({ credits }),
      });
      expect(response.status).toBe(400);
    }
    expect(stripe.requests.length).toBe(before);
  });

  test("a Stripe failure (after the SDK's one retry) is a 502 without Stripe's message or key", async () => {
    stripe.fail(2);
    const response = await fetch(`${hub.url}/api/credits/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
      body: JSON.stringify({ credits: "5" }),
    });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).not.toContain("sk_test_hub");
    expect(text).not.toContain("boom");
  });

  test("a paid checkout credits the buyer once, however often the event is delivered", async () => {
    const payload = completedEvent({ eventId: "evt_a", sessionId: "cs_paid_1", userId, credits: "10" });
    const first = await deliver(payload);
    const second = await deliver(payload);
    const resent = await deliver(completedEvent({ eventId: "evt_b", sessionId: "cs_paid_1", userId, credits: "10" }));
    expect(await first.json()).toEqual({ credited: true });
    expect(await second.json()).toEqual({ credited: false });
    expect(await resent.json()).toEqual({ credited: false });
    const account = await hub.deps.stores.ledger.account(userId);
    expect(account.balance).toBe(10_000_000);
    expect(await hub.deps.stores.ledger.ledgerBalance(userId)).toBe(account.balance);
  });

  test("a delivery with a bad signature is refused and credits nothing", async () => {
    const before = await hub.deps.stores.ledger.account(userId);
    const payload = completedEvent({ eventId: "evt_forged", sessionId: "cs_forged", userId, credits: "1000" });
    const response = await deliver(payload, "whsec_someone_else");
    expect(response.status).toBe(403);
    expect((await hub.deps.stores.ledger.account(userId)).balance).toBe(before.balance);
  });

  test("an unpaid session credits nothing", async () => {
    const before = await hub.deps.stores.ledger.account(userId);
    const response = await deliver(
      completedEvent({ eventId: "evt_unpaid", sessionId: "cs_unpaid", userId, credits: "7", paid: false }),
    );
    expect(await response.json()).toEqual({ credited: false });
    expect((await hub.deps.stores.ledger.account(userId)).balance).toBe(before.balance);
  });
});
