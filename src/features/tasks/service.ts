// Plan tasks: title, assigning document, responsible units, deadline (date, month, quarter or recurring
// "thường xuyên" with a review cadence). Each responsible unit completes its own part; the task is DONE
// when every unit has. Reminders are planned per (task, unit, due date, offset, officer), so changing a
// deadline gives new keys and cancels the old ones, and completing a unit's part cancels that unit's.
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { fill, type Messages } from "../../core/messages.ts";
import { foldDiacritics } from "../../core/text.ts";
import type { PlanTask, PrismaClient } from "../../generated/prisma/client.ts";
import { audit } from "../../security/audit.ts";
import type { Reminders } from "../reminders/service.ts";
import {
  cadences,
  dateKey,
  daysBetween,
  describeCadence,
  describeDeadline,
  formatDate,
  fromDbDate,
  parseDeadline,
  taskReminderTimes,
  toDbDate,
  today,
  type Deadline,
  type QuietHours,
} from "../reminders/schedule.ts";

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

const reviewSchedulerId = (taskId: number) => `task-${taskId}-review`;

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
  options: { taskIds?: number[]; reminders?: Reminders | undefined; now?: Date } = {},
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
export async function syncReviewSchedulers(prisma: PrismaClient, reminders: Reminders, tz: string): Promise<number> {
  const tasks = await prisma.planTask.findMany({ where: { status: "OPEN", deadlineKind: "RECURRING" }, select: { id: true, cadence: true } });
  const wanted = new Set<string>();
  for (const t of tasks) {
    const id = reviewSchedulerId(t.id);
    wanted.add(id);
    await reminders.queue.upsertJobScheduler(
      id,
      { pattern: t.cadence ?? cadences.monthly!.cron, tz },
      { name: "task-review", data: { taskId: t.id }, opts: { removeOnComplete: 200, removeOnFail: 200, attempts: 5, backoff: { type: "exponential", delay: 2000 } } },
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
  reminders: Reminders,
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

// ───────────── create, edit, complete ─────────────

export interface TaskInput {
  title: string;
  document?: string | null;
  deadline: Deadline;
  unitCodes: string[];
}

export interface TaskContext {
  prisma: PrismaClient;
  settings: TaskSettings;
  messages: Messages;
  reminders?: Reminders | undefined;
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
  await afterChange(ctx, task.id);
  if (options.notify && ctx.reminders) {
    const full = await prisma.planTask.findUniqueOrThrow({ where: { id: task.id }, include: { units: { include: { unit: { select: { name: true } } } } } });
    const officers = await officersOf(prisma, input.unitCodes);
    const now = ctx.now ?? new Date();
    await ctx.reminders.createAndSchedule(
      full.units.flatMap((u) =>
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
            by: actor.label,
          }),
        })),
      ),
      now,
    );
  }
  return task;
}

async function afterChange(ctx: TaskContext, taskId: number): Promise<void> {
  await planTaskReminders(ctx.prisma, ctx.settings, ctx.messages, { taskIds: [taskId], reminders: ctx.reminders, ...(ctx.now ? { now: ctx.now } : {}) });
  if (ctx.reminders) await syncReviewSchedulers(ctx.prisma, ctx.reminders, ctx.settings.TZ);
}

/** Changes a task's deadline: the reminders of the old deadline are cancelled and new ones planned. */
export async function changeDeadline(ctx: TaskContext, taskId: number, deadline: Deadline, actor: Actor): Promise<PlanTask> {
  const { prisma } = ctx;
  const before = await prisma.planTask.findUniqueOrThrow({ where: { id: taskId } });
  const task = await prisma.planTask.update({
    where: { id: taskId },
    data: { deadlineKind: deadline.kind, dueDate: deadline.dueDate ? toDbDate(deadline.dueDate) : null, cadence: deadline.cadence },
  });
  const cancel = { taskId, kind: "TASK" as const, NOT: { jobKey: { contains: ".new." } } };
  if (ctx.reminders) await ctx.reminders.cancel(cancel, "đã đổi hạn");
  else await prisma.reminder.updateMany({ where: { ...cancel, status: "SCHEDULED" }, data: { status: "CANCELLED", lastError: "đã đổi hạn" } });
  await audit(prisma, {
    actorPersonId: actor.personId ?? null,
    actorLabel: actor.label,
    action: "task.deadline",
    detail: { taskId, from: deadlineLabel(before), to: deadlineLabel(task) },
  });
  await afterChange(ctx, taskId);
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
  if (ctx.reminders) {
    await ctx.reminders.cancel(where, "việc đã hoàn thành");
    if (result.taskDone) await ctx.reminders.queue.removeJobScheduler(reviewSchedulerId(taskId));
  } else {
    await prisma.reminder.updateMany({ where: { ...where, status: "SCHEDULED" }, data: { status: "CANCELLED", lastError: "việc đã hoàn thành" } });
  }
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

// ───────────── CSV import ─────────────

export interface RowError {
  line: number;
  message: string;
}

export interface TaskImportResult {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

const columnAliases: Record<string, string> = {
  title: "title", tieu_de: "title", nhiem_vu: "title", noi_dung: "title", ten_viec: "title",
  document: "document", van_ban: "document", can_cu: "document",
  units: "units", unit: "units", don_vi: "units", don_vi_thuc_hien: "units", co_quan: "units",
  deadline: "deadline", han: "deadline", thoi_han: "deadline", thoi_gian: "deadline",
  cadence: "cadence", chu_ky: "cadence",
};

function columnName(header: string): string {
  const key = foldDiacritics(header).trim().replace(/[\s-]+/g, "_");
  return columnAliases[key] ?? key;
}

interface ParsedTaskRow extends TaskInput {
  line: number;
}

/**
 * Reads a task CSV: header `title,document,units,deadline,cadence` (Vietnamese names accepted:
 * nhiem_vu, van_ban, don_vi, thoi_han, chu_ky). `units` lists unit codes (or exact names) separated by
 * ";". Every row is checked; any error rejects the whole file. Line numbers count the header as line 1.
 */
export async function parseTasksCsv(prisma: PrismaClient, text: string): Promise<{ rows: ParsedTaskRow[]; errors: RowError[] }> {
  const errors: RowError[] = [];
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, { columns: (h: string[]) => h.map(columnName), skip_empty_lines: true, trim: true, bom: true, relax_column_count: true, info: true });
  } catch (error) {
    return { rows: [], errors: [{ line: (error as { lines?: number }).lines ?? 1, message: `CSV không đọc được: ${(error as Error).message}` }] };
  }
  const header = records[0] ? Object.keys(records[0].record) : [];
  for (const required of ["title", "units", "deadline"]) {
    if (records.length && !header.includes(required)) errors.push({ line: 1, message: `thiếu cột "${required}" (cần: title,document,units,deadline,cadence)` });
  }
  if (records.length === 0) errors.push({ line: 1, message: "tệp không có dòng việc nào" });
  if (errors.length) return { rows: [], errors };

  const units = await prisma.adminUnit.findMany({ select: { code: true, name: true, nameFolded: true } });
  const byCode = new Map(units.map((u) => [u.code, u.code]));
  const byName = new Map<string, string[]>();
  for (const u of units) byName.set(u.nameFolded, [...(byName.get(u.nameFolded) ?? []), u.code]);

  const rows: ParsedTaskRow[] = [];
  const seen = new Map<string, number>();
  let previousEnd = 1;
  for (const { record, info } of records) {
    const line = previousEnd + 1;
    previousEnd = info.lines;
    const problems: string[] = [];
    const title = (record.title ?? "").replace(/\s+/g, " ").trim();
    if (!title) problems.push("thiếu tên việc (cột title)");
    if (title.length > 1000) problems.push("tên việc dài quá 1000 ký tự");
    const document = (record.document ?? "").trim() || null;
    const deadline = parseDeadline(record.deadline ?? "", record.cadence);
    if ("error" in deadline) problems.push(deadline.error);
    else if (deadline.kind !== "RECURRING" && (record.cadence ?? "").trim()) problems.push("cột cadence chỉ dùng cho việc Thường xuyên");
    const unitCodes: string[] = [];
    const unitTexts = (record.units ?? "").split(/[;|\n]/).map((s) => s.trim()).filter(Boolean);
    if (unitTexts.length === 0) problems.push("thiếu đơn vị thực hiện (cột units, mã đơn vị cách nhau bởi ;)");
    for (const u of unitTexts) {
      const code = byCode.get(u);
      if (code) {
        unitCodes.push(code);
        continue;
      }
      const named = byName.get(foldDiacritics(u).replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim()) ?? [];
      if (named.length === 1) unitCodes.push(named[0]!);
      else if (named.length > 1) problems.push(`tên đơn vị "${u}" trùng nhiều đơn vị (${named.join(", ")}): dùng mã`);
      else problems.push(`không tìm thấy đơn vị "${u}"`);
    }
    const key = `${foldDiacritics(title)}|${foldDiacritics(document ?? "")}`;
    if (title && seen.has(key)) problems.push(`trùng việc ở dòng ${seen.get(key)}`);
    seen.set(key, line);
    if (problems.length) errors.push({ line, message: problems.join("; ") });
    else rows.push({ line, title, document, deadline: deadline as Deadline, unitCodes: [...new Set(unitCodes)] });
  }
  return { rows, errors };
}

/**
 * Imports parsed rows, all or nothing. A row whose title and document match an open task updates it
 * (deadline, cadence, units); otherwise a task is created. Reminders are planned afterwards.
 */
export async function importTasks(ctx: TaskContext, rows: ParsedTaskRow[], actor: Actor): Promise<TaskImportResult> {
  const { prisma } = ctx;
  const existing = await prisma.planTask.findMany({ where: { status: "OPEN" }, include: { units: true } });
  const byKey = new Map(existing.map((t) => [`${foldDiacritics(t.title)}|${foldDiacritics(t.document ?? "")}`, t]));
  const result: TaskImportResult = { created: 0, updated: 0, unchanged: 0, errors: [] };
  const deadlineChanged: number[] = [];
  const touched: number[] = [];
  await prisma.$transaction(async (tx) => {
    for (const row of rows) {
      const data = {
        deadlineKind: row.deadline.kind,
        dueDate: row.deadline.dueDate ? toDbDate(row.deadline.dueDate) : null,
        cadence: row.deadline.cadence,
      };
      const before = byKey.get(`${foldDiacritics(row.title)}|${foldDiacritics(row.document ?? "")}`);
      if (!before) {
        const task = await tx.planTask.create({
          data: { title: row.title, document: row.document ?? null, ...data, createdBy: actor.label, units: { create: row.unitCodes.map((unitCode) => ({ unitCode })) } },
        });
        touched.push(task.id);
        result.created++;
        continue;
      }
      const sameDeadline =
        before.deadlineKind === data.deadlineKind && before.dueDate?.getTime() === data.dueDate?.getTime() && before.cadence === data.cadence;
      const oldUnits = new Set(before.units.map((u) => u.unitCode));
      const newUnits = new Set(row.unitCodes);
      const sameUnits = oldUnits.size === newUnits.size && [...newUnits].every((u) => oldUnits.has(u));
      if (sameDeadline && sameUnits) {
        result.unchanged++;
        continue;
      }
      if (!sameDeadline) {
        await tx.planTask.update({ where: { id: before.id }, data });
        deadlineChanged.push(before.id);
      }
      if (!sameUnits) {
        await tx.planTaskUnit.deleteMany({ where: { taskId: before.id, unitCode: { notIn: [...newUnits] } } });
        await tx.planTaskUnit.createMany({ data: [...newUnits].filter((u) => !oldUnits.has(u)).map((unitCode) => ({ taskId: before.id, unitCode })) });
      }
      touched.push(before.id);
      result.updated++;
    }
    await audit(tx, {
      actorPersonId: actor.personId ?? null,
      actorLabel: actor.label,
      action: "task.import",
      detail: { created: result.created, updated: result.updated, unchanged: result.unchanged },
    });
  });
  // Reminders of a changed deadline or a removed unit go; the rest are planned anew.
  for (const id of touched) {
    const units = (await prisma.planTaskUnit.findMany({ where: { taskId: id }, select: { unitCode: true } })).map((u) => u.unitCode);
    const stale = {
      taskId: id,
      kind: "TASK" as const,
      OR: [...(deadlineChanged.includes(id) ? [{ NOT: { jobKey: { contains: ".new." } } }] : []), { unitCode: { notIn: units } }],
    };
    if (ctx.reminders) await ctx.reminders.cancel(stale, "đã đổi hạn hoặc đơn vị");
    else await prisma.reminder.updateMany({ where: { ...stale, status: "SCHEDULED" }, data: { status: "CANCELLED", lastError: "đã đổi hạn hoặc đơn vị" } });
  }
  if (touched.length) {
    await planTaskReminders(prisma, ctx.settings, ctx.messages, { taskIds: touched, reminders: ctx.reminders, ...(ctx.now ? { now: ctx.now } : {}) });
    if (ctx.reminders) await syncReviewSchedulers(prisma, ctx.reminders, ctx.settings.TZ);
  }
  return result;
}

export async function importTasksFile(ctx: TaskContext, file: string, actor: Actor): Promise<TaskImportResult> {
  const { rows, errors } = await parseTasksCsv(ctx.prisma, await readFile(file, "utf8"));
  if (errors.length) return { created: 0, updated: 0, unchanged: 0, errors };
  return importTasks(ctx, rows, actor);
}

export { formatDate };
