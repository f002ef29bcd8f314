// Importing plan tasks from a table (CSV or .xlsx): every row checked first, then all or nothing. A row
// whose title and document match an open task updates it (deadline, cadence, units); the others are
// created. Reminders are planned afterwards through the TaskReminders port, as for any task change.
import { toDbDate } from "../../core/dates.ts";
import { cellText, readCsv, readTableFile, type RowError, type Table, type TableSpec } from "../../core/tabular.ts";
import { foldDiacritics } from "../../core/text.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { audit } from "../../security/audit.ts";
import { parseDeadline } from "./deadline.ts";
import type { Actor, TaskContext, TaskInput } from "./service.ts";

export type { RowError };

export interface TaskImportResult {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

/** The columns of a task file, with the Vietnamese headers officers write ("Nhiệm vụ", "Đơn vị thực hiện", "Thời hạn"…). */
export const taskTable: TableSpec<"title" | "document" | "units" | "deadline" | "cadence"> = {
  columns: {
    title: ["tieu_de", "nhiem_vu", "noi_dung", "ten_viec"],
    document: ["van_ban", "can_cu"],
    units: ["unit", "don_vi", "don_vi_thuc_hien", "co_quan"],
    deadline: ["han", "thoi_han", "thoi_gian"],
    cadence: ["chu_ky"],
  },
  required: ["title", "units", "deadline"],
};

export interface ParsedTaskRow extends TaskInput {
  line: number;
}

const taskKey = (title: string, document: string | null | undefined) => `${foldDiacritics(title)}|${foldDiacritics(document ?? "")}`;

/**
 * Checks the rows of a task table: `units` lists unit codes (or exact names) separated by ";". Every row
 * is checked; any error rejects the whole file.
 */
export async function checkTaskRows(prisma: PrismaClient, table: Table<keyof typeof taskTable.columns>): Promise<{ rows: ParsedTaskRow[]; errors: RowError[] }> {
  if (table.errors.length) return { rows: [], errors: table.errors };
  if (table.rows.length === 0) return { rows: [], errors: [{ line: 1, message: "tệp không có dòng việc nào" }] };

  // Tasks are for units in force: a unit of an ended list (valid_to set) takes none.
  const units = await prisma.adminUnit.findMany({ where: { validTo: null }, select: { code: true, name: true, nameFolded: true } });
  const byCode = new Set(units.map((u) => u.code));
  const byName = new Map<string, string[]>();
  for (const u of units) byName.set(u.nameFolded, [...(byName.get(u.nameFolded) ?? []), u.code]);

  const rows: ParsedTaskRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const row of table.rows) {
    const { line } = row;
    const problems: string[] = [];
    const title = cellText(row.title).replace(/\s+/g, " ");
    if (!title) problems.push("thiếu tên việc (cột title)");
    if (title.length > 1000) problems.push("tên việc dài quá 1000 ký tự");
    const document = cellText(row.document) || null;
    const cadence = cellText(row.cadence);
    const deadline = parseDeadline(cellText(row.deadline), cadence);
    if ("error" in deadline) problems.push(deadline.error);
    else if (deadline.kind !== "RECURRING" && cadence) problems.push("cột cadence chỉ dùng cho việc Thường xuyên");
    const unitCodes: string[] = [];
    const unitTexts = cellText(row.units).split(/[;|\n]/).map((s) => s.trim()).filter(Boolean);
    if (unitTexts.length === 0) problems.push("thiếu đơn vị thực hiện (cột units, mã đơn vị cách nhau bởi ;)");
    for (const u of unitTexts) {
      if (byCode.has(u)) {
        unitCodes.push(u);
        continue;
      }
      const named = byName.get(foldDiacritics(u).replace(/[^\p{L}\p{N}\s]/gu, " ").replace(/\s+/g, " ").trim()) ?? [];
      if (named.length === 1) unitCodes.push(...named);
      else if (named.length > 1) problems.push(`tên đơn vị "${u}" trùng nhiều đơn vị (${named.join(", ")}): dùng mã`);
      else problems.push(`không tìm thấy đơn vị "${u}"`);
    }
    const key = taskKey(title, document);
    const first = seen.get(key);
    if (title && first !== undefined) problems.push(`trùng việc ở dòng ${first}`);
    else seen.set(key, line);
    if (problems.length || "error" in deadline) errors.push({ line, message: problems.join("; ") });
    else rows.push({ line, title, document, deadline, unitCodes: [...new Set(unitCodes)] });
  }
  return { rows, errors };
}

/** Reads and checks a task CSV: header `title,document,units,deadline,cadence` (or the Vietnamese names). */
export async function parseTasksCsv(prisma: PrismaClient, text: string): Promise<{ rows: ParsedTaskRow[]; errors: RowError[] }> {
  return checkTaskRows(prisma, readCsv(text, taskTable));
}

/** Imports checked rows, all or nothing; reminders of changed deadlines or removed units go, the rest are planned anew. */
export async function importTasks(ctx: TaskContext, rows: ParsedTaskRow[], actor: Actor): Promise<TaskImportResult> {
  const { prisma } = ctx;
  const existing = await prisma.planTask.findMany({ where: { status: "OPEN" }, include: { units: true } });
  const byKey = new Map(existing.map((t) => [taskKey(t.title, t.document), t]));
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
      const before = byKey.get(taskKey(row.title, row.document));
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

/** A task file (.csv or .xlsx) checked and, unless a dry run or an error, imported. */
export async function importTasksFile(
  ctx: TaskContext,
  file: string,
  actor: Actor,
  options: { dryRun?: boolean } = {},
): Promise<TaskImportResult & { checked: number }> {
  const { rows, errors } = await checkTaskRows(ctx.prisma, await readTableFile(file, taskTable));
  if (errors.length || options.dryRun) return { created: 0, updated: 0, unchanged: 0, errors, checked: errors.length ? 0 : rows.length };
  return { ...(await importTasks(ctx, rows, actor)), checked: rows.length };
}
