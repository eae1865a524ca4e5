/** @module Strict JSON bodies: every rejection is `invalid json`; null reads as absent. */
import { describe, expect, test } from "bun:test";
import { decodeBody, readBodyText } from "../../../src/server/routes/agents/body";

const shape = { name: "string", tags: "string[]", count: "int", payload: "object" } as const;

describe("decodeBody", () => {
  test("accepts known fields of the right types, and null as absent", () => {
    expect(decodeBody('{"name":"a","tags":["x"],"count":2,"payload":{"k":[1]}}', shape)).toEqual({
      name: "a",
      tags: ["x"],
      count: 2,
      payload: { k: [1] },
    });
    expect(decodeBody('{"name":null}', shape)).toEqual({});
    expect(decodeBody("null", shape)).toEqual({});
  });

  test("rejects unknown fields, wrong types, malformed JSON, non-objects and empty bodies", () => {
    for (const text of [
      '{"extra":1}',
      '{"name":1}',
      '{"tags":[1]}',
      '{"count":1.5}',
      '{"payload":[]}',
      '{"payload":"x"}',
      "{bad",
      "[]",
      '"text"',
      "",
      "   ",
    ]) {
      expect(() => decodeBody(text, shape)).toThrow("invalid json");
    }
  });

  test("an empty body is {} where the route allows it", () => {
    expect(decodeBody("", shape, true)).toEqual({});
  });
});

describe("readBodyText", () => {
  test("reads up to the limit and rejects a longer body, declared or streamed", async () => {
    expect(await readBodyText(new Request("http://x/", { method: "POST", body: "12345" }), 5)).toBe("12345");
    await expect(readBodyText(new Request("http://x/", { method: "POST", body: "123456" }), 5)).rejects.toThrow(
      "invalid json",
    );
    const streamed = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("abc"));
        controller.enqueue(new TextEncoder().encode("def"));
        controller.close();
      },
    });
    const request = new Request("http://x/", { method: "POST", body: streamed });
    await expect(readBodyText(request, 5)).rejects.toThrow("invalid json");
  });
});
