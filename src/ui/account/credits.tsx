/** @jsxImportSource preact */
/** @module The account's money: balance, redeeming a code, and topping up by payment link or card checkout. */
import { useEffect, useState } from "preact/hooks";
import type { CheckoutSession, CreditsOverview, RedeemResult } from "../../shared/api";
import { ApiError, call } from "../lib/api";
import { Button, ErrorText, Notice, Panel } from "../lib/components";
import { Form, TextField } from "../lib/fields";
import { type Loaded, useAction } from "../lib/hooks";
import { t } from "../lib/text";
import { toast } from "../lib/toast";
import { at } from "./text";

/** The balance and the redeem form; `onChange` reloads the dashboard after credits arrive. */
export function CreditsPanel(props: { credits: Loaded<CreditsOverview>; onChange: () => void }) {
  const { data, error } = props.credits;
  const redeem = useAction();
  return (
    <Panel title={at("credits.title")}>
      <ErrorText error={error} />
      {!data && !error && <p class="muted">{t("loading")}</p>}
      {data && (
        <>
          {!data.enableCredit && <Notice kind="info">{at("credits.off")}</Notice>}
          <p class="balance">
            <span class="balance-label">{at("credits.available")}</span>
            <strong class="balance-value" data-testid="balance">
              {data.account.balance}
            </strong>
          </p>
          <dl class="facts">
            <dt>{at("credits.total")}</dt>
            <dd>{data.account.total}</dd>
            <dt>{at("credits.pending")}</dt>
            <dd>{data.account.pendingCredit}</dd>
          </dl>
        </>
      )}
      <h3>{at("redeem.title")}</h3>
      <Form
        inline
        label={at("redeem.title")}
        onSubmit={(values, form) =>
          redeem.run(async () => {
            const result = await call<RedeemResult>("POST", "/api/credits/redeem", { code: values.code });
            form.reset();
            toast(at("redeem.done", { amount: result.redeemed }));
            props.onChange();
          })
        }
      >
        <TextField label={at("redeem.code")} name="code" required autocomplete="off" />
        <Button type="submit" busy={redeem.busy}>
          {at("redeem.submit")}
        </Button>
      </Form>
      <ErrorText error={redeem.error} />
    </Panel>
  );
}

/** Where to buy credits: the operator's payment link and, when Stripe is configured, card checkout. */
export function TopUpPanel(props: { credits: Loaded<CreditsOverview> }) {
  const { data } = props.credits;
  const checkout = useAction();
  // A 503 means the hub has no card payments after all; the button goes away instead of failing again.
  const [cardGone, setCardGone] = useState(false);
  const outcome = new URLSearchParams(location.search).get("checkout");
  useEffect(() => {
    if (location.pathname.replace(/\/+$/, "") === "/ui/credits" || location.hash === "#top-up")
      document.querySelector<HTMLElement>("#top-up h2")?.focus();
  }, []);
  const ownPage = data && new URL(data.paymentLink, location.href).pathname.replace(/\/+$/, "") === "/ui/credits";
  return (
    <Panel id="top-up" title={at("topUp.title")}>
      {outcome === "success" && <Notice kind="success">{at("topUp.success")}</Notice>}
      {outcome === "cancelled" && <Notice kind="info">{at("topUp.cancelled")}</Notice>}
      {data &&
        (ownPage ? (
          <p class="muted">{at("topUp.self")}</p>
        ) : (
          <p>
            {at("topUp.intro")}{" "}
            <a href={data.paymentLink} rel="noopener noreferrer" target="_blank">
              {at("topUp.link")}
            </a>
          </p>
        ))}
      {data?.cardTopUp && !cardGone && (
        <Form
          inline
          label={at("topUp.card")}
          onSubmit={(values) =>
            checkout.run(async () => {
              try {
                const session = await call<CheckoutSession>("POST", "/api/credits/checkout", {
                  credits: values.credits,
                });
                location.assign(session.url);
              } catch (error) {
                if (error instanceof ApiError && error.status === 503) setCardGone(true);
                throw error;
              }
            })
          }
        >
          <TextField label={at("topUp.amount")} name="credits" type="number" min={1} step="1" required />
          <Button type="submit" kind="primary" busy={checkout.busy}>
            {at("topUp.card")}
          </Button>
        </Form>
      )}
      {cardGone && <p class="muted">{at("topUp.noCard")}</p>}
      <ErrorText error={checkout.error} />
    </Panel>
  );
}
