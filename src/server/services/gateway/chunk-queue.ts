/** @module A small bounded queue between the upstream pump and the client writer of a stream, and the pump's yield. */

/**
 * Resolves on the event loop's next turn. Bun writes response bytes enqueued during a turn only once the turn's
 * work is done, and a single setImmediate still runs before that write; one scheduled from inside it runs after.
 */
export const nextLoopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * Hands items from one producer to one consumer. `push` waits while `limit` items are unread, so a slow client slows
 * the upstream read instead of growing memory; after `abandon` the producer never waits and items are dropped.
 */
export class ChunkQueue<T> {
  private items: T[] = [];
  private closed = false;
  private abandoned = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly limit = 64) {}

  /** Adds an item; resolves once there is room (at once when the consumer has gone). */
  async push(item: T): Promise<void> {
    if (this.abandoned) return;
    this.items.push(item);
    this.wakeConsumer?.();
    while (this.items.length >= this.limit && !this.abandoned) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    }
  }

  /** Takes the next item, waiting for one; undefined once the queue is closed and empty. */
  async shift(): Promise<T | undefined> {
    while (!this.items.length && !this.closed) {
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
    const item = this.items.shift();
    this.wakeProducer?.();
    return item;
  }

  /** Ends the queue: the consumer gets what is left, then undefined. */
  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  /** The consumer left: drop what is queued and never block the producer again. */
  abandon(): void {
    this.abandoned = true;
    this.items = [];
    this.wakeProducer?.();
  }
}
