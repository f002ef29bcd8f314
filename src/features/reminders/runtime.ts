// Starts the reminder machinery in the running app: the "reminders" worker, the Job Schedulers (daily
// planner, weekly briefing, a one-minute re-sync), the outbox outcome handler, and the start-up sync
// that re-creates every missing job from the database.
import type { Job } from "bullmq";
import type { Config } from "../../config/env.ts";
import { loadMessages, type Messages } from "../../core/messages.ts";
import type { ChannelRegistry } from "../../channels/registry.ts";
import type { ChannelAdapter, ChannelName, Outbox } from "../../core/ports.ts";
import type { CoreServices } from "../../core/types.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logging/logger.ts";
import type { QueueSet } from "../../queue/queues.ts";
import { reminderQueue, renamed, startWorker } from "../../queue/registry.ts";
import { databaseTaskReminders, planTaskReminders, reviewOccurrence, syncReviewSchedulers } from "./tasks.ts";
import type { TaskReminders } from "../tasks/service.ts";
import { escalateOverdue, remindBriefing, remindReports } from "./planner.ts";
import { JOB, REMINDER_KIND, Reminders } from "./service.ts";
import { at, clockMinutes, today } from "./schedule.ts";

export type ReminderConfig = Pick<
  Config,
  "TZ" | "QUIET_HOURS_START" | "QUIET_HOURS_END" | "REMINDER_TIME" | "REPORT_DAY_OF_MONTH" | "REPORT_QUARTER_DAY" | "REPORT_UNIT_LEVELS" | "BRIEFING_CRON"
>;

export interface StartRemindersOptions {
  queues: QueueSet;
  prisma: PrismaClient;
  outbox: Outbox;
  log: Logger;
  config: ReminderConfig;
  channels?: Map<ChannelName, ChannelAdapter> | ChannelName[];
  /** The channels there are (default: the app's registry). */
  registry?: ChannelRegistry;
  messages?: Messages;
  /** Jobs in flight at once (default 20). */
  concurrency?: number;
  /** A killed worker's jobs are taken over after about this long (default 30 s). */
  lockDurationMs?: number;
  /** Period of the re-sync of rows written elsewhere (admin CLI); default 60 s, 0 = off. */
  syncEveryMs?: number;
  /** Run today's planner at start when its time has passed (idempotent). Default true. */
  catchUp?: boolean;
}

/** A Reminders handle for chat commands (present when the app runs with queues). */
export function remindersFor(services: CoreServices): Reminders | undefined {
  if (!services.queues) return undefined;
  return new Reminders({ prisma: services.prisma, queues: services.queues, config: services.config, log: services.log, outbox: services.outbox, registry: services.registry });
}

/** What chat commands on tasks use: the Reminders handle when the app runs with queues, else rows only. */
export function taskRemindersFor(services: CoreServices): TaskReminders {
  return remindersFor(services) ?? databaseTaskReminders;
}

export async function startReminders(options: StartRemindersOptions): Promise<Reminders> {
  const { queues, prisma, outbox, log, config } = options;
  const messages = options.messages ?? loadMessages();
  const reminders = new Reminders({ prisma, queues, config, log, outbox, channels: options.channels, registry: options.registry });
  outbox.onOutcome(REMINDER_KIND, (message, outcome) => reminders.recordOutcome(message, outcome));
  const settings = { ...config };

  const daily = async (now = new Date()) => {
    const escalated = await escalateOverdue(prisma, reminders, messages, config.TZ, now);
    const reports = await remindReports(prisma, reminders, messages, config, now);
    const planned = await planTaskReminders(prisma, settings, messages, { reminders, now });
    log.info({ escalated, reports, planned }, "daily reminder planner ran");
  };

  const queue = reminders.queue;
  const [mm, hh] = [clockMinutes(config.REMINDER_TIME) % 60, Math.floor(clockMinutes(config.REMINDER_TIME) / 60)];
  const keep = { removeOnComplete: 100, removeOnFail: 100 };
  await queue.upsertJobScheduler(JOB.daily, { pattern: `${mm} ${hh} * * *`, tz: config.TZ }, { name: JOB.daily, opts: keep });
  if (config.BRIEFING_CRON) {
    await queue.upsertJobScheduler(JOB.briefing, { pattern: config.BRIEFING_CRON, tz: config.TZ }, { name: JOB.briefing, opts: keep });
  } else {
    await queue.removeJobScheduler(JOB.briefing);
  }
  const syncEvery = options.syncEveryMs ?? 60_000;
  if (syncEvery > 0) await queue.upsertJobScheduler(JOB.sync, { every: syncEvery }, { name: JOB.sync, opts: { removeOnComplete: 10, removeOnFail: 10 } });
  else await queue.removeJobScheduler(JOB.sync);

  // Start-up: every row and scheduler back in Redis, whatever Redis remembers.
  const synced = await reminders.sync();
  const reviews = await syncReviewSchedulers(prisma, reminders, config.TZ);
  log.info({ jobs: synced.jobs, recurring: synced.schedulers, reviews }, "reminders re-synced from the database");

  // A scheduler's occurrence: when it was due (BullMQ's prevMillis), else now.
  const occurrence = (job: Job) => new Date(Number(job.opts.prevMillis ?? Date.now()));
  startWorker(
    queues,
    renamed(reminderQueue, reminders.queueName),
    {
      [JOB.reminder]: ({ id }, job, token) => reminders.processReminderJob(id, job, token),
      [JOB.personalRecurring]: ({ id }, job, token) => reminders.processRecurringJob(id, job, token),
      [JOB.taskReview]: ({ taskId }, job) => reviewOccurrence(prisma, reminders, messages, taskId, occurrence(job), config.TZ),
      [JOB.daily]: () => daily(),
      [JOB.briefing]: (_, job) => remindBriefing(prisma, reminders, messages, config.TZ, occurrence(job)),
      [JOB.sync]: async () => (await reminders.sync({ horizonMs: 2 * 3_600_000 })).jobs,
    },
    {
      concurrency: options.concurrency ?? 20,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: Math.max(1000, Math.floor((options.lockDurationMs ?? 30_000) / 2)),
    },
  );

  if (options.catchUp !== false) {
    const now = new Date();
    if (now.getTime() >= at(config.TZ, today(now, config.TZ), clockMinutes(config.REMINDER_TIME)).getTime()) {
      await daily(now).catch((error: unknown) => log.error({ err: error }, "catch-up planner failed"));
    } else {
      await planTaskReminders(prisma, settings, messages, { reminders, now });
    }
  }
  return reminders;
}
