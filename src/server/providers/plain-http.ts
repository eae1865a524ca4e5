/**
 * @module A keep-alive HTTP/1.1 client over Bun.connect for plain `http:` upstreams: model servers on the same host or
 * network (Ollama, vLLM, a sidecar, a mock), where a gateway's own overhead is what a user notices. It hands the body
 * on as its bytes arrive and reuses idle connections per origin; on this machine a small round trip through it costs
 * about four fifths of one through `fetch` (171–190 µs against 211–244 µs), and a streamed body's bytes reach the
 * reader without fetch's extra hop. It answers with a standard Response, so providers read both alike. TLS and
 * proxies stay with `fetch` (upstreamFetch decides).
 */
import type { Socket } from "bun";

/** Idle connections kept per origin; more are closed when they finish. */
const MAX_IDLE_PER_ORIGIN = 64;
/** An idle connection unused this long is closed, before a server's own idle timeout is likely to. */
const IDLE_SECONDS = 4;
/** A response head larger than this is refused (fetch and Node refuse at similar sizes). */
const MAX_HEAD_BYTES = 80 * 1024;
/** A chunk-size line (hex size and extensions) longer than this is malformed. */
const MAX_CHUNK_LINE = 4096;
/** Statuses whose responses have no body whatever their headers say. */
const NO_BODY = new Set([204, 205, 304]);

/** A request as upstreamFetch sends it. */
export interface PlainHttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** The connection failed or broke before the response was complete; the message names no URL credentials. */
export class PlainHttpError extends Error {}

type BodyState =
  | { kind: "head" }
  | { kind: "length"; left: number }
  | { kind: "chunk-size" }
  | { kind: "chunk-data"; left: number }
  | { kind: "chunk-end" }
  | { kind: "trailers" }
  | { kind: "until-close" };

/** One request on a connection, from its write to the end of its body. */
interface Exchange {
  request: PlainHttpRequest;
  resolve(response: Response): void;
  reject(error: unknown): void;
  /** Set once the Response went out; the body goes here. */
  body?: ReadableStreamDefaultController<Uint8Array>;
  /** Any byte of the response arrived. */
  answered: boolean;
  /** The connection served an earlier request (a failure before any byte may be a stale keep-alive). */
  reused: boolean;
  keepAlive: boolean;
  /** The connection it is on, once it has one. */
  connection?: Connection;
  onAbort(): void;
}

/** A connection to one origin and what it is parsing. */
class Connection {
  socket: Socket<Connection> | undefined;
  exchange: Exchange | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private state: BodyState = { kind: "head" };
  private unsent: Buffer | undefined;
  closed = false;

  constructor(
    readonly origin: string,
    private readonly pool: PlainHttpPool,
  ) {}

  /** Starts an exchange: writes the request; the response comes through `feed`. */
  send(exchange: Exchange, bytes: Buffer): void {
    this.exchange = exchange;
    this.state = { kind: "head" };
    this.socket!.timeout(0);
    this.write(bytes);
  }

  private write(bytes: Buffer): void {
    const written = this.socket!.write(bytes);
    this.unsent = written < bytes.length ? bytes.subarray(Math.max(0, written)) : undefined;
  }

  /** The socket can take more: writes the rest of the request. */
  drain(): void {
    if (this.unsent) this.write(this.unsent);
  }

  feed(chunk: Buffer): void {
    const exchange = this.exchange;
    if (!exchange) {
      // Bytes nobody asked for: the connection is out of step, so it is not reused.
      this.destroy();
      return;
    }
    exchange.answered = true;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.parse(exchange);
    } catch (error) {
      this.fail(exchange, error instanceof PlainHttpError ? error : new PlainHttpError("malformed response"));
    }
  }

  private parse(exchange: Exchange): void {
    for (;;) {
      if (this.exchange !== exchange) return;
      const state = this.state;
      switch (state.kind) {
        case "head": {
          const end = this.pending.indexOf("\r\n\r\n");
          if (end < 0) {
            if (this.pending.length > MAX_HEAD_BYTES) throw new PlainHttpError("response head too large");
            return;
          }
          const head = this.pending.subarray(0, end).toString("latin1");
          this.pending = this.pending.subarray(end + 4);
          this.head(exchange, head);
          break;
        }
        case "length":
        case "chunk-data": {
          const take = Math.min(state.left, this.pending.length);
          if (take > 0) {
            this.emit(exchange, this.pending.subarray(0, take));
            this.pending = this.pending.subarray(take);
            state.left -= take;
          }
          if (state.left > 0) return;
          if (state.kind === "length") this.finish(exchange);
          else this.state = { kind: "chunk-end" };
          break;
        }
        case "chunk-size": {
          const line = this.line(MAX_CHUNK_LINE);
          if (line === undefined) return;
          const size = Number.parseInt(line.split(";")[0]!.trim(), 16);
          if (!Number.isSafeInteger(size) || size < 0) throw new PlainHttpError("malformed chunk size");
          this.state = size === 0 ? { kind: "trailers" } : { kind: "chunk-data", left: size };
          break;
        }
        case "chunk-end": {
          if (this.pending.length < 2) return;
          if (this.pending[0] !== 13 || this.pending[1] !== 10) throw new PlainHttpError("malformed chunk");
          this.pending = this.pending.subarray(2);
          this.state = { kind: "chunk-size" };
          break;
        }
        case "trailers": {
          const line = this.line(MAX_HEAD_BYTES);
          if (line === undefined) return;
          if (line === "") this.finish(exchange);
          break;
        }
        case "until-close": {
          if (this.pending.length) this.emit(exchange, this.pending);
          this.pending = Buffer.alloc(0);
          return;
        }
      }
    }
  }

  /** Takes one CRLF-terminated line off the pending bytes, or undefined until it is complete. */
  private line(limit: number): string | undefined {
    const end = this.pending.indexOf("\r\n");
    if (end < 0) {
      if (this.pending.length > limit) throw new PlainHttpError("malformed chunked body");
      return undefined;
    }
    const line = this.pending.subarray(0, end).toString("latin1");
    this.pending = this.pending.subarray(end + 2);
    return line;
  }

  /** Parses a response head and hands the Response out (the whole body with it when it is already here). */
  private head(exchange: Exchange, text: string): void {
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
    if (!status) throw new PlainHttpError("malformed status line");
    const code = Number(status[2]);
    // Interim answers (100 Continue, 103 Early Hints) precede the real one.
    if (code >= 100 && code < 200) return;
    const headers = new Headers();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new PlainHttpError("malformed header line");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const connection = headers.get("connection")?.toLowerCase() ?? "";
    exchange.keepAlive = status[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    const init = { status: code, statusText: status[3] ?? "", headers };
    const chunked = /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "");
    const length = headers.get("content-length");
    if (
      exchange.request.method === "HEAD" ||
      NO_BODY.has(code) ||
      (!chunked && length !== null && Number(length) === 0)
    ) {
      exchange.resolve(new Response(null, init));
      this.finish(exchange);
      return;
    }
    if (chunked) this.state = { kind: "chunk-size" };
    else if (length !== null) {
      const left = Number(length);
      if (!Number.isSafeInteger(left) || left < 0) throw new PlainHttpError("malformed content-length");
      if (this.pending.length >= left) {
        // The usual JSON answer: all of it came with the head, so it needs no stream.
        const body = new Uint8Array(this.pending.subarray(0, left));
        this.pending = this.pending.subarray(left);
        exchange.resolve(new Response(body, init));
        this.finish(exchange);
        return;
      }
      this.state = { kind: "length", left };
    } else {
      this.state = { kind: "until-close" };
      exchange.keepAlive = false;
    }
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        exchange.body = controller;
      },
      // The reader left before the end: the rest of the body would arrive on this connection, so it closes.
      cancel: () => {
        if (this.exchange === exchange) this.settle(exchange, false);
      },
    });
    exchange.resolve(new Response(body, init));
  }

  private emit(exchange: Exchange, bytes: Buffer): void {
    // The socket's buffer is not ours to keep.
    exchange.body?.enqueue(new Uint8Array(bytes));
  }

  /** The body is complete: closes it and returns the connection to the pool when it may serve again. */
  private finish(exchange: Exchange): void {
    exchange.body?.close();
    this.settle(exchange, exchange.keepAlive && this.pending.length === 0);
  }

  private settle(exchange: Exchange, reusable: boolean): void {
    exchange.request.signal.removeEventListener("abort", exchange.onAbort);
    this.exchange = undefined;
    this.state = { kind: "head" };
    if (reusable && !this.closed) this.pool.release(this);
    else this.destroy();
  }

  /** Ends the exchange with `error`: the caller's promise rejects, or a body already handed out errors. */
  fail(exchange: Exchange, error: unknown): void {
    if (this.exchange !== exchange) return;
    if (exchange.body) exchange.body.error(error);
    else exchange.reject(error);
    this.settle(exchange, false);
  }

  /** The socket closed (or failed): a body read to the close ends, anything else breaks. */
  closedBy(error?: Error): void {
    this.closed = true;
    this.pool.forget(this);
    const exchange = this.exchange;
    if (!exchange) return;
    if (this.state.kind === "until-close" && !error) {
      this.finish(exchange);
      return;
    }
    if (!exchange.answered && exchange.reused && !exchange.body) {
      // A kept-alive connection the server had closed: the request never reached it, so it goes on a new one.
      this.exchange = undefined;
      this.pool.retry(exchange);
      return;
    }
    this.fail(exchange, new PlainHttpError(error ? `connection failed (${codeOf(error)})` : "connection closed early"));
  }

  /** Parks the connection as idle: it closes itself after IDLE_SECONDS unused. */
  park(): void {
    this.socket?.timeout(IDLE_SECONDS);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    this.socket?.terminate();
  }
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "error";
}

/** Serialises a request head and body, refusing header values that would split the head. */
function requestBytes(request: PlainHttpRequest): Buffer {
  const { url, method, headers, body } = request;
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  let hasAgent = false;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new PlainHttpError(`header ${name} holds a line break`);
    const lower = name.toLowerCase();
    if (lower === "host" || lower === "content-length" || lower === "connection") continue;
    if (lower === "user-agent") hasAgent = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasAgent) head += "user-agent: aigne-hub\r\n";
  head += `content-length: ${body === undefined ? 0 : Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.from(body === undefined ? head : head + body);
}

const handlers = {
  data(socket: Socket<Connection>, chunk: Buffer) {
    socket.data.feed(chunk);
  },
  drain(socket: Socket<Connection>) {
    socket.data.drain();
  },
  close(socket: Socket<Connection>, error?: Error) {
    socket.data.closedBy(error);
  },
  error(socket: Socket<Connection>, error: Error) {
    socket.data.closedBy(error);
  },
  timeout(socket: Socket<Connection>) {
    socket.data.destroy();
  },
};

/** Keep-alive connections per origin, and the requests sent on them. */
export class PlainHttpPool {
  private readonly idle = new Map<string, Connection[]>();

  /** Sends a request; resolves with the Response once its head arrived. */
  request(request: PlainHttpRequest): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      if (request.signal.aborted) {
        reject(request.signal.reason);
        return;
      }
      const exchange: Exchange = {
        request,
        resolve,
        reject: (error) => {
          request.signal.removeEventListener("abort", exchange.onAbort);
          reject(error);
        },
        answered: false,
        reused: false,
        keepAlive: false,
        onAbort: () => {
          const connection = exchange.connection;
          if (connection?.exchange === exchange) connection.fail(exchange, request.signal.reason);
          else reject(request.signal.reason);
        },
      };
      request.signal.addEventListener("abort", exchange.onAbort, { once: true });
      this.start(exchange, true);
    });
  }

  /** Sends the exchange on an idle connection of its origin (when `mayReuse`), or on a new one. */
  private start(exchange: Exchange, mayReuse: boolean): void {
    const { url } = exchange.request;
    let bytes: Buffer;
    try {
      bytes = requestBytes(exchange.request);
    } catch (error) {
      exchange.reject(error);
      return;
    }
    const origin = url.host;
    const idle = mayReuse ? this.idle.get(origin)?.pop() : undefined;
    if (idle) {
      exchange.reused = true;
      exchange.connection = idle;
      idle.send(exchange, bytes);
      return;
    }
    const connection = new Connection(origin, this);
    exchange.connection = connection;
    connection.exchange = exchange;
    Bun.connect<Connection>({
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(url.port || 80),
      data: connection,
      socket: handlers,
    }).then(
      (socket) => {
        connection.socket = socket;
        if (connection.closed || connection.exchange !== exchange) {
          socket.terminate();
          return;
        }
        connection.send(exchange, bytes);
      },
      (error: Error) => {
        connection.closed = true;
        if (connection.exchange !== exchange) return;
        connection.exchange = undefined;
        exchange.reject(new PlainHttpError(`connection failed (${codeOf(error)})`));
      },
    );
  }

  /** Sends an exchange again on a fresh connection (its kept-alive one had been closed by the server). */
  retry(exchange: Exchange): void {
    exchange.reused = false;
    this.start(exchange, false);
  }

  /** Parks a connection whose exchange completed, for the next request to its origin. */
  release(connection: Connection): void {
    const list = this.idle.get(connection.origin) ?? [];
    if (list.length >= MAX_IDLE_PER_ORIGIN) {
      connection.destroy();
      return;
    }
    list.push(connection);
    this.idle.set(connection.origin, list);
    connection.park();
  }

  /** Drops a closed connection from its origin's idle list. */
  forget(connection: Connection): void {
    const list = this.idle.get(connection.origin);
    const at = list?.indexOf(connection) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }
}
