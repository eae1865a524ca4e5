/**
 * @module The hub's keep-alive HTTP/1.1 client for plain-http upstreams, against a raw TCP server that answers with
 * exact bytes: body framings (length, chunked across packets, to the close), reuse and its limits, a stale kept-alive
 * connection, aborts and cancels mid-body, malformed answers, and request heads that would split.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { PlainHttpError, PlainHttpPool } from "../../../src/server/providers/plain-http";

/** What the server does with one request: the byte pieces it writes (with pauses), and whether it closes after. */
interface Answer {
  pieces: (string | { waitMs: number })[];
  close?: boolean;
}

interface Peer {
  id: number;
  buffer: Buffer;
}

let server: TCPSocketListener<Peer>;
let base: string;
let connections = 0;
let closedConnections = 0;
const received: { connection: number; head: string; body: string }[] = [];
let answer: (request: { head: string; body: string; connection: number }) => Answer;

async function play(socket: Socket<Peer>, reply: Answer) {
  for (const piece of reply.pieces) {
    if (typeof piece === "string") socket.write(piece);
    else await Bun.sleep(piece.waitMs);
  }
  if (reply.close) socket.end();
}

beforeAll(() => {
  server = Bun.listen<Peer>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { id: ++connections, buffer: Buffer.alloc(0) };
      },
      data(socket, chunk) {
        socket.data.buffer = Buffer.concat([socket.data.buffer, chunk]);
        for (;;) {
          const end = socket.data.buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = socket.data.buffer.subarray(0, end).toString();
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (socket.data.buffer.length < end + 4 + length) return;
          const body = socket.data.buffer.subarray(end + 4, end + 4 + length).toString();
          socket.data.buffer = socket.data.buffer.subarray(end + 4 + length);
          const request = { head, body, connection: socket.data.id };
          received.push(request);
          void play(socket, answer(request));
        }
      },
      close() {
        closedConnections++;
      },
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const json = (text: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`;

function send(
  pool: PlainHttpPool,
  path = "/v1/x",
  options: { signal?: AbortSignal; headers?: Record<string, string> } = {},
) {
  return pool.request({
    url: new URL(base + path),
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: '{"hi":"✓"}',
    signal: options.signal ?? new AbortController().signal,
  });
}

describe("requests and body framings", () => {
  test("sends method, path, host, headers and the body with its byte length", async () => {
    answer = () => ({ pieces: [json('{"ok":true}')] });
    const response = await send(new PlainHttpPool(), "/v1/chat?x=1", { headers: { authorization: "Bearer k" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ ok: true });
    const { head, body } = received.at(-1)!;
    expect(head.split("\r\n")[0]).toBe("POST /v1/chat?x=1 HTTP/1.1");
    expect(head).toContain(`host: 127.0.0.1:${server.port}`);
    expect(head).toContain("authorization: Bearer k");
    expect(head).toContain(`content-length: ${Buffer.byteLength('{"hi":"✓"}')}`);
    expect(body).toBe('{"hi":"✓"}');
  });

  test("a content-length body split across packets arrives whole, and a status is passed through", async () => {
    answer = () => ({
      pieces: [
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 3\r\ncontent-len",
        "gth: 11\r\n\r\nhello",
        { waitMs: 20 },
        " world",
      ],
    });
    const response = await send(new PlainHttpPool());
    expect([response.status, response.statusText, response.headers.get("retry-after")]).toEqual([
      429,
      "Too Many Requests",
      "3",
    ]);
    expect(await response.text()).toBe("hello world");
  });

  test("a chunked body is decoded as its chunks arrive, whatever the packet boundaries, trailers ignored", async () => {
    answer = () => ({
      pieces: [
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nda",
        "ta:\r\n",
        { waitMs: 30 },
        "6;ext=1\r\n one\n\n\r",
        "\n0\r\nx-trailer: t\r\n\r\n",
      ],
    });
    const response = await send(new PlainHttpPool());
    const reader = response.body!.getReader();
    const first = await reader.read();
    // What came before the server's pause reaches the reader before the rest was sent.
    expect(["da", "data:"]).toContain(new TextDecoder().decode(first.value));
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toBe("data: one\n\n");
  });

  test("a body without a length is read to the close, and that connection is not reused", async () => {
    answer = () => ({ pieces: ["HTTP/1.1 200 OK\r\n\r\nall of ", "it"], close: true });
    const pool = new PlainHttpPool();
    const response = await send(pool);
    expect(await response.text()).toBe("all of it");
    answer = () => ({ pieces: [json("{}")] });
    const before = received.length;
    await (await send(pool)).text();
    expect(received[before]!.connection).not.toBe(received[before - 1]!.connection);
  });

  test("interim 100 and 103 answers are skipped; 204 has no body", async () => {
    answer = () => ({
      pieces: ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: x\r\n\r\n", json('"late"')],
    });
    expect(await (await send(new PlainHttpPool())).json()).toBe("late");
    answer = () => ({ pieces: ["HTTP/1.1 204 No Content\r\n\r\n"] });
    const empty = await send(new PlainHttpPool());
    expect([empty.status, empty.body]).toEqual([204, null]);
  });
});

describe("connection reuse", () => {
  test("sequential requests share one connection; concurrent ones each get their own", async () => {
    answer = () => ({ pieces: [json("1")] });
    const pool = new PlainHttpPool();
    const from = received.length;
    for (let i = 0; i < 3; i++) await (await send(pool)).json();
    const sequential = new Set(received.slice(from).map((r) => r.connection));
    expect(sequential.size).toBe(1);
    const at = received.length;
    await Promise.all([send(pool), send(pool), send(pool)].map(async (p) => (await p).json()));
    expect(new Set(received.slice(at).map((r) => r.connection)).size).toBe(3);
  });

  test("an answer with connection: close is not reused", async () => {
    answer = () => ({ pieces: [json("1", "connection: close\r\n")] });
    const pool = new PlainHttpPool();
    const from = received.length;
    await (await send(pool)).json();
    await (await send(pool)).json();
    expect(received[from]!.connection).not.toBe(received[from + 1]!.connection);
  });

  test("a kept-alive connection the server closed while idle is replaced, and the request sent once", async () => {
    answer = () => ({ pieces: [json("1")], close: true });
    const pool = new PlainHttpPool();
    await (await send(pool)).json();
    // The server closed after answering; the pool may not have noticed before the next request.
    answer = () => ({ pieces: [json("2")] });
    const from = received.length;
    expect(await (await send(pool)).json()).toBe(2);
    expect(received.length - from).toBe(1);
  });
});

describe("failures", () => {
  test("an abort before the head rejects with the signal's reason and closes the connection", async () => {
    answer = () => ({ pieces: [{ waitMs: 500 }, json("1")] });
    const controller = new AbortController();
    const pending = send(new PlainHttpPool(), "/slow", { signal: controller.signal });
    await Bun.sleep(30);
    const closed = closedConnections;
    controller.abort(new Error("caller left"));
    expect(pending).rejects.toThrow("caller left");
    await Bun.sleep(30);
    expect(closedConnections).toBe(closed + 1);
  });

  test("an abort or a cancel mid-body ends the body and the connection, which is not reused", async () => {
    answer = () => ({
      pieces: ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n", { waitMs: 300 }, "0\r\n\r\n"],
    });
    const pool = new PlainHttpPool();
    const controller = new AbortController();
    const response = await send(pool, "/x", { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("one");
    controller.abort(new Error("gone"));
    expect(reader.read()).rejects.toThrow("gone");

    const cancelled = await send(pool);
    const other = cancelled.body!.getReader();
    await other.read();
    await other.cancel();
    answer = () => ({ pieces: [json("3")] });
    const from = received.length;
    await (await send(pool)).json();
    expect(new Set(received.slice(from - 2).map((r) => r.connection)).size).toBe(3);
  });

  test("a server that closes mid-body breaks the body with a PlainHttpError", async () => {
    answer = () => ({ pieces: ["HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial"], close: true });
    const response = await send(new PlainHttpPool());
    expect(response.text()).rejects.toBeInstanceOf(PlainHttpError);
  });

  test("a malformed status line, header or chunk size rejects; nothing is reused", async () => {
    for (const bytes of [
      "HTTX/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    ]) {
      answer = () => ({ pieces: [bytes] });
      const result = send(new PlainHttpPool()).then((response) => response.text());
      expect(result).rejects.toBeInstanceOf(PlainHttpError);
      await result.catch(() => undefined);
    }
  });

  test("a refused connection rejects with a PlainHttpError naming the error code, not the URL", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const error = await new PlainHttpPool()
      .request({
        url: new URL(`http://user:pw@127.0.0.1:${port}/`),
        method: "GET",
        headers: {},
        signal: new AbortController().signal,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlainHttpError);
    expect((error as Error).message).toMatch(/^connection failed \(\w+\)$/);
  });

  test("a header value with a line break is refused before anything is sent", async () => {
    const from = received.length;
    const error = await send(new PlainHttpPool(), "/x", { headers: { authorization: "Bearer k\r\nx-evil: 1" } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlainHttpError);
    expect((error as Error).message).not.toContain("Bearer");
    expect(received.length).toBe(from);
  });
});
