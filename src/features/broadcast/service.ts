// Announcements to citizens and officers of a subtree of units: creation, fan-out, outcomes, progress,
// cancellation. Chat (/thongbao) and the HTTP API both go through here.
//
// Fan-out (queue "broadcast", job "expand-<id>", delayed for scheduled broadcasts):
//   for each keyset page of recipients (identity id > Broadcast.expandCursor, BATCH_SIZE at a time):
//     1. insert the page's BroadcastDelivery rows (unique (broadcastId, identityId), ON CONFLICT DO NOTHING)
//        and read back those still PENDING — one statement (audience.ts expandPage);
//     2. queue an outbox message `b-<broadcastId>-<identityId>` for each of them (one addBulk);
//     3. store the page's last identity id as the cursor.
//   Every step is idempotent (duplicate rows are skipped, the outbox ignores a key it already holds and
//   never sends a key twice), so a worker killed anywhere in a page redoes that page and nobody is lost or
//   messaged twice. The job itself is retried by BullMQ when its worker dies (stalled job).
// Outcomes: the outbox reports sent / unreachable / failed / uncertain per message; they are written in
//   groups (one UPDATE per database round trip) before the outbox job completes. When no delivery is PENDING and
//   the fan-out is complete, the broadcast becomes DONE, its summary is stored and its creator gets it.
// Cancel: the broadcast becomes CANCELLED, a Redis flag is raised, PENDING deliveries become CANCELLED,
//   the fan-out stops at its next page, and the queued outbox messages are removed; a message already
//   picked up by the outbox meets the gate (`outbox.beforeSend("broadcast")`), which reads the flag and
//   skips it. Only a message whose send had already begun when the cancel arrived can still go out.
import { channelRegistry, type ChannelRegistry } from "../../channels/registry.ts";
import type { Config } from "../../config/env.ts";
import { fill, type Messages } from "../../core/messages.ts";
import type { Reply } from "../../core/types.ts";
import type { Broadcast, PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logging/logger.ts";
import type { Outbox } from "../../core/ports.ts";
import type { QueueSet } from "../../queue/queues.ts";
import { addJob, broadcastQueue, startWorker } from "../../queue/registry.ts";
import { audit } from "../../security/audit.ts";
import { countAudience, expandPage, zeroCounts, type Audience, type AudiencePage, type AudienceSpec, type ChannelCounts, type SendChannel } from "./audience.ts";
import { formatCount, formatDuration } from "./schedule.ts";

export const BROADCAST_QUEUE = broadcastQueue.name;
export const BROADCAST_KIND = "broadcast";
export const REPORT_KIND = "broadcast-report";
export const BATCH_SIZE = 1000;
export const MAX_TEXT_CHARS = 3000;
/** Outbox priority of announcements: after every interactive message (see Outbox.enqueue). */
export const BROADCAST_PRIORITY = 100;
const SWEEP_JOB = "broadcast-sweep" satisfies keyof typeof broadcastQueue.jobs;
const FLAG_TTL_SEC = 30 * 86_400;

export const deliveryKey = (broadcastId: number, identityId: number) => `b-${broadcastId}-${identityId}`;
const expandJobId = (id: number) => `expand-${id}`;
const cleanupJobId = (id: number) => `cleanup-${id}`;
const cancelFlag = (queues: Pick<QueueSet, "prefix">, id: number) => `${queues.prefix}:broadcast:cancelled:${id}`;

export interface Actor {
  personId: number | null;
  /** "telegram:123" in chat (the summary goes back there), "api" for the HTTP API. */
  label: string;
}

export interface BroadcastInput {
  unitCode: string;
  audience: Audience;
  /** Empty: every channel. */
  channels: SendChannel[];
  text: string;
  photoUrl?: string | undefined;
  scheduledAt?: Date | undefined;
  /** Idempotency key: a second request with the same key returns the first broadcast. */
  clientKey?: string | undefined;
  by: Actor;
  /**
   * The chat that gets the summary when it finishes, when the actor's label names none (the console: the
   * private chat its user signed in from). Chat and API broadcasts leave it out.
   */
  reportIdentityId?: number | null | undefined;
}

export type ChannelRates = Partial<Record<SendChannel, number>>;

/** Outbox rate of each sendable channel: `<NAME>_SEND_PER_SECOND` as configured, else the registry's default. */
export function configRates(config: Pick<Config, "sendRates">, registry: ChannelRegistry = channelRegistry): ChannelRates {
  return { ...registry.rates(), ...config.sendRates };
}

/** The chosen channels (empty = every sendable one) narrowed to those the outbox can send on. */
export function effectiveChannels(
  chosen: readonly SendChannel[],
  outbox: Pick<Outbox, "canSend"> | undefined,
  registry: ChannelRegistry = channelRegistry,
): SendChannel[] {
  return (chosen.length ? chosen : registry.sendable).filter((c) => registry.sendable.includes(c) && (outbox?.canSend(c) ?? true));
}

export interface AudiencePreview {
  total: number;
  byChannel: ChannelCounts;
  /** Recipients on chosen channels that are switched off here (they will not be reached). */
  unavailable: ChannelCounts;
}

export async function previewAudience(
  prisma: PrismaClient,
  outbox: Pick<Outbox, "canSend"> | undefined,
  input: { unitPath: string; audience: Audience; channels: readonly SendChannel[] },
  registry: ChannelRegistry = channelRegistry,
): Promise<AudiencePreview> {
  const chosen = input.channels.length ? input.channels : registry.sendable;
  const all = await countAudience(prisma, { unitPath: input.unitPath, audience: input.audience, channels: chosen }, registry);
  const usable = new Set(effectiveChannels(chosen, outbox, registry));
  const byChannel = zeroCounts(registry);
  const unavailable = zeroCounts(registry);
  for (const c of registry.sendable) (usable.has(c) ? byChannel : unavailable)[c] = all[c] ?? 0;
  return { total: Object.values(byChannel).reduce((sum, n) => sum + n, 0), byChannel, unavailable };
}

/** Seconds to send `pending` messages per channel; channels send in parallel (a channel without a rate: 1/s). */
export function estimateSeconds(pending: ChannelCounts, rates: ChannelRates): number {
  return Math.max(0, ...Object.entries(pending).map(([c, n]) => n / Math.max(1, rates[c as SendChannel] ?? 1)));
}

/** The message as recipients see it (the preview shows exactly this). */
export function renderAnnouncement(
  m: Messages,
  b: { text: string; photoUrl?: string | null | undefined; unitName: string },
  citizen: boolean,
): Reply[] {
  const parts = [fill(m.broadcastHeader, { unit: b.unitName }), b.text.trim()];
  // Reply carries images as PNG bytes only: a photo goes as its link (Telegram shows its preview).
  if (b.photoUrl) parts.push(b.photoUrl);
  if (citizen) parts.push(m.broadcastCitizenFooter);
  return [{ text: parts.join("\n\n") }];
}

// ───────────────────────────── create, launch, cancel ─────────────────────────────

export type CreateResult =
  | { ok: true; created: boolean; broadcast: Broadcast; preview: AudiencePreview }
  | { ok: false; reason: "unknown_unit" };

export interface BroadcastDeps {
  prisma: PrismaClient;
  queues: QueueSet;
  outbox?: Pick<Outbox, "canSend"> | undefined;
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry | undefined;
}

/** Creates the broadcast, audits it and queues its fan-out (now, or at scheduledAt). */
export async function createBroadcast(deps: BroadcastDeps, input: BroadcastInput): Promise<CreateResult> {
  const { prisma } = deps;
  const registry = deps.registry ?? channelRegistry;
  if (input.clientKey) {
    const existing = await prisma.broadcast.findUnique({ where: { clientKey: input.clientKey }, include: { unit: true } });
    if (existing) {
      const channels = existing.channels.map((c) => registry.fromEnum(c));
      const preview = await previewAudience(prisma, deps.outbox, { unitPath: existing.unit.path, audience: existing.audience, channels }, registry);
      return { ok: true, created: false, broadcast: existing, preview };
    }
  }
  const unit = await prisma.adminUnit.findUnique({ where: { code: input.unitCode } });
  if (!unit) return { ok: false, reason: "unknown_unit" };
  const preview = await previewAudience(prisma, deps.outbox, { unitPath: unit.path, audience: input.audience, channels: input.channels }, registry);
  const scheduled = input.scheduledAt && input.scheduledAt.getTime() > Date.now() ? input.scheduledAt : undefined;
  let broadcast;
  try {
    broadcast = await prisma.$transaction(async (tx) => {
      const created = await tx.broadcast.create({
        data: {
          createdById: input.by.personId,
          createdByLabel: input.by.label,
          unitCode: unit.code,
          audience: input.audience,
          channels: input.channels.map((c) => registry.toEnum(c)),
          text: input.text,
          photoUrl: input.photoUrl ?? null,
          status: scheduled ? "SCHEDULED" : "RUNNING",
          scheduledAt: scheduled ?? null,
          startedAt: scheduled ? null : new Date(),
          recipientCount: preview.total,
          clientKey: input.clientKey ?? null,
          reportIdentityId: input.reportIdentityId ?? null,
        },
      });
      await audit(tx, {
        actorPersonId: input.by.personId,
        actorLabel: input.by.label,
        action: "broadcast.send",
        unitCode: unit.code,
        detail: {
          broadcastId: created.id,
          audience: input.audience,
          channels: input.channels.length ? input.channels : "all",
          recipients: preview.total,
          scheduledAt: scheduled?.toISOString() ?? null,
          chars: input.text.length,
        },
      });
      return created;
    });
  } catch (error) {
    // Two requests with the same idempotency key at once: the unique key lets one win.
    if ((error as { code?: string }).code === "P2002" && input.clientKey) return createBroadcast(deps, input);
    throw error;
  }
  await addJob(
    deps.queues,
    broadcastQueue,
    "expand",
    { broadcastId: broadcast.id },
    {
      jobId: expandJobId(broadcast.id),
      ...(scheduled ? { delay: scheduled.getTime() - Date.now() } : {}),
      attempts: 8,
      backoff: { type: "exponential", delay: 2000 },
      removeOnComplete: { age: 7 * 86_400 },
      removeOnFail: { age: 30 * 86_400 },
    },
  );
  return { ok: true, created: true, broadcast, preview };
}

export type CancelResult =
  | { ok: true; cancelled: number; sent: number }
  | { ok: false; reason: "not_found" | "finished"; status?: string };

/** Stops a scheduled or running broadcast: nothing not yet started goes out. Audited. */
export async function cancelBroadcast(deps: Pick<BroadcastDeps, "prisma" | "queues">, id: number, by: Actor): Promise<CancelResult> {
  const { prisma, queues } = deps;
  const existing = await prisma.broadcast.findUnique({ where: { id } });
  if (!existing) return { ok: false, reason: "not_found" };
  const { count } = await prisma.broadcast.updateMany({
    where: { id, status: { in: ["DRAFT", "SCHEDULED", "RUNNING"] } },
    data: { status: "CANCELLED", cancelledAt: new Date(), cancelledBy: by.label, finishedAt: new Date() },
  });
  if (count === 0) return { ok: false, reason: "finished", status: existing.status };
  // The flag first: from here on the outbox gate skips this broadcast's messages.
  await queues.redis.set(cancelFlag(queues, id), "1", "EX", FLAG_TTL_SEC);
  const cancelled = await cancelPending(prisma, id);
  // A scheduled fan-out that has not started: take it off the queue (if it is running, it stops by itself).
  await queues.queue(BROADCAST_QUEUE).remove(expandJobId(id)).catch(() => 0);
  await addJob(queues, broadcastQueue, "cleanup", { broadcastId: id }, { jobId: cleanupJobId(id), attempts: 5, backoff: { type: "exponential", delay: 2000 }, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 } });
  const sent = await prisma.broadcastDelivery.count({ where: { broadcastId: id, status: "SENT" } });
  await audit(prisma, {
    actorPersonId: by.personId,
    actorLabel: by.label,
    action: "broadcast.cancel",
    unitCode: existing.unitCode,
    detail: { broadcastId: id, previousStatus: existing.status, cancelled, sentBefore: sent },
  });
  return { ok: true, cancelled, sent };
}

async function cancelPending(prisma: PrismaClient, id: number): Promise<number> {
  const { count } = await prisma.broadcastDelivery.updateMany({
    where: { broadcastId: id, status: "PENDING" },
    data: { status: "CANCELLED", lastError: "cancelled" },
  });
  return count;
}

// ───────────────────────────── progress ─────────────────────────────

export interface Progress {
  id: number;
  status: string;
  unitCode: string;
  unitName: string;
  audience: Audience;
  channels: SendChannel[];
  createdAt: Date;
  scheduledAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdBy: string;
  /** Recipients: the estimate at creation until the fan-out completes, then the real count. */
  recipients: number;
  expanded: boolean;
  counts: { pending: number; sent: number; failed: number; unreachable: number; uncertain: number; cancelled: number };
  pendingByChannel: ChannelCounts;
  /** Seconds until every pending message is sent at the channels' rates; null when nothing is pending. */
  etaSeconds: number | null;
}

export async function broadcastProgress(
  prisma: PrismaClient,
  id: number,
  rates: ChannelRates,
  registry: ChannelRegistry = channelRegistry,
): Promise<Progress | null> {
  const b = await prisma.broadcast.findUnique({ where: { id }, include: { unit: true } });
  if (!b) return null;
  const rows = await prisma.$queryRawUnsafe<Array<{ channel: string; status: string; uncertain: boolean; n: number }>>(
    `SELECT ci.channel::text AS channel, d.status::text AS status, coalesce(d.last_error = 'uncertain', false) AS uncertain, count(*)::int AS n
     FROM broadcast_delivery d JOIN channel_identity ci ON ci.id = d.identity_id
     WHERE d.broadcast_id = $1 GROUP BY 1, 2, 3`,
    id,
  );
  const counts = { pending: 0, sent: 0, failed: 0, unreachable: 0, uncertain: 0, cancelled: 0 };
  const pendingByChannel = zeroCounts(registry);
  let total = 0;
  for (const row of rows) {
    const n = Number(row.n);
    total += n;
    const channel = registry.fromEnum(row.channel);
    switch (row.status) {
      case "PENDING":
        counts.pending += n;
        if (channel in pendingByChannel) pendingByChannel[channel] += n;
        break;
      case "SENT":
        counts.sent += n;
        break;
      case "UNREACHABLE":
        counts.unreachable += n;
        break;
      case "CANCELLED":
        counts.cancelled += n;
        break;
      default:
        if (row.uncertain) counts.uncertain += n;
        else counts.failed += n;
    }
  }
  const live = b.status === "RUNNING" || b.status === "SCHEDULED";
  // Not fanned out yet: assume they split across channels like those already queued (else all on the
  // registry's first sendable channel).
  const notExpanded = live && !b.expandedAt ? Math.max(0, b.recipientCount - total) : 0;
  if (notExpanded > 0) {
    const known = Object.values(pendingByChannel).reduce((sum, n) => sum + n, 0);
    registry.sendable.forEach((c, i) => {
      pendingByChannel[c] += known ? Math.round((notExpanded * pendingByChannel[c]) / known) : i === 0 ? notExpanded : 0;
    });
    counts.pending += notExpanded;
  }
  return {
    id: b.id,
    status: b.status,
    unitCode: b.unitCode,
    unitName: b.unit.name,
    audience: b.audience,
    channels: b.channels.map((c) => registry.fromEnum(c)),
    createdAt: b.createdAt,
    scheduledAt: b.scheduledAt,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
    createdBy: b.createdByLabel,
    recipients: b.expandedAt ? total : Math.max(b.recipientCount, total),
    expanded: b.expandedAt !== null,
    counts,
    pendingByChannel,
    etaSeconds: live && counts.pending > 0 ? Math.ceil(estimateSeconds(pendingByChannel, rates)) : null,
  };
}

// ───────────────────────────── the worker side ─────────────────────────────

export interface BroadcastWorkerDeps {
  queues: QueueSet;
  prisma: PrismaClient;
  outbox: Outbox;
  log: Logger;
  config: Config;
  messages: Messages;
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry | undefined;
  /** Recipients per fan-out page. */
  batchSize?: number;
  /** Worker lock: a killed worker's fan-out is resumed by another after about this long. */
  lockDurationMs?: number;
  /** How often a sweep re-checks running broadcasts (finish, lost fan-out jobs). */
  sweepEveryMs?: number;
}

type Outcome = "SENT" | "UNREACHABLE" | "FAILED";

/**
 * Writes delivery outcomes in groups (group commit): the first outcome is written at once; those arriving
 * while a write is under way go together in the next one. One UPDATE per round trip instead of one per
 * message, and an outbox job completes only once its outcome is stored.
 */
class OutcomeWriter {
  private pending: Array<{ b: number; i: number; s: Outcome; e: string | null; done: () => void; fail: (e: unknown) => void }> = [];
  private writing = false;
  constructor(
    private readonly prisma: PrismaClient,
    private readonly afterWrite: (broadcastIds: number[]) => void,
  ) {}

  write(broadcastId: number, identityId: number, status: Outcome, error: string | null): Promise<void> {
    return new Promise((done, fail) => {
      this.pending.push({ b: broadcastId, i: identityId, s: status, e: error, done, fail });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending.length) {
      const batch = this.pending.splice(0, 1000);
      try {
        // A message sent while its broadcast was being cancelled still counts as sent.
        await this.prisma.$executeRawUnsafe(
          `UPDATE broadcast_delivery d
           SET status = v.s::"DeliveryStatus", last_error = v.e, attempts = d.attempts + 1,
               sent_at = CASE WHEN v.s = 'SENT' THEN timezone('UTC', now()) ELSE d.sent_at END
           FROM json_to_recordset($1::json) AS v(b int, i int, s text, e text)
           WHERE d.broadcast_id = v.b AND d.identity_id = v.i
             AND (d.status = 'PENDING' OR (d.status = 'CANCELLED' AND v.s = 'SENT'))`,
          JSON.stringify(batch.map(({ b, i, s, e }) => ({ b, i, s, e }))),
        );
        for (const item of batch) item.done();
        this.afterWrite([...new Set(batch.map((item) => item.b))]);
      } catch (error) {
        // The outbox job fails and is retried; its "sent" mark makes the retry re-report, not resend.
        for (const item of batch) item.fail(error);
      }
    }
    this.writing = false;
  }
}

/**
 * Runs `check(id)` at most once at a time per id; a request during a run makes it run once more, `gapMs`
 * after (so a busy broadcast is checked a few times a second, and always once after its last outcome).
 */
function coalesce(check: (id: number) => Promise<unknown>, onError: (error: unknown, id: number) => void, gapMs = 200): (id: number) => void {
  const state = new Map<number, "running" | "again">();
  const run = (id: number): void => {
    if (state.has(id)) {
      state.set(id, "again");
      return;
    }
    state.set(id, "running");
    void check(id)
      .catch((error: unknown) => onError(error, id))
      .finally(() => {
        if (state.get(id) === "again") {
          setTimeout(() => {
            state.delete(id);
            run(id);
          }, gapMs);
        } else {
          state.delete(id);
        }
      });
  };
  return run;
}

export interface BroadcastWorker {
  /** Runs the finish check now (tests, and the sweep). */
  checkFinished(id: number): Promise<boolean>;
}

/**
 * Registers the outbox gate and outcome handler for broadcasts, starts the fan-out worker and the sweep.
 * Call before `outbox.start()` so no outcome arrives before its handler.
 */
export async function startBroadcasts(deps: BroadcastWorkerDeps): Promise<BroadcastWorker> {
  const { prisma, queues, outbox, log, messages: m } = deps;
  const registry = deps.registry ?? channelRegistry;
  const batchSize = deps.batchSize ?? BATCH_SIZE;
  const redis = queues.redis;

  const finish = async (id: number): Promise<boolean> => {
    const pending = await prisma.broadcastDelivery.findFirst({ where: { broadcastId: id, status: "PENDING" }, select: { id: true } });
    if (pending) return false;
    const b = await prisma.broadcast.findUnique({ where: { id }, include: { unit: true } });
    if (!b || b.status !== "RUNNING" || !b.expandedAt) return false;
    const progress = (await broadcastProgress(prisma, id, configRates(deps.config, registry), registry))!;
    const finishedAt = new Date();
    const summary = { ...progress.counts, recipients: progress.recipients };
    const { count } = await prisma.broadcast.updateMany({
      where: { id, status: "RUNNING" },
      data: { status: "DONE", finishedAt, summary, recipientCount: progress.recipients },
    });
    if (count === 0) return false;
    log.info({ broadcastId: id, ...summary }, "broadcast finished");
    await notifyCreator(b, summary, (finishedAt.getTime() - (b.startedAt ?? b.createdAt).getTime()) / 1000);
    return true;
  };

  /** The chat the summary goes to: the one it was asked for in (console), else the one the label names ("telegram:123"). */
  const reportChat = async (b: { createdByLabel: string; reportIdentityId: number | null }) => {
    if (b.reportIdentityId !== null) return prisma.channelIdentity.findUnique({ where: { id: b.reportIdentityId } });
    const [channel, userId] = b.createdByLabel.split(/:(.*)/s) as [string, string | undefined];
    if (!userId || !registry.has(channel)) return null;
    return prisma.channelIdentity.findUnique({
      where: { channel_externalUserId: { channel: registry.toEnum(channel), externalUserId: userId } },
    });
  };

  const notifyCreator = async (
    b: { id: number; createdByLabel: string; reportIdentityId: number | null },
    summary: Progress["counts"] & { recipients: number },
    seconds: number,
  ) => {
    const identity = await reportChat(b);
    if (!identity) return;
    const channel = registry.fromEnum(identity.channel);
    if (!registry.sendable.includes(channel) || !outbox.canSend(channel)) return;
    const text = fill(m.broadcastSummary, {
      id: b.id,
      duration: formatDuration(seconds),
      recipients: formatCount(summary.recipients),
      sent: formatCount(summary.sent),
      unreachable: formatCount(summary.unreachable),
      failed: formatCount(summary.failed),
      uncertain: formatCount(summary.uncertain),
    });
    await outbox.enqueue([
      { key: `bs-${b.id}`, channel, chatId: identity.chatId, replies: [{ text }], kind: REPORT_KIND, ref: { broadcastId: b.id } },
    ]);
  };

  // After outcomes are written: is the broadcast done? (Always re-checked after the last write.)
  const checkSoon = coalesce(finish, (error, id) => log.warn({ err: error, broadcastId: id }, "broadcast finish check failed"));
  const writer = new OutcomeWriter(prisma, (ids) => ids.forEach(checkSoon));

  // The gate reads the cancel flag at most every 250 ms per broadcast (once cancelled, always cancelled).
  const flags = new Map<number, { cancelled: boolean; at: number }>();
  const isCancelled = async (id: number): Promise<boolean> => {
    const known = flags.get(id);
    if (known && (known.cancelled || Date.now() - known.at < 250)) return known.cancelled;
    const cancelled = (await redis.exists(cancelFlag(queues, id))) === 1;
    if (flags.size > 1000) flags.clear();
    flags.set(id, { cancelled, at: Date.now() });
    return cancelled;
  };
  outbox.beforeSend(BROADCAST_KIND, async (message) => {
    const broadcastId = Number(message.ref?.broadcastId);
    if (!(await isCancelled(broadcastId))) return true;
    await prisma.broadcastDelivery.updateMany({
      where: { broadcastId, identityId: Number(message.ref?.identityId), status: "PENDING" },
      data: { status: "CANCELLED", lastError: "cancelled" },
    });
    return false;
  });

  outbox.onOutcome(BROADCAST_KIND, async (message, outcome) => {
    const broadcastId = Number(message.ref?.broadcastId);
    const identityId = Number(message.ref?.identityId);
    switch (outcome.status) {
      case "sent":
        return writer.write(broadcastId, identityId, "SENT", null);
      case "unreachable":
        return writer.write(broadcastId, identityId, "UNREACHABLE", outcome.error.slice(0, 500));
      case "failed":
        return writer.write(broadcastId, identityId, "FAILED", outcome.error.slice(0, 500));
      case "uncertain":
        // A worker died during the send: the platform most likely has it; it is not sent again.
        return writer.write(broadcastId, identityId, "FAILED", "uncertain");
    }
  });
  outbox.onOutcome(REPORT_KIND, async () => {});

  const cleanup = async (id: number) => {
    await cancelPending(prisma, id);
    // Take the cancelled messages off the outbox queues, page by page.
    let after = 0;
    let removed = 0;
    for (;;) {
      const rows = await prisma.$queryRawUnsafe<Array<{ identity_id: number; channel: string }>>(
        `SELECT d.identity_id, ci.channel::text AS channel FROM broadcast_delivery d JOIN channel_identity ci ON ci.id = d.identity_id
         WHERE d.broadcast_id = $1 AND d.status = 'CANCELLED' AND d.identity_id > $2 ORDER BY d.identity_id LIMIT 2000`,
        id,
        after,
      );
      if (rows.length === 0) break;
      removed += await outbox.remove(rows.map((r) => ({ key: deliveryKey(id, Number(r.identity_id)), channel: registry.fromEnum(r.channel) })));
      after = Number(rows[rows.length - 1]!.identity_id);
    }
    log.info({ broadcastId: id, removed }, "cancelled broadcast: queued messages removed");
  };

  const expand = async (id: number): Promise<string> => {
    let b = await prisma.broadcast.findUnique({ where: { id }, include: { unit: true } });
    if (!b) return "missing";
    if (b.status === "SCHEDULED" || b.status === "DRAFT") {
      await prisma.broadcast.updateMany({ where: { id, status: { in: ["SCHEDULED", "DRAFT"] } }, data: { status: "RUNNING", startedAt: new Date() } });
      b = await prisma.broadcast.findUniqueOrThrow({ where: { id }, include: { unit: true } });
    }
    if (b.status !== "RUNNING") return b.status.toLowerCase();
    const spec: AudienceSpec = {
      unitPath: b.unit.path,
      audience: b.audience,
      channels: effectiveChannels(
        b.channels.map((c) => registry.fromEnum(c)),
        outbox,
        registry,
      ),
    };
    const content = { text: b.text, photoUrl: b.photoUrl, unitName: b.unit.name };
    const replies = { citizen: renderAnnouncement(m, content, true), officer: renderAnnouncement(m, content, false) };
    let pages = 0;
    const started = Date.now();
    /** Queues a page's messages, then stores its cursor; false when the broadcast was cancelled meanwhile. */
    const queuePage = async (page: AudiencePage & { next: number }): Promise<boolean> => {
      if (page.recipients.length) {
        // A cancel may have come in while the rows were written: then queue nothing more.
        const status = await prisma.broadcast.findUnique({ where: { id }, select: { status: true } });
        if (status?.status !== "RUNNING") return false;
        await outbox.enqueue(
          page.recipients.map((r) => ({
            key: deliveryKey(id, r.identityId),
            channel: r.channel,
            chatId: r.chatId,
            replies: r.citizen ? replies.citizen : replies.officer,
            kind: BROADCAST_KIND,
            ref: { broadcastId: id, identityId: r.identityId },
          })),
          { priority: BROADCAST_PRIORITY },
        );
      }
      await prisma.broadcast.update({ where: { id }, data: { expandCursor: page.next } });
      pages++;
      return true;
    };
    // Two stages in step: while page k is queued in Redis (and its cursor stored), page k+1 is read and
    // written in the database. The cursor only ever moves past pages whose messages are queued.
    let page = b.expandedAt ? null : await expandPage(prisma, spec, id, b.expandCursor, batchSize, registry);
    while (page && page.next !== null) {
      const current = page as AudiencePage & { next: number };
      const [next, queued] = await Promise.all([expandPage(prisma, spec, id, current.next, batchSize, registry), queuePage(current)]);
      if (!queued) {
        await cleanup(id);
        return "cancelled";
      }
      page = next;
    }
    const recipients = await prisma.broadcastDelivery.count({ where: { broadcastId: id } });
    await prisma.broadcast.updateMany({ where: { id, expandedAt: null }, data: { expandedAt: new Date(), recipientCount: recipients } });
    log.info({ broadcastId: id, recipients, pages, ms: Date.now() - started }, "broadcast fanned out");
    await finish(id);
    return "expanded";
  };

  const sweep = async () => {
    const live = await prisma.broadcast.findMany({ where: { status: { in: ["RUNNING", "SCHEDULED"] } }, select: { id: true, status: true, expandedAt: true, scheduledAt: true } });
    const queue = queues.queue(BROADCAST_QUEUE);
    for (const b of live) {
      if (b.status === "RUNNING" && b.expandedAt) {
        await finish(b.id);
        continue;
      }
      // A fan-out whose job is gone (Redis lost it) or gave up: queue it again; it resumes at its cursor.
      const job = await queue.getJob(expandJobId(b.id));
      const state = job ? await job.getState() : "missing";
      if (state === "failed" || state === "completed") await job!.remove().catch(() => undefined);
      if (state === "missing" || state === "failed" || state === "completed") {
        const delay = b.scheduledAt ? Math.max(0, b.scheduledAt.getTime() - Date.now()) : 0;
        await addJob(queues, broadcastQueue, "expand", { broadcastId: b.id }, { jobId: expandJobId(b.id), delay, attempts: 8, backoff: { type: "exponential", delay: 2000 }, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 30 * 86_400 } });
        log.warn({ broadcastId: b.id, state }, "broadcast fan-out re-queued by the sweep");
      }
    }
  };

  const lockDuration = deps.lockDurationMs ?? 30_000;
  startWorker(
    queues,
    broadcastQueue,
    {
      expand: ({ broadcastId }) => expand(broadcastId),
      cleanup: async ({ broadcastId }) => {
        await cleanup(broadcastId);
        return "cleaned";
      },
      [SWEEP_JOB]: async () => {
        await sweep();
        return "swept";
      },
    },
    {
      concurrency: 4,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      // A fan-out is resumable: let it be picked up again after several crashes.
      maxStalledCount: 10,
    },
  );
  await queues.queue(BROADCAST_QUEUE).upsertJobScheduler(
    SWEEP_JOB,
    { every: deps.sweepEveryMs ?? 60_000 },
    { name: SWEEP_JOB, opts: { removeOnComplete: 10, removeOnFail: 10 } },
  );
  return { checkFinished: finish };
}
