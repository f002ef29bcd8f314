// BullMQ queues and workers of the app, created and closed in one place.
import { Queue, Worker, type Processor, type WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { SampledLog } from "../logging/sampled.ts";
import { createRedis } from "./redis.ts";

export const QUEUE_PREFIX = "troly06";

export interface QueueSet {
  /** Key prefix of every queue (tests use a unique one to stay apart in a shared Redis). */
  prefix: string;
  /** A producer-side queue (created once per name). */
  queue(name: string): Queue;
  /** Starts a worker; it is closed (gracefully) by close(). */
  worker(name: string, processor: Processor, options?: Partial<WorkerOptions>): Worker;
  /** Producer connection, for the app's own keys (rate limits, dedup). */
  redis: Redis;
  /** Stops intake, lets running jobs finish for up to `graceMs`, then closes connections. */
  close(graceMs: number): Promise<void>;
}

export function createQueueSet(redisUrl: string, log: Logger, prefix = QUEUE_PREFIX): QueueSet {
  const producer = createRedis(redisUrl, "producer", log);
  const workerConnection = createRedis(redisUrl, "worker", log);
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  // While Redis is away every queue and worker reports each reconnect try: a few lines a minute per queue.
  const sampled = new SampledLog(log);

  return {
    prefix,
    redis: producer,
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        q = new Queue(name, { connection: producer, prefix });
        q.on("error", (error) => sampled.warn("queue", { err: error.message, queue: name }, "queue error"));
        queues.set(name, q);
      }
      return q;
    },
    worker(name, processor, options = {}) {
      const w = new Worker(name, processor, {
        connection: workerConnection,
        prefix,
        ...options,
      });
      w.on("error", (error) => sampled.warn("worker", { err: error.message, queue: name }, "worker error"));
      w.on("failed", (job, error) => sampled.warn("failed", { queue: name, job: job?.id, err: error.message }, "job failed"));
      workers.push(w);
      return w;
    },
    async close(graceMs) {
      // Stop taking new jobs at once; give running ones the grace period, then force.
      const graceful = Promise.all(workers.map((w) => w.close()));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ graceMs }, "jobs still running after the grace period: closing workers forcibly");
        await Promise.all(workers.map((w) => w.close(true)));
      }
      await Promise.all([...queues.values()].map((q) => q.close()));
      producer.disconnect();
      workerConnection.disconnect();
    },
  };
}
