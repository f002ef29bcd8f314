// Every BullMQ queue of the app, its job names and each job's payload (a zod schema), in one place. Jobs are
// added with addJob (the payload type-checked against the schema) and run by startWorker, which parses each
// job's data before its handler sees it: a payload from an older version, or written by hand into Redis,
// fails that job for good (UnrecoverableError, logged by the queue set) instead of reaching a handler as
// whatever it happens to be.
import type { Job, JobsOptions, Worker, WorkerOptions } from "bullmq";
import { unrecoverable } from "./bullmq-errors.ts";
import { z } from "zod";
import type { QueueSet } from "./queues.ts";

export type JobSchemas = Record<string, z.ZodType>;

export interface QueueSpec<J extends JobSchemas> {
  readonly name: string;
  readonly jobs: J;
}

function spec<J extends JobSchemas>(name: string, jobs: J): QueueSpec<J> {
  return { name, jobs };
}

/** A database id (jobs written by older versions may hold it as a string). */
const id = z.coerce.number().int().positive();
/** Jobs of a Job Scheduler carry nothing. */
const nothing = z.unknown().transform(() => ({}));

/** Announcements: expand one into outbox messages, clean up a cancelled one, the periodic sweep. */
export const broadcastQueue = spec("broadcast", {
  expand: z.object({ broadcastId: id }),
  cleanup: z.object({ broadcastId: id }),
  "broadcast-sweep": nothing,
});

/** Reminders: one delayed job per reminder row; schedulers for recurring ones, task reviews, the planners. */
export const reminderQueue = spec("reminders", {
  reminder: z.object({ id }),
  "personal-recurring": z.object({ id }),
  "task-review": z.object({ taskId: id }),
  "daily-planner": nothing,
  briefing: nothing,
  sync: nothing,
});

/** Handoff: a ticket left unanswered goes up a level. */
export const handoffQueue = spec("handoff", {
  escalate: z.object({ ticketId: id }),
});

/** Nightly housekeeping. */
export const maintenanceQueue = spec("maintenance", {
  "purge-conversations": nothing,
});

const storedReply = z.object({
  text: z.string(),
  buttons: z.array(z.array(z.object({ label: z.string(), payload: z.string() }))).optional(),
  image: z.object({ pngBase64: z.string(), caption: z.string().optional() }).optional(),
});

/** What the outbox queues for one message (the replies with images as base64). */
export const outboundJobSchema = z.object({
  key: z.string().min(1),
  channel: z.string(),
  chatId: z.string(),
  kind: z.string(),
  ref: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
  replies: z.array(storedReply),
  /** The turn that queued the message (a handoff relay, a confirmation), so its send can be found in the log. */
  turn: z.string().optional(),
});

/** The outbox: one rate-limited queue per channel; a job's name is its message's kind, its payload the same for all. */
export const outboxQueueName = (channel: string) => `outbox-${channel}`;

/** The same queue under another name (tests run several reminder queues side by side). */
export function renamed<J extends JobSchemas>(queue: QueueSpec<J>, name: string): QueueSpec<J> {
  return { name, jobs: queue.jobs };
}

/** Adds a job whose payload is checked by the compiler against the queue's schema for that job name. */
export function addJob<J extends JobSchemas, N extends keyof J & string>(
  queues: Pick<QueueSet, "queue">,
  queue: QueueSpec<J>,
  name: N,
  data: z.input<J[N]>,
  options?: JobsOptions,
): Promise<Job> {
  return queues.queue(queue.name).add(name, data, options);
}

export type JobHandlers<J extends JobSchemas> = {
  [N in keyof J]: (data: z.output<J[N]>, job: Job, token?: string) => Promise<unknown>;
};

/** Parses a job's payload with the schema of its name; throws UnrecoverableError (no retry) when it does not fit. */
export function parseJob<J extends JobSchemas>(queue: QueueSpec<J>, job: Pick<Job, "name" | "data">): { name: keyof J & string; data: unknown } {
  const schema = Object.hasOwn(queue.jobs, job.name) ? queue.jobs[job.name] : undefined;
  if (!schema) throw unrecoverable(`no job "${job.name}" on queue ${queue.name}`);
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw unrecoverable(`job ${queue.name}/${job.name}: ${z.prettifyError(parsed.error)}`);
  return { name: job.name, data: parsed.data };
}

/** Starts the queue's worker: each job's payload parsed, then handed to the handler of its name. */
export function startWorker<J extends JobSchemas>(
  queues: Pick<QueueSet, "worker">,
  queue: QueueSpec<J>,
  handlers: JobHandlers<J>,
  options?: Partial<WorkerOptions>,
): Worker {
  return queues.worker(
    queue.name,
    async (job, token) => {
      const { name, data } = parseJob(queue, job);
      // `data` was parsed by the schema of `name`, which is what the handler of `name` takes.
      const handler = handlers[name] as (data: unknown, job: Job, token?: string) => Promise<unknown>;
      return handler(data, job, token);
    },
    options,
  );
}
