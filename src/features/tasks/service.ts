// Plan tasks: title, assigning document, responsible units, deadline (date, month, quarter or recurring
// "thường xuyên" with a review cadence). Each responsible unit completes its own part; the task is DONE
// when every unit has. Tasks know nothing of how reminders are planned: each change tells the reminders
// feature through the TaskReminders port (implemented in reminders/, which depends on tasks, not the
// reverse): reminders are planned per (task, unit, due date, offset, officer), so changing a deadline gives
// new keys and cancels the old ones, and completing a unit's part cancels that unit's.
import { daysBetween, formatDate, fromDbDate, toDbDate, today } from "../../core/dates.ts";
import type { Messages } from "../../core/messages.ts";
import type { PlanTask, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { audit } from "../../security/audit.ts";
import { describeDeadline, type Deadline } from "./deadline.ts";

export interface TaskSettings {
  TZ: string;
  REMINDER_TIME: string;
  QUIET_HOURS_START: string;
  QUIET_HOURS_END: string;
}

export interface Actor {
  personId?: number | null;
  label: string;
}

type TaskWithUnits = PlanTask & { units: Array<{ unitCode: string; completedAt: Date | null; unit: { name: string } }> };

export function taskDeadline(task: Pick<PlanTask, "deadlineKind" | "dueDate" | "cadence">): Deadline {
  return { kind: task.deadlineKind, dueDate: task.dueDate ? fromDbDate(task.dueDate) : null, cadence: task.cadence };
}

export function deadlineLabel(task: Pick<PlanTask, "deadlineKind" | "dueDate" | "cadence">): string {
  return describeDeadline(taskDeadline(task));
}

// ───────────── create, edit, complete ─────────────

export interface TaskInput {
  title: string;
  document?: string | null;
  deadline: Deadline;
  unitCodes: string[];
}

/**
 * What task changes ask of the reminders feature. Implemented by reminders/service.ts's Reminders (with
 * Redis) and reminders/tasks.ts's databaseTaskReminders (rows only, for the admin CLI); absent, tasks
 * change without touching reminders.
 */
export interface TaskReminders {
  /** Plans the reminders of these open tasks (and the review schedules of recurring ones). */
  planTasks(ctx: TaskContext, taskIds: number[]): Promise<void>;
  /** Tells the officers of a newly assigned task at once. */
  notifyAssigned(ctx: TaskContext, taskId: number, by: string): Promise<void>;
  /** Cancels the task reminders that no longer apply (deadline changed, parts done, units removed). */
  cancelTaskReminders(ctx: TaskContext, where: Prisma.ReminderWhereInput, reason: string): Promise<void>;
  /** The task is done: its review schedule goes. */
  taskDone(ctx: TaskContext, taskId: number): Promise<void>;
}

export interface TaskContext {
  prisma: PrismaClient;
  settings: TaskSettings;
  messages: Messages;
  reminders?: TaskReminders | undefined;
  now?: Date;
}

/** Creates a task, plans its reminders and, when asked, tells the responsible officers at once. */
export async function createTask(ctx: TaskContext, input: TaskInput, actor: Actor, options: { notify?: boolean } = {}): Promise<PlanTask> {
  const { prisma } = ctx;
  const task = await prisma.planTask.create({
    data: {
      title: input.title,
      document: input.document ?? null,
      deadlineKind: input.deadline.kind,
      dueDate: input.deadline.dueDate ? toDbDate(input.deadline.dueDate) : null,
      cadence: input.deadline.cadence,
      createdBy: actor.label,
      units: { create: [...new Set(input.unitCodes)].map((unitCode) => ({ unitCode })) },
    },
  });
  await audit(prisma, {
    actorPersonId: actor.personId ?? null,
    actorLabel: actor.label,
    action: "task.create",
    unitCode: input.unitCodes[0] ?? null,
    detail: { taskId: task.id, title: task.title, deadline: deadlineLabel(task), units: input.unitCodes },
  });
  await ctx.reminders?.planTasks(ctx, [task.id]);
  if (options.notify) await ctx.reminders?.notifyAssigned(ctx, task.id, actor.label);
  return task;
}

/** Changes a task's deadline: the reminders of the old deadline are cancelled and new ones planned. */
export async function changeDeadline(ctx: TaskContext, taskId: number, deadline: Deadline, actor: Actor): Promise<PlanTask> {
  const { prisma } = ctx;
  const before = await prisma.planTask.findUniqueOrThrow({ where: { id: taskId } });
  const task = await prisma.planTask.update({
    where: { id: taskId },
    data: { deadlineKind: deadline.kind, dueDate: deadline.dueDate ? toDbDate(deadline.dueDate) : null, cadence: deadline.cadence },
  });
  // Every reminder of the old deadline goes (not the "assigned" notice).
  await ctx.reminders?.cancelTaskReminders(ctx, { taskId, kind: "TASK", NOT: { jobKey: { contains: ".new." } } }, "đã đổi hạn");
  await audit(prisma, {
    actorPersonId: actor.personId ?? null,
    actorLabel: actor.label,
    action: "task.deadline",
    detail: { taskId, from: deadlineLabel(before), to: deadlineLabel(task) },
  });
  await ctx.reminders?.planTasks(ctx, [taskId]);
  return task;
}

export interface CompleteResult {
  completedUnits: string[];
  taskDone: boolean;
}

/**
 * Marks the given units' parts done (those not done yet); the task is DONE when no unit is left. Their
 * pending reminders are cancelled and their jobs removed.
 */
export async function completeUnits(ctx: TaskContext, taskId: number, unitCodes: string[], note: string | null, actor: Actor): Promise<CompleteResult> {
  const { prisma } = ctx;
  const now = ctx.now ?? new Date();
  const result = await prisma.$transaction(async (tx) => {
    const open = await tx.planTaskUnit.findMany({ where: { taskId, unitCode: { in: unitCodes }, completedAt: null }, select: { unitCode: true } });
    const codes = open.map((u) => u.unitCode);
    if (codes.length) {
      await tx.planTaskUnit.updateMany({
        where: { taskId, unitCode: { in: codes }, completedAt: null },
        data: { completedAt: now, completedBy: actor.label, completionNote: note },
      });
    }
    const left = await tx.planTaskUnit.count({ where: { taskId, completedAt: null } });
    let taskDone = false;
    if (left === 0) {
      const updated = await tx.planTask.updateMany({
        where: { id: taskId, status: "OPEN" },
        data: { status: "DONE", completedAt: now, completedBy: actor.label, completionNote: note },
      });
      taskDone = updated.count > 0;
    }
    await audit(tx, {
      actorPersonId: actor.personId ?? null,
      actorLabel: actor.label,
      action: "task.complete",
      unitCode: codes[0] ?? null,
      detail: { taskId, units: codes, taskDone, note },
    });
    return { completedUnits: codes, taskDone };
  });
  const where = result.taskDone ? { taskId } : { taskId, unitCode: { in: result.completedUnits } };
  await ctx.reminders?.cancelTaskReminders(ctx, where, "việc đã hoàn thành");
  if (result.taskDone) await ctx.reminders?.taskDone(ctx, taskId);
  return result;
}

// ───────────── listing ─────────────

/** Open task parts of the units under the given paths, by due date (recurring last). */
export async function openTasksUnder(prisma: PrismaClient, paths: string[], limit = 30): Promise<TaskWithUnits[]> {
  if (paths.length === 0) return [];
  return prisma.planTask.findMany({
    where: { status: "OPEN", units: { some: { completedAt: null, OR: paths.map((p) => ({ unit: { path: { startsWith: p } } })) } } },
    include: { units: { include: { unit: { select: { name: true } } } } },
    orderBy: [{ dueDate: { sort: "asc", nulls: "last" } }, { id: "asc" }],
    take: limit,
  }) as Promise<TaskWithUnits[]>;
}

export function dueNote(task: Pick<PlanTask, "dueDate">, now: Date, tz: string): string {
  if (!task.dueDate) return "";
  const days = daysBetween(today(now, tz), fromDbDate(task.dueDate));
  if (days < 0) return ` ⚠️ quá hạn ${-days} ngày`;
  if (days === 0) return " ⏰ hạn hôm nay";
  if (days <= 7) return ` (còn ${days} ngày)`;
  return "";
}

export { formatDate };
