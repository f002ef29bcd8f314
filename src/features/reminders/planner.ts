// The daily planner (at REMINDER_TIME): overdue plan tasks escalated from the commune to its group team
// (cụm, liên xã, where a province keeps them) or the province working group, report-deadline reminders
// (units without indicator values for the period, and the list of missing units for supervisors and
// group teams), and the weekly briefing reminder (BRIEFING_CRON).
import { fill, type Messages } from "../../core/messages.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { deadlineLabel } from "../tasks/service.ts";
import { groupTeamsFor } from "../unit-groups.ts";
import type { Reminders } from "./service.ts";
import { dateKey, daysBetween, formatDate, fromDbDate, minuteKey, reportPeriodsDue, toDbDate, today, type CivilDate } from "./schedule.ts";

export interface PlannerSettings {
  TZ: string;
  REPORT_DAY_OF_MONTH: number;
  REPORT_QUARTER_DAY: number;
  REPORT_UNIT_LEVELS: string;
}

const MAX_LINES = 40;

function listLines(lines: string[]): string {
  return lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… và ${lines.length - MAX_LINES} mục khác`].join("\n") : lines.join("\n");
}

async function activeRoles(prisma: PrismaClient, role: "OFFICER" | "SUPERVISOR") {
  return prisma.roleAssignment.findMany({
    where: { role, revokedAt: null },
    select: { personId: true, unitCode: true, unit: { select: { path: true } } },
  });
}

/**
 * Overdue tasks (due date before today, unit part not completed) go to the commune's group team when it
 * is in a group with leads; else to the supervisors of the unit above (the province working group since
 * 1/7/2025), or the next one up when that unit has none; a top-level unit's own supervisors otherwise.
 * One digest per person per day ("ovd.<date>.p<person>").
 */
export async function escalateOverdue(
  prisma: PrismaClient,
  reminders: Reminders,
  messages: Messages,
  tz: string,
  now = new Date(),
): Promise<number> {
  const day = today(now, tz);
  const parts = await prisma.planTaskUnit.findMany({
    where: { completedAt: null, task: { status: "OPEN", dueDate: { lt: toDbDate(day) } } },
    include: { task: true, unit: { select: { name: true, path: true } } },
    orderBy: [{ task: { dueDate: "asc" } }, { taskId: "asc" }],
  });
  if (parts.length === 0) return 0;
  const supervisors = await activeRoles(prisma, "SUPERVISOR");
  const byUnit = new Map<string, number[]>();
  for (const s of supervisors) byUnit.set(s.unitCode, [...(byUnit.get(s.unitCode) ?? []), s.personId]);
  const teams = await groupTeamsFor(prisma, parts.map((p) => ({ code: p.unitCode, path: p.unit.path })));
  const linesFor = new Map<number, string[]>();
  for (const p of parts) {
    const chain = p.unit.path.split("/").filter(Boolean);
    const ancestors = chain.slice(0, -1).reverse();
    let recipients: number[] = teams.get(p.unitCode)?.leads ?? [];
    for (const code of recipients.length ? [] : ancestors) {
      recipients = byUnit.get(code) ?? [];
      if (recipients.length) break;
    }
    if (recipients.length === 0) recipients = byUnit.get(p.unitCode) ?? [];
    const late = daysBetween(fromDbDate(p.task.dueDate!), day);
    const line = `• #${p.taskId} ${p.task.title} — ${p.unit.name} — quá hạn ${late} ngày (hạn ${deadlineLabel(p.task)})`;
    for (const personId of new Set(recipients)) linesFor.set(personId, [...(linesFor.get(personId) ?? []), line]);
  }
  const rows = [...linesFor].map(([personId, lines]) => ({
    jobKey: `ovd.${dateKey(day)}.p${personId}`,
    kind: "TASK_OVERDUE" as const,
    personId,
    dueAt: now,
    text: fill(messages.reminderOverdue!, { count: lines.length, lines: listLines(lines) }),
  }));
  await reminders.createAndSchedule(rows, now);
  return rows.length;
}

/** Units in force at the reporting levels that have no current indicator value for `period`. */
export async function unitsMissingReport(prisma: PrismaClient, levels: string[], period: string, periodKind: "MONTH" | "QUARTER") {
  const units = await prisma.adminUnit.findMany({
    // Units of an ended list (valid_to set) report nothing any more.
    where: { level: { in: levels as Array<"PROVINCE" | "DISTRICT" | "COMMUNE" | "VILLAGE"> }, validTo: null },
    select: { code: true, name: true, path: true },
    orderBy: { path: "asc" },
  });
  const submitted = await prisma.indicatorValue.findMany({
    where: { period, periodKind, supersededAt: null },
    select: { unitCode: true },
    distinct: ["unitCode"],
  });
  const done = new Set(submitted.map((s) => s.unitCode));
  return units.filter((u) => !done.has(u.code));
}

/**
 * On a report day: officers of every unit still missing values for the period are reminded
 * ("rpt.<period>.<unit>.p<person>"), and each supervisor gets the missing units of their subtree, each
 * group lead those of their group ("rptm.<period>.p<person>": one list per person).
 */
export async function remindReports(
  prisma: PrismaClient,
  reminders: Reminders,
  messages: Messages,
  settings: PlannerSettings,
  now = new Date(),
): Promise<number> {
  const day: CivilDate = today(now, settings.TZ);
  const periods = reportPeriodsDue(day, settings.REPORT_DAY_OF_MONTH, settings.REPORT_QUARTER_DAY);
  if (periods.length === 0) return 0;
  const levels = settings.REPORT_UNIT_LEVELS.split(",").map((l) => l.trim().toUpperCase()).filter(Boolean);
  const officers = await activeRoles(prisma, "OFFICER");
  const supervisors = await activeRoles(prisma, "SUPERVISOR");
  const rows = [];
  for (const period of periods) {
    const missing = await unitsMissingReport(prisma, levels, period.period, period.kind);
    const missingCodes = new Set(missing.map((m) => m.code));
    for (const o of officers) {
      if (!missingCodes.has(o.unitCode)) continue;
      const unit = missing.find((m) => m.code === o.unitCode)!;
      rows.push({
        jobKey: `rpt.${period.period}.${o.unitCode}.p${o.personId}`,
        kind: "REPORT_DEADLINE" as const,
        personId: o.personId,
        unitCode: o.unitCode,
        dueAt: now,
        text: fill(messages.reminderReportUnit!, { period: period.label, date: formatDate(day), unit: unit.name }),
      });
    }
    const perSupervisor = new Map<number, Set<string>>();
    for (const s of supervisors) {
      const set = perSupervisor.get(s.personId) ?? new Set<string>();
      for (const m of missing) if (m.path.startsWith(s.unit.path)) set.add(m.code);
      perSupervisor.set(s.personId, set);
    }
    for (const [code, team] of await groupTeamsFor(prisma, missing)) {
      for (const personId of team.leads) perSupervisor.set(personId, (perSupervisor.get(personId) ?? new Set<string>()).add(code));
    }
    for (const [personId, codes] of perSupervisor) {
      if (codes.size === 0) continue;
      const lines = missing.filter((m) => codes.has(m.code)).map((m) => `• ${m.name} (${m.code})`);
      rows.push({
        jobKey: `rptm.${period.period}.p${personId}`,
        kind: "REPORT_DEADLINE" as const,
        personId,
        dueAt: now,
        text: fill(messages.reminderReportSupervisor!, { period: period.label, date: formatDate(day), count: lines.length, lines: listLines(lines) }),
      });
    }
  }
  await reminders.createAndSchedule(rows, now);
  return rows.length;
}

/** The weekly briefing reminder to every officer and supervisor. */
export async function remindBriefing(prisma: PrismaClient, reminders: Reminders, messages: Messages, tz: string, occurrence: Date): Promise<number> {
  const people = await prisma.roleAssignment.findMany({
    where: { role: { in: ["OFFICER", "SUPERVISOR"] }, revokedAt: null },
    select: { personId: true },
    distinct: ["personId"],
  });
  const key = minuteKey(occurrence, tz);
  const rows = people.map((p) => ({
    jobKey: `brf.${key}.p${p.personId}`,
    kind: "BRIEFING" as const,
    personId: p.personId,
    dueAt: occurrence,
    text: messages.reminderBriefing!,
  }));
  await reminders.createAndSchedule(rows);
  return rows.length;
}
