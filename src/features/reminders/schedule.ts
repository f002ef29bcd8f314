// Pure schedule computations for reminders, all in the configured time zone (Asia/Ho_Chi_Minh): reminder
// offsets, quiet hours, report days and recurring rules (as cron patterns for BullMQ Job Schedulers, with
// month ends handled: "ngày 31 hằng tháng" is the last day of a short month). Civil dates live in
// core/dates.ts and task deadlines in tasks/deadline.ts; both are re-exported here.
import { addDays, at, clockMinutes, compareDates, dateKey, daysInMonth, formatDate, QUARTER_NUMERALS, today, type CivilDate } from "../../core/dates.ts";
import { zonedParts } from "../../core/time.ts";

export * from "../../core/dates.ts";
export * from "../tasks/deadline.ts";

// ───────────── quiet hours ─────────────

export interface QuietHours {
  start: string; // "22:00"
  end: string; // "06:00"
}

/** Is `date` inside the quiet hours (which may span midnight)? */
export function inQuietHours(date: Date, tz: string, quiet: QuietHours): boolean {
  const p = zonedParts(date, tz);
  const m = p.hour * 60 + p.minute;
  const s = clockMinutes(quiet.start);
  const e = clockMinutes(quiet.end);
  if (s === e) return false;
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/** `date` itself, or the end of the quiet hours it falls into. */
export function deferOutOfQuiet(date: Date, tz: string, quiet: QuietHours): Date {
  if (!inQuietHours(date, tz, quiet)) return date;
  const p = zonedParts(date, tz);
  const m = p.hour * 60 + p.minute;
  const e = clockMinutes(quiet.end);
  const day = { year: p.year, month: p.month, day: p.day };
  // Before the end on the same calendar day (after midnight), else the end is tomorrow.
  return at(tz, m < e ? day : addDays(day, 1), e);
}

// ───────────── task reminders ─────────────

export const TASK_OFFSETS = [7, 3, 1, 0] as const;

export interface PlannedReminder {
  /** "d7", "d3", "d1", "d0". */
  offset: string;
  at: Date;
}

/**
 * When to remind about a task due on `due`: 7, 3, 1 days before and on the day, at `timeOfDay`.
 * Past ones are dropped, except that a task due today still gets its same-day reminder (now).
 * Every time is moved out of the quiet hours.
 */
export function taskReminderTimes(due: CivilDate, now: Date, tz: string, timeOfDay: string, quiet: QuietHours): PlannedReminder[] {
  const planned: PlannedReminder[] = [];
  const nowDay = today(now, tz);
  for (const offset of TASK_OFFSETS) {
    const day = addDays(due, -offset);
    let when = at(tz, day, clockMinutes(timeOfDay));
    if (when.getTime() <= now.getTime()) {
      if (offset === 0 && compareDates(day, nowDay) === 0) when = now;
      else continue;
    }
    planned.push({ offset: `d${offset}`, at: deferOutOfQuiet(when, tz, quiet) });
  }
  return planned;
}

// ───────────── report deadlines ─────────────

export interface ReportPeriod {
  kind: "MONTH" | "QUARTER";
  /** Canonical period key of IndicatorValue: "2024-03", "2024-Q1". */
  period: string;
  /** "tháng 3/2024", "quý I/2024". */
  label: string;
}

/** Day `day` of a month, or its last day when the month is shorter (31 → 30 April, 28/29 February). */
export function clampedDay(year: number, month: number, day: number): CivilDate {
  return { year, month, day: Math.min(day, daysInMonth(year, month)) };
}

/**
 * The report periods whose deadline is `date`: the monthly report is due on `monthlyDay` of each month
 * (for that month), the quarterly one on `quarterlyDay` of the quarter's last month. 0 turns one off.
 */
export function reportPeriodsDue(date: CivilDate, monthlyDay: number, quarterlyDay: number): ReportPeriod[] {
  const periods: ReportPeriod[] = [];
  const mm = String(date.month).padStart(2, "0");
  if (monthlyDay > 0 && compareDates(clampedDay(date.year, date.month, monthlyDay), date) === 0) {
    periods.push({ kind: "MONTH", period: `${date.year}-${mm}`, label: `tháng ${date.month}/${date.year}` });
  }
  const q = Math.ceil(date.month / 3);
  if (quarterlyDay > 0 && date.month === q * 3 && compareDates(clampedDay(date.year, date.month, quarterlyDay), date) === 0) {
    periods.push({ kind: "QUARTER", period: `${date.year}-Q${q}`, label: `quý ${QUARTER_NUMERALS[q]}/${date.year}` });
  }
  return periods;
}

// ───────────── recurring rules (personal reminders) ─────────────

export type RecurrenceRule =
  | { freq: "daily"; hour: number; minute: number }
  | { freq: "weekly"; weekdays: number[]; hour: number; minute: number }
  | { freq: "monthly"; day: number; hour: number; minute: number };

const WEEKDAY_NAMES = ["chủ nhật", "thứ 2", "thứ 3", "thứ 4", "thứ 5", "thứ 6", "thứ 7"];

export function hhmm(hour: number, minute: number): string {
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

/**
 * Cron patterns (minute hour day month weekday) for BullMQ Job Schedulers. A monthly day the month may
 * not have becomes the last day of such months: 31 → "L"; 29 and 30 → that day in the months that have
 * it, plus "L" in February.
 */
export function ruleToCron(rule: RecurrenceRule): string[] {
  const mh = `${rule.minute} ${rule.hour}`;
  if (rule.freq === "daily") return [`${mh} * * *`];
  if (rule.freq === "weekly") return [`${mh} * * ${[...rule.weekdays].sort().join(",")}`];
  if (rule.day <= 28) return [`${mh} ${rule.day} * *`];
  if (rule.day >= 31) return [`${mh} L * *`];
  return [`${mh} ${rule.day} 1,3-12 *`, `${mh} L 2 *`];
}

/** The inverse of ruleToCron, for the patterns it writes. */
export function cronToRule(patterns: string[]): RecurrenceRule | undefined {
  const first = patterns[0]?.split(/\s+/);
  if (!first || first.length !== 5) return undefined;
  const [mi, h, dom, , dow] = first;
  const minute = Number(mi);
  const hour = Number(h);
  if (!Number.isInteger(minute) || !Number.isInteger(hour)) return undefined;
  if (dom === "*" && dow === "*") return { freq: "daily", hour, minute };
  if (dom === "*") return { freq: "weekly", weekdays: dow!.split(",").map(Number), hour, minute };
  if (dom === "L") return { freq: "monthly", day: 31, hour, minute };
  return { freq: "monthly", day: Number(dom), hour, minute };
}

export function describeRule(rule: RecurrenceRule): string {
  const time = hhmm(rule.hour, rule.minute);
  if (rule.freq === "daily") return `${time} hằng ngày`;
  if (rule.freq === "weekly") return `${time} ${rule.weekdays.map((d) => WEEKDAY_NAMES[d]).join(", ")} hằng tuần`;
  if (rule.day >= 31) return `${time} ngày cuối cùng hằng tháng`;
  return `${time} ngày ${rule.day} hằng tháng${rule.day > 28 ? " (tháng ngắn hơn: ngày cuối tháng)" : ""}`;
}

/** The first occurrence of `rule` strictly after `after`. */
export function nextOccurrence(rule: RecurrenceRule, after: Date, tz: string): Date {
  const start = today(after, tz);
  for (let i = 0; i < 400; i++) {
    const day = addDays(start, i);
    let matches: boolean;
    if (rule.freq === "daily") matches = true;
    else if (rule.freq === "weekly") matches = rule.weekdays.includes(new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay());
    else matches = day.day === Math.min(rule.day, daysInMonth(day.year, day.month));
    if (!matches) continue;
    const when = at(tz, day, rule.hour * 60 + rule.minute);
    if (when.getTime() > after.getTime()) return when;
  }
  throw new Error("no occurrence within 400 days");
}

export function formatDateTime(date: Date, tz: string): string {
  const p = zonedParts(date, tz);
  return `${hhmm(p.hour, p.minute)} ${WEEKDAY_NAMES[p.weekday]} ${formatDate({ year: p.year, month: p.month, day: p.day })}`;
}

/** "202412200800": an occurrence in job keys. */
export function minuteKey(date: Date, tz: string): string {
  const p = zonedParts(date, tz);
  return `${dateKey(p)}${String(p.hour).padStart(2, "0")}${String(p.minute).padStart(2, "0")}`;
}
