// import-tasks FILE.csv|FILE.xlsx: plan tasks (title,document,units,deadline,cadence), all or nothing.
// task-deadline ID DEADLINE: change a task's deadline (its reminders are planned anew).
// reminders [--limit N]: scheduled and recent reminders.
import { loadMessages } from "../core/messages.ts";
import { cronToRule, describeRule, formatDateTime } from "../features/reminders/schedule.ts";
import { parseDeadline } from "../features/reminders/schedule.ts";
import { databaseTaskReminders } from "../features/reminders/tasks.ts";
import { rowErrorLines } from "../core/tabular.ts";
import { importTasksFile } from "../features/tasks/import.ts";
import { changeDeadline, deadlineLabel, type TaskContext } from "../features/tasks/service.ts";
import type { AdminCommand, AdminContext } from "./types.ts";

const actor = { personId: null, label: "cli:admin" };

function taskContext(ctx: AdminContext): TaskContext {
  // No Redis here: reminder rows are written to the database and the running app schedules them
  // (its one-minute re-sync, and every start-up).
  return { prisma: ctx.db.prisma, settings: ctx.config, messages: loadMessages(), reminders: databaseTaskReminders };
}

export const taskCommands: AdminCommand[] = [
  {
    name: "import-tasks",
    usage: "import-tasks FILE.csv|FILE.xlsx [--dry-run]",
    summary: "create or update plan tasks from a CSV or .xlsx (title,document,units,deadline,cadence)",
    async run(ctx) {
      const file = ctx.args.positional[0];
      if (!file) {
        console.error("usage: npm run admin -- import-tasks FILE.csv|FILE.xlsx [--dry-run]");
        return 2;
      }
      const dryRun = Boolean(ctx.args.options["dry-run"]);
      const result = await importTasksFile(taskContext(ctx), file, actor, { dryRun });
      for (const line of rowErrorLines(result.errors)) console.error(line);
      if (result.errors.length) {
        console.error(`${file}: không nhập gì — ${result.errors.length} dòng có lỗi.`);
        return 1;
      }
      if (dryRun) ctx.out(`${file}: kiểm tra xong, chưa ghi gì — ${result.checked} nhiệm vụ hợp lệ.`);
      else ctx.out(`Tasks: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged.`);
      return 0;
    },
  },
  {
    name: "task-deadline",
    usage: "task-deadline ID DEADLINE",
    summary: 'change a task\'s deadline ("31/12/2024", "Quý I/2025", …); reminders are rescheduled',
    async run(ctx) {
      const [id, ...rest] = ctx.args.positional;
      const deadline = parseDeadline(rest.join(" "));
      if (!id || !/^\d+$/.test(id) || "error" in deadline) {
        console.error(`usage: npm run admin -- task-deadline ID DEADLINE${"error" in deadline && id ? ` (${deadline.error})` : ""}`);
        return 2;
      }
      const task = await ctx.db.prisma.planTask.findUnique({ where: { id: Number(id) } });
      if (!task) {
        console.error(`Không có việc số ${id}.`);
        return 1;
      }
      const updated = await changeDeadline(taskContext(ctx), task.id, deadline, actor);
      ctx.out(`Task #${task.id}: ${deadlineLabel(task)} → ${deadlineLabel(updated)}`);
      return 0;
    },
  },
  {
    name: "reminders",
    usage: "reminders [--limit N]",
    summary: "scheduled and recent reminders (task, overdue, report, briefing, personal)",
    async run(ctx) {
      const prisma = ctx.db.prisma;
      const tz = ctx.config.TZ;
      const limit = Math.min(500, Math.max(1, Number(ctx.args.options.limit) || 20));
      const counts = await prisma.reminder.groupBy({ by: ["status", "kind"], _count: { _all: true } });
      ctx.out("Reminders by status and kind:");
      if (counts.length === 0) ctx.out("  (none)");
      for (const c of counts.sort((a, b) => a.status.localeCompare(b.status) || a.kind.localeCompare(b.kind))) {
        ctx.out(`  ${c.status.padEnd(12)} ${c.kind.padEnd(16)} ${c._count._all}`);
      }
      const who = async (personIds: number[]) =>
        new Map((await prisma.person.findMany({ where: { id: { in: personIds } }, select: { id: true, displayName: true } })).map((p) => [p.id, p.displayName ?? `#${p.id}`]));
      const line = (text: string) => text.replace(/\s+/g, " ").slice(0, 80);

      const recurring = await prisma.reminder.findMany({ where: { status: "SCHEDULED", recurrence: { not: null } }, orderBy: { id: "asc" }, take: limit });
      const upcoming = await prisma.reminder.findMany({ where: { status: "SCHEDULED", recurrence: null }, orderBy: { dueAt: "asc" }, take: limit });
      const recent = await prisma.reminder.findMany({
        where: { status: { in: ["SENT", "UNREACHABLE", "FAILED", "CANCELLED"] } },
        orderBy: [{ sentAt: { sort: "desc", nulls: "last" } }, { id: "desc" }],
        take: limit,
      });
      const names = await who([...recurring, ...upcoming, ...recent].map((r) => r.personId));

      ctx.out(`\nRecurring (${recurring.length}):`);
      for (const r of recurring) {
        const rule = cronToRule((r.recurrence ?? "").split(";"));
        ctx.out(`  #${r.id} ${r.jobKey} → ${names.get(r.personId)}: ${rule ? describeRule(rule) : r.recurrence} — ${line(r.text)}`);
      }
      ctx.out(`\nScheduled, next ${upcoming.length}:`);
      for (const r of upcoming) ctx.out(`  ${formatDateTime(r.dueAt, tz)}  ${r.kind.padEnd(15)} ${r.jobKey} → ${names.get(r.personId)}: ${line(r.text)}`);
      ctx.out(`\nRecent ${recent.length}:`);
      for (const r of recent) {
        const when = r.sentAt ? formatDateTime(r.sentAt, tz) : `(due ${formatDateTime(r.dueAt, tz)})`;
        ctx.out(`  ${r.status.padEnd(11)} ${when}  ${r.kind.padEnd(15)} ${r.jobKey} → ${names.get(r.personId)}${r.lastError ? ` [${r.lastError}]` : ""}`);
      }
      return 0;
    },
  },
];
