// Plan tasks: title, assigning document, responsible units, deadline (date, month, quarter or recurring
// "thường xuyên" with a review cadence). Each responsible unit completes its own part; the task is DONE
// when every unit has. Tasks know nothing of how reminders are planned: each change tells the reminders
// feature through the TaskReminders port (implemented in reminders/, which depends on tasks, not the
// reverse): reminders are planned per (task, unit, due date, offset, officer), so changing a deadline gives
// new keys and cancels the old ones, and completing a unit's part cancels that unit's.
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { daysBetween, formatDate, fromDbDate, toDbDate, today } from "../../core/dates.ts";
import type { Messages } from "../../core/messages.ts";
import { foldDiacritics } from "../../core/text.ts";
import type { PlanTask, Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { audit } from "../../security/audit.ts";
import { describeDeadline, parseDeadline, type Deadline } from "./deadline.ts";

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

  // Tasks are for units in force: a unit of an ended list (valid_to set) takes none.
  const units = await prisma.adminUnit.findMany({ where: { validTo: null }, select: { code: true, name: true, nameFolded: true } });
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
    await ctx.reminders?.cancelTaskReminders(ctx, stale, "đã đổi hạn hoặc đơn vị");
  }
  if (touched.length) await ctx.reminders?.planTasks(ctx, touched);
  return result;
}

export async function importTasksFile(
  ctx: TaskContext,
  file: string,
  actor: Actor,
  options: { dryRun?: boolean } = {},
): Promise<TaskImportResult & { checked: number }> {
  const { rows, errors } = await parseTasksCsv(ctx.prisma, await readFile(file, "utf8"));
  if (errors.length || options.dryRun) return { created: 0, updated: 0, unchanged: 0, errors, checked: errors.length ? 0 : rows.length };
  return { ...(await importTasks(ctx, rows, actor)), checked: rows.length };
}

export { formatDate };
