// Reminders: the database is the source of truth, BullMQ holds the timers.
//
// - Every reminder to a person is a Reminder row with a deterministic `jobKey` ("rem-12",
//   "t7.19123.20231231.d3.p5", "ovd.20240105.p9"…). A one-off reminder is a delayed job on the
//   "reminders" queue whose job id IS that key, so scheduling it again (after an edit, a restart, a
//   periodic sync) is a no-op; the same key is the outbox delivery key, so a message is never sent twice.
// - Recurring reminders (personal "thứ 2 hằng tuần 7h30", recurring plan tasks, the weekly briefing) are
//   BullMQ Job Schedulers; each occurrence becomes its own Reminder row ("rem-12-202412230730").
// - At due time the row is checked again (cancelled? task completed?), the quiet hours applied to
//   non-urgent reminders (the job is moved to the end of the quiet hours), a channel identity picked, and
//   the message queued on the outbox (kind "reminder"); the outbox's outcome is written back on the row:
//   SENT, UNREACHABLE or FAILED. A person with no reachable channel is recorded UNREACHABLE, not dropped.
// - sync() re-creates every missing job and scheduler from the database: at start-up (nothing is lost
//   if Redis lost its data) and every minute (rows written by the admin CLI).
import type { z } from "zod";
import type { Job, Queue } from "bullmq";
import { channelRegistry, type ChannelRegistry } from "../../channels/registry.ts";
import type { Config } from "../../config/env.ts";
import type { Prisma, PrismaClient, Reminder } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logging/logger.ts";
import type { ChannelAdapter, ChannelName, Outbox, Outcome, OutboundMessage } from "../../core/ports.ts";
import type { QueueSet } from "../../queue/queues.ts";
import { delayedError } from "../../queue/bullmq-errors.ts";
import { reminderQueue } from "../../queue/registry.ts";
import type { TaskContext, TaskReminders } from "../tasks/service.ts";
import { deferOutOfQuiet, inQuietHours, minuteKey, type QuietHours } from "./schedule.ts";
import { assignedNotices, planTaskReminders, reviewSchedulerId, syncReviewSchedulers, type NewReminder } from "./tasks.ts";

export const REMINDER_QUEUE = reminderQueue.name;
/** The outbox kind of every reminder message. */
export const REMINDER_KIND = "reminder";

export const JOB = {
  reminder: "reminder",
  personalRecurring: "personal-recurring",
  taskReview: "task-review",
  daily: "daily-planner",
  briefing: "briefing",
  sync: "sync",
} as const satisfies Record<string, keyof typeof reminderQueue.jobs>;

export interface ReminderDeps {
  prisma: PrismaClient;
  queues: QueueSet;
  config: Pick<Config, "TZ" | "QUIET_HOURS_START" | "QUIET_HOURS_END">;
  log: Logger;
  outbox?: Outbox | undefined;
  /** Channels that can send (the outbox's adapters); identities on other channels are skipped. Default: every sendable channel of the registry. */
  channels?: Map<ChannelName, ChannelAdapter> | ChannelName[] | undefined;
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry | undefined;
  /** Queue name (tests use their own). */
  queueName?: string;
}

export type ScheduledRow = Pick<Reminder, "id" | "jobKey" | "dueAt">;

export class Reminders implements TaskReminders {
  readonly queueName: string;
  readonly registry: ChannelRegistry;
  constructor(readonly deps: ReminderDeps) {
    this.queueName = deps.queueName ?? REMINDER_QUEUE;
    this.registry = deps.registry ?? channelRegistry;
  }

  get queue(): Queue {
    return this.deps.queues.queue(this.queueName);
  }

  get quiet(): QuietHours {
    return { start: this.deps.config.QUIET_HOURS_START, end: this.deps.config.QUIET_HOURS_END };
  }

  /** Channels a reminder can go out on: those given (or every one of the registry) that are sendable. */
  private sendable(): Set<ChannelName> {
    const c = this.deps.channels;
    const names = c instanceof Map ? [...c.keys()] : (c ?? this.registry.sendable);
    return new Set(names.filter((n) => this.registry.sendable.includes(n)));
  }

  /**
   * Adds a delayed job per row (job id = jobKey); rows that already have one are left alone. BullMQ takes a
   * delay relative to the moment the job is added, so it is computed per chunk, just before the add:
   * computed once for 10,000 rows it would make the last ones late by the whole time the adds took.
   * `now` fixes the clock instead (tests of the quiet hours).
   */
  async schedule(rows: ScheduledRow[], now?: number): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const base = now ?? Date.now();
      await this.queue.addBulk(
        rows.slice(i, i + 500).map((r) => ({
          name: JOB.reminder,
          data: { id: r.id } satisfies z.input<typeof reminderQueue.jobs.reminder>,
          opts: {
            jobId: r.jobKey,
            delay: Math.max(0, r.dueAt.getTime() - base),
            attempts: 8,
            backoff: { type: "exponential", delay: 2000 },
            removeOnComplete: { age: 7 * 86_400, count: 500_000 },
            removeOnFail: { age: 30 * 86_400 },
          },
        })),
      );
    }
  }

  /** Cancels rows (status CANCELLED) and removes their pending jobs. */
  async cancel(where: Prisma.ReminderWhereInput, reason?: string): Promise<number> {
    const rows = await this.deps.prisma.reminder.findMany({ where: { AND: [where, { status: "SCHEDULED" }] }, select: { id: true, jobKey: true, recurrence: true } });
    if (rows.length === 0) return 0;
    await this.deps.prisma.reminder.updateMany({
      where: { id: { in: rows.map((r) => r.id) }, status: "SCHEDULED" },
      data: { status: "CANCELLED", ...(reason ? { lastError: reason } : {}) },
    });
    for (const r of rows) {
      if (r.recurrence) await this.removeRecurring(r.jobKey);
      else await this.removeJob(r.jobKey);
    }
    return rows.length;
  }

  async removeJob(jobKey: string): Promise<void> {
    try {
      await this.queue.remove(jobKey);
    } catch (error) {
      // A job running right now cannot be removed; it finds the row cancelled and stops.
      this.deps.log.debug({ jobKey, err: (error as Error).message }, "reminder job not removed");
    }
  }

  // ───────────── recurring (Job Schedulers) ─────────────

  private schedulerIds(jobKey: string, count: number): string[] {
    return Array.from({ length: count }, (_, i) => (i === 0 ? jobKey : `${jobKey}-${String.fromCharCode(97 + i)}`));
  }

  /** A recurring personal reminder: one Job Scheduler per cron pattern ("a;b"). */
  async upsertRecurring(row: Pick<Reminder, "id" | "jobKey" | "recurrence">): Promise<void> {
    const patterns = (row.recurrence ?? "").split(";").map((p) => p.trim()).filter(Boolean);
    const ids = this.schedulerIds(row.jobKey, patterns.length);
    for (const [i, pattern] of patterns.entries()) {
      await this.queue.upsertJobScheduler(
        ids[i]!,
        { pattern, tz: this.deps.config.TZ },
        { name: JOB.personalRecurring, data: { id: row.id }, opts: { removeOnComplete: 200, removeOnFail: 200, attempts: 5, backoff: { type: "exponential", delay: 2000 } } },
      );
    }
  }

  async removeRecurring(jobKey: string): Promise<void> {
    for (const id of this.schedulerIds(jobKey, 3)) await this.queue.removeJobScheduler(id);
  }

  /** Next run of a recurring reminder, from BullMQ's own schedule. */
  async nextRun(jobKey: string): Promise<Date | undefined> {
    const nexts: number[] = [];
    for (const id of this.schedulerIds(jobKey, 3)) {
      const s = await this.queue.getJobScheduler(id);
      if (s?.next) nexts.push(s.next);
    }
    return nexts.length ? new Date(Math.min(...nexts)) : undefined;
  }

  // ───────────── sync ─────────────

  /**
   * Re-creates the jobs of every SCHEDULED one-off row due before `horizon` (all when omitted) and the
   * schedulers of every recurring personal reminder; removes schedulers of cancelled ones.
   */
  async sync(options: { horizonMs?: number; now?: Date } = {}): Promise<{ jobs: number; schedulers: number }> {
    const now = options.now ?? new Date();
    const { prisma } = this.deps;
    let jobs = 0;
    let cursor = 0;
    for (;;) {
      const rows = await prisma.reminder.findMany({
        where: {
          status: "SCHEDULED",
          recurrence: null,
          id: { gt: cursor },
          ...(options.horizonMs !== undefined ? { dueAt: { lte: new Date(now.getTime() + options.horizonMs) } } : {}),
        },
        select: { id: true, jobKey: true, dueAt: true },
        orderBy: { id: "asc" },
        take: 5000,
      });
      if (rows.length === 0) break;
      await this.schedule(rows);
      jobs += rows.length;
      cursor = rows.at(-1)!.id;
    }
    const templates = await prisma.reminder.findMany({ where: { status: "SCHEDULED", recurrence: { not: null } }, select: { id: true, jobKey: true, recurrence: true } });
    const wanted = new Set<string>();
    for (const t of templates) {
      await this.upsertRecurring(t);
      for (const id of this.schedulerIds(t.jobKey, (t.recurrence ?? "").split(";").length)) wanted.add(id);
    }
    for (const s of await this.queue.getJobSchedulers(0, -1)) {
      const id = s.id ?? s.key;
      if (id && /^rem-\d+(-[a-c])?$/.test(id) && !wanted.has(id)) await this.queue.removeJobScheduler(id);
    }
    return { jobs, schedulers: templates.length };
  }

  // ───────────── delivery ─────────────

  /** Processes one job of the reminders queue that is about a Reminder row. */
  async processReminderJob(id: number, job: Job, token?: string): Promise<string> {
    const row = await this.deps.prisma.reminder.findUnique({ where: { id } });
    if (!row) return "missing";
    return this.deliver(row, { job, token });
  }

  /** One occurrence of a recurring personal reminder: its own row, then delivered. */
  async processRecurringJob(id: number, job: Job, token?: string): Promise<string> {
    const template = await this.deps.prisma.reminder.findUnique({ where: { id } });
    if (!template || template.status !== "SCHEDULED") return "inactive";
    const occurrence = new Date(Number(job.opts.prevMillis ?? job.timestamp));
    const jobKey = `${template.jobKey}-${minuteKey(occurrence, this.deps.config.TZ)}`;
    await this.deps.prisma.reminder.createMany({
      data: [{ jobKey, kind: template.kind, personId: template.personId, text: template.text, dueAt: occurrence, urgent: template.urgent }],
      skipDuplicates: true,
    });
    const row = await this.deps.prisma.reminder.findUniqueOrThrow({ where: { jobKey } });
    return this.deliver(row, { job, token });
  }

  /**
   * Checks the row, applies the quiet hours and hands the message to the outbox. With a job, a quiet
   * hour moves the job itself to the end of the quiet hours.
   */
  async deliver(row: Reminder, via: { job?: Job; token?: string | undefined } = {}, now = new Date()): Promise<string> {
    const { prisma, config } = this.deps;
    if (row.status !== "SCHEDULED") return "not-scheduled";
    if (row.taskId) {
      const task = await prisma.planTask.findUnique({
        where: { id: row.taskId },
        select: { status: true, units: { where: row.unitCode ? { unitCode: row.unitCode } : {}, select: { completedAt: true } } },
      });
      const done = !task || task.status === "DONE" || (row.unitCode !== null && task.units.every((u) => u.completedAt));
      if (done) {
        await prisma.reminder.updateMany({ where: { id: row.id, status: "SCHEDULED" }, data: { status: "CANCELLED", lastError: "việc đã hoàn thành" } });
        return "task-done";
      }
    }
    if (!row.urgent && inQuietHours(now, config.TZ, this.quiet)) {
      const until = deferOutOfQuiet(now, config.TZ, this.quiet);
      if (via.job && via.token && via.job.name === JOB.reminder) {
        await via.job.moveToDelayed(until.getTime(), via.token);
        throw delayedError();
      }
      // An occurrence (or a row with no job of its own): a one-off job for the end of the quiet hours.
      await this.schedule([{ id: row.id, jobKey: row.jobKey, dueAt: until }], now.getTime());
      return "deferred";
    }
    const identities = await prisma.channelIdentity.findMany({ where: { personId: row.personId }, orderBy: { lastSeenAt: "desc" } });
    const sendable = this.sendable();
    const usable = identities.filter((i) => {
      const channel = this.registry.channelOf(i.channel);
      return channel !== undefined && sendable.has(channel);
    });
    const identity = usable.find((i) => !i.unreachableAt) ?? usable[0];
    if (!identity || !this.deps.outbox) {
      await prisma.reminder.updateMany({
        where: { id: row.id, status: "SCHEDULED" },
        data: { status: "UNREACHABLE", lastError: identity ? "không có hàng đợi gửi tin" : `người nhận không có kênh ${this.registry.sendable.map((c) => this.registry.label(c)).join("/")} nào` },
      });
      this.deps.log.warn({ reminder: row.id }, "reminder recipient has no channel to send to");
      return "unreachable";
    }
    const message: OutboundMessage = {
      key: row.jobKey,
      channel: this.registry.fromEnum(identity.channel),
      chatId: identity.chatId,
      replies: [{ text: row.text }],
      kind: REMINDER_KIND,
      ref: { reminderId: row.id },
    };
    await this.deps.outbox.enqueue([message]);
    return "queued";
  }

  /** What the outbox reports about a reminder message, written on its row. */
  async recordOutcome(message: Omit<OutboundMessage, "replies">, outcome: Outcome): Promise<void> {
    const id = Number(message.ref?.reminderId);
    if (!Number.isInteger(id)) return;
    const data =
      outcome.status === "sent"
        ? { status: "SENT" as const, sentAt: new Date(), lastError: null }
        : outcome.status === "uncertain"
          ? { status: "SENT" as const, sentAt: new Date(), lastError: "không chắc đã gửi: tiến trình gửi dừng giữa chừng, không gửi lại" }
          : outcome.status === "unreachable"
            ? { status: "UNREACHABLE" as const, lastError: outcome.error.slice(0, 500) }
            : { status: "FAILED" as const, lastError: outcome.error.slice(0, 500) };
    // Only a row still waiting for its outcome changes (a re-reported outcome changes nothing).
    await this.deps.prisma.reminder.updateMany({ where: { id, status: "SCHEDULED" }, data });
  }

  /** Creates rows (skipping keys that exist) and schedules those still SCHEDULED. */
  async createAndSchedule(rows: NewReminder[], now?: Date): Promise<ScheduledRow[]> {
    if (rows.length === 0) return [];
    const { prisma } = this.deps;
    for (let i = 0; i < rows.length; i += 1000) {
      await prisma.reminder.createMany({ data: rows.slice(i, i + 1000), skipDuplicates: true });
    }
    const scheduled: ScheduledRow[] = [];
    const keys = rows.map((r) => r.jobKey);
    for (let i = 0; i < keys.length; i += 1000) {
      scheduled.push(
        ...(await prisma.reminder.findMany({
          where: { jobKey: { in: keys.slice(i, i + 1000) }, status: "SCHEDULED" },
          select: { id: true, jobKey: true, dueAt: true },
        })),
      );
    }
    await this.schedule(scheduled, now?.getTime());
    return scheduled;
  }

  // ───────────── what task changes ask (the TaskReminders port of tasks/service.ts) ─────────────

  async planTasks(ctx: TaskContext, taskIds: number[]): Promise<void> {
    await planTaskReminders(ctx.prisma, ctx.settings, ctx.messages, { taskIds, reminders: this, ...(ctx.now ? { now: ctx.now } : {}) });
    await syncReviewSchedulers(ctx.prisma, this, ctx.settings.TZ);
  }

  async notifyAssigned(ctx: TaskContext, taskId: number, by: string): Promise<void> {
    const now = ctx.now ?? new Date();
    await this.createAndSchedule(await assignedNotices(ctx, taskId, by, now), now);
  }

  async cancelTaskReminders(_ctx: TaskContext, where: Prisma.ReminderWhereInput, reason: string): Promise<void> {
    await this.cancel(where, reason);
  }

  async taskDone(_ctx: TaskContext, taskId: number): Promise<void> {
    await this.queue.removeJobScheduler(reviewSchedulerId(taskId));
  }
}
