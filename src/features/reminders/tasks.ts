// Reminders of plan tasks: 7, 3, 1 days before and on the due date, the review occurrences of recurring
// tasks, the "assigned to you" notice. The reminders feature depends on tasks (their deadlines and
// labels), never the reverse: tasks/service.ts tells it what changed through its TaskReminders port, which
// Reminders (reminders/service.ts) and databaseTaskReminders (below) implement.
import type { Queue } from "bullmq";
import { dateKey, fromDbDate, toDbDate, today } from "../../core/dates.ts";
import { fill, type Messages } from "../../core/messages.ts";
import type { PlanTask, Prisma, PrismaClient, Reminder } from "../../generated/prisma/client.ts";
import { cadences, describeCadence } from "../tasks/deadline.ts";
import { deadlineLabel, type TaskContext, type TaskReminders, type TaskSettings } from "../tasks/service.ts";
import { taskReminderTimes, type QuietHours } from "./schedule.ts";
import type { reminderQueue } from "../../queue/registry.ts";

/** A reminder row to create (Reminders.createAndSchedule). */
export interface NewReminder {
  jobKey: string;
  kind: Reminder["kind"];
  personId: number;
  text: string;
  dueAt: Date;
  taskId?: number | null;
  unitCode?: string | null;
  urgent?: boolean;
}

/** What planning needs of Reminders: create-and-schedule rows, and its queue for the review schedulers. */
export interface ReminderScheduler {
  createAndSchedule(rows: NewReminder[], now?: Date): Promise<unknown>;
  readonly queue: Pick<Queue, "upsertJobScheduler" | "getJobSchedulers" | "removeJobScheduler">;
}

export const reviewSchedulerId = (taskId: number) => `task-${taskId}-review`;

async function officersOf(prisma: PrismaClient, unitCodes: string[]): Promise<Map<string, number[]>> {
  const roles = await prisma.roleAssignment.findMany({
    where: { unitCode: { in: unitCodes }, role: "OFFICER", revokedAt: null },
    select: { unitCode: true, personId: true },
  });
  const map = new Map<string, number[]>();
  for (const r of roles) map.set(r.unitCode, [...new Set([...(map.get(r.unitCode) ?? []), r.personId])]);
  return map;
}

function documentLine(task: Pick<PlanTask, "document">): string {
  return task.document ? `\nVăn bản: ${task.document}` : "";
}

/**
 * Reminder rows for open tasks (all, or the given ones): 7, 3, 1 days before and on the due date, to the
 * officers of every responsible unit that has not completed its part. Rows that exist are kept.
 */
export async function planTaskReminders(
  prisma: PrismaClient,
  settings: TaskSettings,
  messages: Messages,
  options: { taskIds?: number[]; reminders?: ReminderScheduler | undefined; now?: Date } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const quiet: QuietHours = { start: settings.QUIET_HOURS_START, end: settings.QUIET_HOURS_END };
  const todayDate = today(now, settings.TZ);
  const tasks = await prisma.planTask.findMany({
    where: {
      status: "OPEN",
      dueDate: { gte: toDbDate(todayDate) },
      ...(options.taskIds ? { id: { in: options.taskIds } } : {}),
    },
    include: { units: { where: { completedAt: null }, include: { unit: { select: { name: true } } } } },
  });
  const officers = await officersOf(prisma, [...new Set(tasks.flatMap((t) => t.units.map((u) => u.unitCode)))]);
  const rows = [];
  for (const task of tasks) {
    const due = fromDbDate(task.dueDate!);
    for (const planned of taskReminderTimes(due, now, settings.TZ, settings.REMINDER_TIME, quiet)) {
      const days = Number(planned.offset.slice(1));
      const when = days === 0 ? "hạn là hôm nay" : days === 1 ? "còn 1 ngày (hạn ngày mai)" : `còn ${days} ngày`;
      for (const u of task.units) {
        for (const personId of officers.get(u.unitCode) ?? []) {
          rows.push({
            jobKey: `t${task.id}.${u.unitCode}.${dateKey(due)}.${planned.offset}.p${personId}`,
            kind: "TASK" as const,
            personId,
            taskId: task.id,
            unitCode: u.unitCode,
            dueAt: planned.at,
            text: fill(messages.reminderTask!, {
              when,
              id: task.id,
              title: task.title,
              deadline: deadlineLabel(task),
              document: documentLine(task),
              unit: u.unit.name,
            }),
          });
        }
      }
    }
  }
  if (options.reminders) await options.reminders.createAndSchedule(rows, now);
  else for (let i = 0; i < rows.length; i += 1000) await prisma.reminder.createMany({ data: rows.slice(i, i + 1000), skipDuplicates: true });
  return rows.length;
}

/** Job Schedulers for the review cadence of recurring tasks; removes those of tasks no longer open. */
export async function syncReviewSchedulers(prisma: PrismaClient, reminders: ReminderScheduler, tz: string): Promise<number> {
  const tasks = await prisma.planTask.findMany({ where: { status: "OPEN", deadlineKind: "RECURRING" }, select: { id: true, cadence: true } });
  const wanted = new Set<string>();
  for (const t of tasks) {
    const id = reviewSchedulerId(t.id);
    wanted.add(id);
    await reminders.queue.upsertJobScheduler(
      id,
      { pattern: t.cadence ?? cadences.monthly!.cron, tz },
      { name: "task-review" satisfies keyof typeof reminderQueue.jobs, data: { taskId: t.id }, opts: { removeOnComplete: 200, removeOnFail: 200, attempts: 5, backoff: { type: "exponential", delay: 2000 } } },
    );
  }
  for (const s of await reminders.queue.getJobSchedulers(0, -1)) {
    const id = s.id ?? s.key;
    if (id && /^task-\d+-review$/.test(id) && !wanted.has(id)) await reminders.queue.removeJobScheduler(id);
  }
  return tasks.length;
}

/** One review occurrence of a recurring task: a reminder to the officers of each open unit. */
export async function reviewOccurrence(
  prisma: PrismaClient,
  reminders: ReminderScheduler,
  messages: Messages,
  taskId: number,
  occurrence: Date,
  tz: string,
): Promise<number> {
  const task = await prisma.planTask.findUnique({
    where: { id: taskId },
    include: { units: { where: { completedAt: null }, include: { unit: { select: { name: true } } } } },
  });
  if (!task || task.status !== "OPEN" || task.deadlineKind !== "RECURRING") return 0;
  const officers = await officersOf(prisma, task.units.map((u) => u.unitCode));
  const day = dateKey(today(occurrence, tz));
  const rows = task.units.flatMap((u) =>
    (officers.get(u.unitCode) ?? []).map((personId) => ({
      jobKey: `t${task.id}.${u.unitCode}.${day}.rv.p${personId}`,
      kind: "TASK" as const,
      personId,
      taskId: task.id,
      unitCode: u.unitCode,
      dueAt: occurrence,
      text: fill(messages.reminderTaskReview!, {
        id: task.id,
        title: task.title,
        cadence: describeCadence(task.cadence),
        document: documentLine(task),
        unit: u.unit.name,
      }),
    })),
  );
  await reminders.createAndSchedule(rows);
  return rows.length;
}

/** Rows of the "assigned to you" notice of a new task, to its units' officers, due now. */
export async function assignedNotices(ctx: TaskContext, taskId: number, by: string, now: Date): Promise<NewReminder[]> {
  const task = await ctx.prisma.planTask.findUniqueOrThrow({ where: { id: taskId }, include: { units: { include: { unit: { select: { name: true } } } } } });
  const officers = await officersOf(ctx.prisma, task.units.map((u) => u.unitCode));
  return task.units.flatMap((u) =>
    (officers.get(u.unitCode) ?? []).map((personId) => ({
      jobKey: `t${task.id}.${u.unitCode}.new.p${personId}`,
      kind: "TASK" as const,
      personId,
      taskId: task.id,
      unitCode: u.unitCode,
      dueAt: now,
      text: fill(ctx.messages.reminderTaskAssigned!, {
        id: task.id,
        title: task.title,
        deadline: deadlineLabel(task),
        document: documentLine(task),
        unit: u.unit.name,
        by,
      }),
    })),
  );
}

/** Cancels scheduled reminders in the database only (no queue to take their jobs off). */
async function cancelRows(prisma: PrismaClient, where: Prisma.ReminderWhereInput, reason: string): Promise<void> {
  await prisma.reminder.updateMany({ where: { AND: [where, { status: "SCHEDULED" }] }, data: { status: "CANCELLED", lastError: reason } });
}

/**
 * Task reminders without Redis (the admin CLI, the one-shot CLI): rows are written to the database and the
 * running app schedules them (its one-minute re-sync, and every start-up); no "assigned" notice is sent.
 */
export const databaseTaskReminders: TaskReminders = {
  async planTasks(ctx, taskIds) {
    await planTaskReminders(ctx.prisma, ctx.settings, ctx.messages, { taskIds, ...(ctx.now ? { now: ctx.now } : {}) });
  },
  async notifyAssigned() {},
  async cancelTaskReminders(ctx, where, reason) {
    await cancelRows(ctx.prisma, where, reason);
  },
  async taskDone() {},
};
