/** @module The in-process background loop: a setTimeout chain (ticks never overlap) running a fixed task list. */
import { describeError } from "../shared/errors";
import type { Logger } from "./log";

/** One periodic task; `everyMs` spaces its runs out over ticks. */
export interface BackgroundTask {
  name: string;
  everyMs: number;
  run(): Promise<void>;
}

/** Starts the loop; `tick()` runs due tasks at once (tests drive it), `stop()` waits for a running tick. */
export function startBackgroundWorker(options: {
  tasks: BackgroundTask[];
  intervalMs: number;
  log: Logger;
  now?: () => number;
}) {
  const { tasks, intervalMs, log, now = Date.now } = options;
  const lastRun = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  /** Runs every task that is due; a failing task is logged and the others still run. */
  async function tick(force = false): Promise<void> {
    for (const task of tasks) {
      const at = now();
      if (!force && at - (lastRun.get(task.name) ?? -Infinity) < task.everyMs) continue;
      lastRun.set(task.name, at);
      try {
        await task.run();
      } catch (error) {
        log.error("background task failed", { task: task.name, error: describeError(error) });
      }
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, intervalMs);
  }
  schedule();

  return {
    tick: (force = true) => {
      running = running.then(() => tick(force));
      return running;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
