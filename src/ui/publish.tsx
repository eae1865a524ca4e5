/** @jsxImportSource preact */
/**
 * @module Publish (/ui/publish.html): goal, constraints and preference tags become a run; when the publish gate
 * refuses, the page says which rule it is and what to do about it.
 */
import { useState } from "preact/hooks";
import type { PublicUser } from "../shared/api";
import { Button, ErrorText, Notice, Panel } from "./lib/components";
import { Form, TextAreaField, TextField } from "./lib/fields";
import { useAction } from "./lib/hooks";
import { PlatformError, platform } from "./lib/runs/api";
import { splitTags, viewPath } from "./lib/runs/format";
import { IdentityPanel, useIdentity } from "./lib/runs/identity";
import { rt } from "./lib/runs/text";
import type { CreatedRun, PublishGated } from "./lib/runs/wire";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";

function PublishPage(props: { user: PublicUser | undefined }) {
  const identity = useIdentity(props.user);
  return (
    <div class="page">
      <div class="page-head">
        <h1>{rt("publish.heading")}</h1>
      </div>
      <p class="lead">{rt("publish.intro")}</p>
      <div class="grid">
        <IdentityPanel identity={identity} />
        {identity.credentials && <PublishForm key={identity.id} />}
      </div>
    </div>
  );
}

function PublishForm() {
  const action = useAction();
  const [gate, setGate] = useState<PublishGated>();
  const [created, setCreated] = useState<CreatedRun>();
  const publish = (values: Record<string, string>, form: HTMLFormElement) =>
    action.run(async () => {
      setGate(undefined);
      setCreated(undefined);
      const body = {
        goal: values.goal ?? "",
        constraints: values.constraints ?? "",
        required_tags: splitTags(values.tags ?? ""),
      };
      try {
        setCreated(await platform<CreatedRun>("POST", "/v1/runs", body));
        form.reset();
      } catch (error) {
        // The gate is not a failure to report but a rule to explain; the form keeps what was typed.
        if (error instanceof PlatformError && error.body.error === "publish_gated")
          return setGate(error.body as unknown as PublishGated);
        throw error;
      }
    });
  return (
    <Panel title={rt("publish.form")} wide>
      <Form onSubmit={publish}>
        <TextAreaField label={rt("publish.goal")} name="goal" rows={4} hint={rt("publish.goalHint")} required />
        <TextAreaField
          label={rt("publish.constraints")}
          name="constraints"
          rows={3}
          hint={rt("publish.constraintsHint")}
        />
        <TextField label={rt("publish.tags")} name="tags" autocomplete="off" hint={rt("publish.tagsHint")} />
        <ErrorText error={action.error} />
        {gate && <GateExplanation gate={gate} />}
        {created && (
          <Notice kind="success">
            {rt("publish.done", { count: created.offered_agents })}{" "}
            <a href={viewPath("live", created.run_id)}>{rt("publish.watch")}</a>
          </Notice>
        )}
        <Button type="submit" kind="primary" busy={action.busy}>
          {rt("publish.submit")}
        </Button>
      </Form>
    </Panel>
  );
}

/** The gate's refusal in words: which rule, how far along the visitor is, the hub's own rule text, and a way on. */
function GateExplanation(props: { gate: PublishGated }) {
  const { gate } = props;
  return (
    <div class="notice warning gate" role="alert">
      <h3>{rt("gate.title")}</h3>
      <p>
        {gate.reason === "no_agent"
          ? rt("gate.no_agent")
          : rt("gate.insufficient_contribution", { completed: gate.completed ?? 0, min: gate.min ?? 1 })}
      </p>
      <p class="small">{rt("gate.requirement", { text: gate.requirement })}</p>
      <a href="/ui/agent.html">{rt("gate.agents")}</a>
    </div>
  );
}

mountPage({
  page: "publish",
  public: true,
  title: () => rt("publish.title"),
  render: (user) => <PublishPage user={user} />,
});
