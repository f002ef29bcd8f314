// The outbox: every message sent outside a conversation turn (announcements, reminders, handoff relays)
// goes through one BullMQ queue per channel.
//
// - Rate: BullMQ's limiter caps each channel's queue as a whole (Telegram: about 25 messages/s per bot);
//   a platform 429 pauses the whole queue for retry_after (rate-limited jobs do not use up attempts).
// - Retries: transient errors back off exponentially; a recipient who blocked the bot is marked
//   unreachable and never retried.
// - Never twice: before sending, a job claims its delivery key (SET NX); after the platform accepts, the
//   key is marked sent. A job that finds the claim already held without a "sent" mark belongs to a worker
//   that died during the send: it is recorded as "uncertain" and NOT sent again (the platform most likely
//   got it). A job that finds "sent" only re-reports the outcome. Known failures release the claim.
// - Gates: a feature may register a last check per kind (`beforeSend`), run after the claim and just before
//   the send; a "no" skips the message without an outcome (a cancelled broadcast's queued messages).
//   `remove()` takes queued messages off the queues so that skipping them does not use the channel's rate.
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { z } from "zod";
import type { Redis } from "ioredis";
import { channelRegistry, type ChannelRegistry } from "../channels/registry.ts";
import {
  RateLimitedError,
  UnreachableError,
  type ChannelAdapter,
  type ChannelName,
  type OutboundMessage,
  type Outbox as OutboxPort,
  type Outcome,
  type OutcomeHandler,
  type Reply,
  type SendGate,
} from "../core/ports.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { currentTurn } from "../logging/turn.ts";
import type { Logger } from "../logging/logger.ts";
import type { QueueSet } from "../queue/queues.ts";
import { outboundJobSchema, outboxQueueName } from "../queue/registry.ts";

export type { OutboundMessage, Outcome, OutcomeHandler, SendGate } from "../core/ports.ts";

type StoredReply = z.output<typeof outboundJobSchema>["replies"][number];

/** A queued message as the worker reads it: parsed, on the channel of the queue it came from. */
type OutboundJob = Omit<z.output<typeof outboundJobSchema>, "channel"> & { channel: ChannelName };

/** What a "sent" mark in Redis holds: the outcome reported when the message went out (or was found unreachable). */
const outcomeSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("sent"), messageRef: z.string().optional() }),
  z.object({ status: z.literal("unreachable"), error: z.string() }),
  z.object({ status: z.literal("failed"), error: z.string() }),
  z.object({ status: z.literal("uncertain") }),
]);

export interface ChannelRate {
  /** Messages per second for the whole channel. */
  perSecond: number;
  /** Sends in flight at once. */
  concurrency?: number;
}

export interface OutboxOptions {
  queues: QueueSet;
  prisma: PrismaClient;
  log: Logger;
  channels: Map<ChannelName, ChannelAdapter>;
  rates: Partial<Record<ChannelName, ChannelRate>>;
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry;
  attempts?: number;
  /** First retry delay; doubles each attempt. */
  backoffMs?: number;
  /** Worker lock: a killed worker's jobs are retried after about this long. */
  lockDurationMs?: number;
}

const MARK_TTL_SEC = 7 * 86_400;
const ENQUEUE_CHUNK = 250;
export { outboxQueueName };

/** A "sent" mark's outcome; one that cannot be read says only that the message was handled before. */
function readMark(mark: string): Outcome {
  try {
    const parsed = outcomeSchema.safeParse(JSON.parse(mark));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: fall through
  }
  return { status: "uncertain" };
}

function toStored(reply: Reply): StoredReply {
  return {
    text: reply.text,
    ...(reply.buttons ? { buttons: reply.buttons } : {}),
    ...(reply.image ? { image: { pngBase64: reply.image.png.toString("base64"), caption: reply.image.caption } } : {}),
  };
}

function fromStored(reply: StoredReply): Reply {
  return {
    text: reply.text,
    ...(reply.buttons ? { buttons: reply.buttons } : {}),
    ...(reply.image
      ? { image: { png: Buffer.from(reply.image.pngBase64, "base64"), ...(reply.image.caption ? { caption: reply.image.caption } : {}) } }
      : {}),
  };
}

export function validKey(key: string): boolean {
  // BullMQ custom job ids must not contain ':' nor be all digits.
  return /^[A-Za-z0-9_.-]{1,200}$/.test(key) && !/^\d+$/.test(key);
}

export class Outbox implements OutboxPort {
  private readonly handlers = new Map<string, OutcomeHandler>();
  private readonly gates = new Map<string, SendGate>();
  private readonly workers: Worker[] = [];
  private readonly redis: Redis;

  constructor(private readonly options: OutboxOptions) {
    this.redis = options.queues.redis;
  }

  /** Registers what happens after a message of `kind` is sent, found unreachable, or fails for good. */
  onOutcome(kind: string, handler: OutcomeHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Registers a last check before messages of `kind` are sent (e.g. "was this broadcast cancelled?"). */
  beforeSend(kind: string, gate: SendGate): void {
    this.gates.set(kind, gate);
  }

  /** Whether this outbox has an adapter for the channel (messages for other channels would wait forever). */
  canSend(channel: ChannelName): boolean {
    return this.options.channels.has(channel);
  }

  /**
   * Takes queued messages (waiting, delayed or waiting for a retry) off their channel queues, so that a
   * cancelled broadcast does not spend the channel's rate on messages its gate would skip anyway. A message
   * being sent right now is not removed. Returns how many were removed.
   */
  async remove(messages: Array<Pick<OutboundMessage, "key" | "channel">>): Promise<number> {
    let removed = 0;
    for (let i = 0; i < messages.length; i += 500) {
      const results = await Promise.all(
        messages.slice(i, i + 500).map((m) => this.options.queues.queue(outboxQueueName(m.channel)).remove(m.key)),
      );
      removed += results.filter((r) => r === 1).length;
    }
    return removed;
  }

  /**
   * Queues messages; a key already queued (or sent within a day) is not queued twice.
   * `priority` (1 = first … 2,097,152 = last) is for bulk sends such as announcements: messages queued
   * without one (handoff relays, reminders) always go before them, so a 100,000-recipient announcement
   * does not hold up a citizen's answer; and prioritized jobs sit in a sorted set, so `remove()` of a
   * cancelled announcement's messages is O(log n) each instead of a scan of the waiting list.
   */
  async enqueue(messages: OutboundMessage[], options: { delayMs?: number; priority?: number } = {}): Promise<void> {
    const byChannel = new Map<ChannelName, OutboundMessage[]>();
    for (const m of messages) {
      if (!validKey(m.key)) throw new Error(`invalid outbox key "${m.key}"`);
      const list = byChannel.get(m.channel);
      if (list) list.push(m);
      else byChannel.set(m.channel, [m]);
    }
    const turn = currentTurn()?.turn;
    if (turn) this.options.log.debug({ turn, messages: messages.length, kinds: [...new Set(messages.map((m) => m.kind))] }, "outbox: queued");
    for (const [channel, list] of byChannel) {
      const queue = this.options.queues.queue(outboxQueueName(channel));
      const jobs = list.map((m) => ({
        name: m.kind,
        data: { ...m, replies: m.replies.map(toStored), ...(turn ? { turn } : {}) } satisfies OutboundJob,
        opts: {
          jobId: m.key,
          attempts: this.options.attempts ?? 6,
          backoff: { type: "exponential", delay: this.options.backoffMs ?? 1000 },
          removeOnComplete: { age: 86_400, count: 200_000 },
          removeOnFail: { age: 7 * 86_400 },
          ...(options.delayMs ? { delay: options.delayMs } : {}),
          ...(options.priority ? { priority: options.priority } : {}),
        },
      }));
      // Large lists go as a few transactions in flight at once: Redis runs one while the next is built
      // (they are written, and so queued, in order).
      const chunks: (typeof jobs)[] = [];
      for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) chunks.push(jobs.slice(i, i + ENQUEUE_CHUNK));
      await Promise.all(chunks.map((chunk) => queue.addBulk(chunk)));
    }
  }

  /** Starts one rate-limited worker per channel that has an adapter. */
  start(): void {
    for (const [channel, adapter] of this.options.channels) {
      const registry = this.options.registry ?? channelRegistry;
      const rate = this.options.rates[channel] ?? { perSecond: (registry.has(channel) ? registry.get(channel).defaultRate : undefined) ?? 10 };
      const worker = this.options.queues.worker(outboxQueueName(channel), (job: Job) => this.process(worker, adapter, channel, job), {
        limiter: { max: rate.perSecond, duration: 1000 },
        concurrency: rate.concurrency ?? Math.max(1, Math.min(50, rate.perSecond)),
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: Math.max(1000, Math.floor((this.options.lockDurationMs ?? 30_000) / 2)),
        // A job whose worker died is taken up again (and found "uncertain" by its claim) however often that
        // happens; at BullMQ's default of 1 a second crash would fail it without any outcome being reported.
        maxStalledCount: 10,
      });
      this.workers.push(worker);
    }
  }

  private claimKey = (key: string) => `${this.options.queues.prefix}:outbox:claim:${key}`;
  private sentKey = (key: string) => `${this.options.queues.prefix}:outbox:sent:${key}`;

  private async report(job: OutboundJob, outcome: Outcome): Promise<void> {
    const { replies: _replies, turn, ...message } = job;
    if (turn) this.options.log.debug({ turn, key: job.key, channel: job.channel, kind: job.kind, status: outcome.status }, "outbox: outcome");
    if (outcome.status === "unreachable") {
      await this.options.prisma.channelIdentity.updateMany({
        where: { channel: (this.options.registry ?? channelRegistry).toEnum(job.channel), chatId: job.chatId, unreachableAt: null },
        data: { unreachableAt: new Date() },
      });
    }
    await this.handlers.get(job.kind)?.(message, outcome);
  }

  private async process(worker: Worker, adapter: ChannelAdapter, channel: ChannelName, job: Job): Promise<string> {
    const parsed = outboundJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`outbox job ${job.id}: ${z.prettifyError(parsed.error)}`);
    const data: OutboundJob = { ...parsed.data, channel };
    const claimed = await this.redis.set(this.claimKey(data.key), `${job.id}#${job.attemptsMade}`, "EX", MARK_TTL_SEC, "NX");
    if (!claimed) {
      const mark = await this.redis.get(this.sentKey(data.key));
      if (mark) {
        // Sent (or found unreachable) before; the outcome may not have been recorded: report it again.
        await this.report(data, readMark(mark));
        return "already-done";
      }
      // Claimed but never confirmed: a worker died while sending. Sending again could duplicate.
      const outcome: Outcome = { status: "uncertain" };
      await this.redis.set(this.sentKey(data.key), JSON.stringify(outcome), "EX", MARK_TTL_SEC);
      this.options.log.warn({ key: data.key, channel: data.channel, turn: data.turn }, "delivery uncertain: a worker stopped during the send; not resending");
      await this.report(data, outcome);
      return "uncertain";
    }
    const gate = this.gates.get(data.kind);
    if (gate) {
      let go: boolean;
      try {
        const { replies: _replies, turn: _turn, ...message } = data;
        go = await gate(message);
      } catch (error) {
        // Treated like a transient send error: nothing went out, retry with backoff.
        await this.redis.del(this.claimKey(data.key));
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          await this.report(data, { status: "failed", error: error instanceof Error ? error.message : String(error) });
        }
        throw error;
      }
      if (!go) {
        // Nothing was sent: drop the claim, so the key stays free.
        await this.redis.del(this.claimKey(data.key));
        return "skipped";
      }
    }
    let outcome: Outcome;
    try {
      const sent = await adapter.send(data.chatId, data.replies.map(fromStored));
      outcome = { status: "sent", messageRef: sent.messageRef };
    } catch (error) {
      if (error instanceof UnreachableError) {
        outcome = { status: "unreachable", error: error.message };
      } else {
        // Nothing was delivered: release the claim so the retry may send.
        await this.redis.del(this.claimKey(data.key));
        if (error instanceof RateLimitedError) {
          // Pause the whole channel queue; the job goes back without using an attempt.
          await worker.rateLimit(Math.max(1000, error.retryAfterSec * 1000));
          throw Worker.RateLimitError();
        }
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (final) await this.report(data, { status: "failed", error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
    }
    await this.redis.set(this.sentKey(data.key), JSON.stringify(outcome), "EX", MARK_TTL_SEC);
    await this.report(data, outcome);
    return outcome.status;
  }
}
