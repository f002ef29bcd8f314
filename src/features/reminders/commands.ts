// /nhac: personal reminders.
//   /nhac <khi nào> <việc gì>   "/nhac 8h sáng mai họp giao ban", "/nhac thứ 2 hằng tuần 7h30 nộp báo cáo"
//   /nhac                       my active reminders
//   /nhac huy <số>              cancel one
// Ambiguous or past times get a question back, never a guess. A personal reminder is delivered at the
// time its owner chose, even inside the quiet hours (they asked for it).
import { fill } from "../../core/messages.ts";
import type { Registrar } from "../../core/router.ts";
import type { TurnContext } from "../../core/types.ts";
import { foldDiacritics } from "../../core/text.ts";
import { authorize } from "../../security/policy.ts";
import { refusal } from "../../core/helpers.ts";
import { redactPII } from "../../privacy/redact.ts";
import { remindersFor } from "./runtime.ts";
import { cronToRule, describeRule, formatDateTime, inQuietHours, ruleToCron } from "./schedule.ts";
import { parseReminder } from "./time-parser.ts";

const MAX_ACTIVE = 50;

function isOccurrence(jobKey: string): boolean {
  return /^rem-\d+-\d+$/.test(jobKey);
}

async function activePersonal(ctx: TurnContext) {
  const rows = await ctx.services.prisma.reminder.findMany({
    where: { personId: ctx.actor.personId, kind: "PERSONAL", status: "SCHEDULED" },
    orderBy: { dueAt: "asc" },
    take: 500,
  });
  return rows.filter((r) => !isOccurrence(r.jobKey));
}

export function registerReminderCommands(router: Registrar): void {
  router.command({
    name: "nhac",
    aliases: ["nhacviec"],
    description: "Đặt lời nhắc: /nhac 8h sáng mai họp giao ban",
    listedFor: "staff",
    async run(ctx, args) {
      const m = ctx.services.messages;
      const { prisma, config } = ctx.services;
      if (!(await authorize(prisma, ctx.actor, "reminders.personal")).allowed) return refusal(ctx);
      const reminders = remindersFor(ctx.services);
      const tz = config.TZ;
      const trimmed = args.trim();

      if (!trimmed) {
        const rows = await activePersonal(ctx);
        if (rows.length === 0) return [{ text: m.remindListEmpty! }];
        const lines: string[] = [];
        for (const r of rows) {
          if (r.recurrence) {
            const rule = cronToRule(r.recurrence.split(";"));
            const next = await reminders?.nextRun(r.jobKey);
            lines.push(`#${r.id} ${rule ? describeRule(rule) : r.recurrence}${next ? ` (lần tới ${formatDateTime(next, tz)})` : ""}: ${r.text.replace(/^⏰\s*Nhắc việc:\s*/, "")}`);
          } else {
            lines.push(`#${r.id} ${formatDateTime(r.dueAt, tz)}: ${r.text.replace(/^⏰\s*Nhắc việc:\s*/, "")}`);
          }
        }
        return [{ text: fill(m.remindList!, { reminders: lines.join("\n") }) }];
      }

      const cancel = /^(\S+)\s+#?(\d{1,9})$/.exec(trimmed);
      if (cancel && ["huy", "xoa", "bo"].includes(foldDiacritics(cancel[1]!))) {
        const id = Number(cancel[2]);
        const row = await prisma.reminder.findFirst({ where: { id, personId: ctx.actor.personId, kind: "PERSONAL", status: "SCHEDULED" } });
        if (!row || isOccurrence(row.jobKey)) return [{ text: fill(m.remindNotFound!, { id }) }];
        if (reminders) await reminders.cancel({ id }, "người đặt đã hủy");
        else await prisma.reminder.updateMany({ where: { id, status: "SCHEDULED" }, data: { status: "CANCELLED", lastError: "người đặt đã hủy" } });
        return [{ text: fill(m.remindCancelled!, { id }) }];
      }

      const now = new Date();
      const parsed = parseReminder(trimmed, now, tz);
      if (!parsed.ok) return [{ text: parsed.question }];
      if (!parsed.what) return [{ text: m.remindWhat! }];
      if ((await activePersonal(ctx)).length >= MAX_ACTIVE) return [{ text: fill(m.remindTooMany!, { max: MAX_ACTIVE }) }];

      // Stored redacted: a reminder to oneself does not need the ID or phone number it mentions, and the
      // reminders table keeps rows for months (README "Security and privacy").
      const what = redactPII(parsed.what.slice(0, 500));
      const text = fill(m.reminderPersonal!, { text: what });
      const recurrence = parsed.kind === "recurring" ? ruleToCron(parsed.rule).join(";") : null;
      const dueAt = parsed.kind === "recurring" ? parsed.first : parsed.at;
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.reminder.create({
          data: { jobKey: `pending-${ctx.actor.personId}-${now.getTime()}-${Math.random().toString(36).slice(2)}`, kind: "PERSONAL", personId: ctx.actor.personId, text, dueAt, recurrence, urgent: true },
        });
        return tx.reminder.update({ where: { id: created.id }, data: { jobKey: `rem-${created.id}` } });
      });
      if (reminders) {
        try {
          if (row.recurrence) await reminders.upsertRecurring(row);
          else await reminders.schedule([row]);
        } catch (error) {
          // Redis away: the row must not stay SCHEDULED (a later planner run or restart would send what the
          // officer was told had failed). A half-made job finds the row cancelled and stops.
          ctx.log.warn({ err: error, reminderId: row.id }, "personal reminder not scheduled; cancelled");
          await prisma.reminder.update({ where: { id: row.id }, data: { status: "CANCELLED", lastError: "không xếp được lịch" } });
          if (row.recurrence) await reminders.removeRecurring(row.jobKey).catch(() => undefined);
          else await reminders.removeJob(row.jobKey).catch(() => undefined);
          return [{ text: m.remindNotScheduled! }];
        }
      }
      const quietNote = inQuietHours(dueAt, tz, { start: config.QUIET_HOURS_START, end: config.QUIET_HOURS_END })
        ? `\n${fill(m.remindQuietNote!, { start: config.QUIET_HOURS_START, end: config.QUIET_HOURS_END })}`
        : "";
      const defaultNote = parsed.defaultTime ? `\n${m.remindDefaultTime!}` : "";
      return [
        {
          text:
            (parsed.kind === "recurring"
              ? fill(m.remindCreatedRecurring!, { id: row.id, when: parsed.description, first: formatDateTime(parsed.first, tz), what })
              : fill(m.remindCreated!, { id: row.id, when: parsed.description, what })) +
            defaultNote +
            quietNote,
        },
      ];
    },
  });
}
