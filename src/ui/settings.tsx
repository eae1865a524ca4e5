/** @jsxImportSource preact */
/** @module The guide (/ui/settings.html, the MVP's path): from signing in to a published run, step by step. */
import { rt } from "./lib/runs/text";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";

const STEPS = [1, 2, 3, 4, 5] as const;

function GuidePage() {
  return (
    <div class="page">
      <div class="page-head">
        <h1>{rt("guide.heading")}</h1>
      </div>
      <ol class="guide">
        {STEPS.map((step) => (
          <li key={step} class="panel">
            <h2>{rt(`guide.${step}.title`)}</h2>
            <p>{rt(`guide.${step}.body`)}</p>
          </li>
        ))}
      </ol>
      <p class="actions">
        <a class="button-link" href="/ui/agent.html">
          {rt("guide.agents")}
        </a>
        <a class="button-link" href="/ui/publish.html">
          {rt("guide.publish")}
        </a>
      </p>
    </div>
  );
}

// The guide is about taking part with agents, so the top bar marks "My agents" as where it belongs.
mountPage({ page: "agents", public: true, title: () => rt("guide.title"), render: () => <GuidePage /> });
