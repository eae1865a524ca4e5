/** @module What the client prints: the browser command, the status report and the chat usage line. */
import { describe, expect, test } from "bun:test";
import { joinMountPoint } from "../../../src/cli/api-client";
import { browserCommand } from "../../../src/cli/browser";
import { usageLine } from "../../../src/cli/commands/chat";
import { formatStatus, statusReport } from "../../../src/cli/commands/hub-status";
import type { UserInfo } from "../../../src/shared/api";

const URL_TO_OPEN = "http://127.0.0.1:8090/.well-known/service/gen-simple-access-key?__token__=abc";

describe("browserCommand", () => {
  test("uses the first $BROWSER entry, with %s replaced or the URL appended", () => {
    expect(browserCommand(URL_TO_OPEN, "/tmp/fake-browser.sh:firefox")).toEqual(["/tmp/fake-browser.sh", URL_TO_OPEN]);
    expect(browserCommand(URL_TO_OPEN, "w3m -dump %s")).toEqual(["w3m", "-dump", URL_TO_OPEN]);
  });

  test("falls back to the platform opener", () => {
    expect(browserCommand(URL_TO_OPEN, undefined, "linux")).toEqual(["xdg-open", URL_TO_OPEN]);
    expect(browserCommand(URL_TO_OPEN, "", "darwin")).toEqual(["open", URL_TO_OPEN]);
  });
});

describe("joinMountPoint", () => {
  test("stores the bare origin for mount point / and origin + path otherwise, without a trailing slash", () => {
    expect(joinMountPoint("http://127.0.0.1:8090", "/")).toBe("http://127.0.0.1:8090");
    expect(joinMountPoint("https://example.com", "/ai-kit/")).toBe("https://example.com/ai-kit");
  });
});

const INFO: UserInfo = {
  user: { did: "zDid", fullName: "Ann Example", email: "ann@example.com", avatar: null },
  enableCredit: true,
  creditBalance: { balance: "75.5", total: "100" },
  paymentLink: "https://hub.example.com/credits/buy",
  profileLink: "https://hub.example.com/ui/",
};

describe("the status report", () => {
  test("computes used credits exactly and lists the links", () => {
    const report = statusReport({ url: "https://hub.example.com", active: true, source: "store" }, INFO);
    expect(report.credits).toEqual({ total: "100", used: "24.5", available: "75.5" });
    expect(formatStatus(report)).toBe(
      [
        "Hub:       https://hub.example.com (active)",
        "User:      Ann Example",
        "DID:       zDid",
        "Email:     ann@example.com",
        "Total:     100",
        "Used:      24.5",
        "Available: 75.5",
        "Payment:   https://hub.example.com/credits/buy",
        "Profile:   https://hub.example.com/ui/",
        "",
      ].join("\n"),
    );
  });

  test("without billing it says so and shows no amounts; unreadable amounts leave used unknown", () => {
    const off = statusReport(
      { url: "https://hub.example.com", active: false, source: "argument" },
      { ...INFO, enableCredit: false, creditBalance: null, paymentLink: null },
    );
    expect(off.credits).toBeNull();
    expect(formatStatus(off)).toContain("Credits:   not billed on this hub");
    const odd = statusReport(
      { url: "https://hub.example.com", active: true, source: "store" },
      { ...INFO, creditBalance: { balance: "1e-7", total: "1" } },
    );
    expect(odd.credits?.used).toBeNull();
  });
});

describe("usageLine", () => {
  test("shows tokens, and the credits charged with the configured prefix", () => {
    expect(usageLine({ inputTokens: 11, outputTokens: 3 })).toBe("11 input tokens, 3 output tokens");
    expect(usageLine({ inputTokens: 11, outputTokens: 3, aigneHubCredits: 0.000041 })).toBe(
      "11 input tokens, 3 output tokens; credits used: 0.000041",
    );
    expect(usageLine({ inputTokens: 1, outputTokens: 2, aigneHubCredits: 1.5, creditPrefix: "$" })).toBe(
      "1 input tokens, 2 output tokens; credits used: $1.5",
    );
    expect(usageLine(undefined)).toBeUndefined();
  });
});
