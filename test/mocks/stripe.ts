/**
 * @module A Stripe API double for the top-up tests: answers `POST /v1/checkout/sessions` the way Stripe does and
 * records each request's form fields. Point the hub at it with AIGNE_HUB_STRIPE_API_URL.
 */

/** A recorded checkout request: Stripe's SDK sends form-encoded fields. */
export interface StripeRequest {
  path: string;
  authorization: string | null;
  form: URLSearchParams;
}

/** Starts the double on 127.0.0.1; `fail(n)` makes the next n session creations answer 500. */
export function startStripeDouble() {
  const requests: StripeRequest[] = [];
  let failures = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const form = new URLSearchParams(await request.text());
      requests.push({ path: url.pathname, authorization: request.headers.get("authorization"), form });
      if (url.pathname !== "/v1/checkout/sessions" || request.method !== "POST") {
        return Response.json({ error: { type: "invalid_request_error", message: "unknown route" } }, { status: 404 });
      }
      if (failures > 0) {
        failures -= 1;
        return Response.json({ error: { type: "api_error", message: "boom" } }, { status: 500 });
      }
      const id = `cs_test_${requests.length}`;
      return Response.json({
        id,
        object: "checkout.session",
        url: `https://checkout.stripe.test/c/pay/${id}`,
        payment_status: "unpaid",
        metadata: { userId: form.get("metadata[userId]"), credits: form.get("metadata[credits]") },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    fail(times: number) {
      failures = times;
    },
    stop: () => server.stop(true),
  };
}
