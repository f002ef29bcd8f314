// Pure schedule computations for plan tasks and reminders, all in the configured time zone
// (Asia/Ho_Chi_Minh): civil dates, task deadlines ("31/12/2022", "Tháng 12/2022", "Quý I/2023",
// "Thường xuyên"), reminder offsets, quiet hours, report days and recurring rules (as cron patterns for
// BullMQ Job Schedulers, with month ends handled: "ngày 31 hằng tháng" is the last day of a short month).
import { zonedDate, zonedParts } from "../../core/time.ts";
import { foldDiacritics } from "../../core/text.ts";

/** A calendar date without a time (month 1–12). */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function validDate(d: CivilDate): boolean {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= daysInMonth(d.year, d.month) && d.year >= 1900 && d.year <= 9999;
}

export function addDays(d: CivilDate, days: number): CivilDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: CivilDate, b: CivilDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

export function compareDates(a: CivilDate, b: CivilDate): number {
  return daysBetween(b, a);
}

export function today(now: Date, tz: string): CivilDate {
  const p = zonedParts(now, tz);
  return { year: p.year, month: p.month, day: p.day };
}

/** "20221231": used in deterministic job keys. */
export function dateKey(d: CivilDate): string {
  return `${d.year}${String(d.month).padStart(2, "0")}${String(d.day).padStart(2, "0")}`;
}

export function formatDate(d: CivilDate): string {
  return `${String(d.day).padStart(2, "0")}/${String(d.month).padStart(2, "0")}/${d.year}`;
}

/** A @db.Date column comes back as midnight UTC of that date. */
export function fromDbDate(date: Date): CivilDate {
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

export function toDbDate(d: CivilDate): Date {
  return new Date(Date.UTC(d.year, d.month - 1, d.day));
}

/** "08:00" → minutes since midnight. */
export function clockMinutes(clock: string): number {
  const [h, m] = clock.split(":").map(Number);
  return h! * 60 + m!;
}

export function at(tz: string, d: CivilDate, minutes: number): Date {
  return zonedDate(tz, d.year, d.month, d.day, Math.floor(minutes / 60), minutes % 60);
}

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

// ───────────── task deadlines ─────────────

export type DeadlineKind = "DATE" | "MONTH" | "QUARTER" | "RECURRING";

export interface Deadline {
  kind: DeadlineKind;
  /** Last day of the deadline; null for RECURRING. */
  dueDate: CivilDate | null;
  /** For RECURRING: the review cadence as a cron pattern. */
  cadence: string | null;
}

const ROMAN: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4 };
const ROMAN_OUT = ["", "I", "II", "III", "IV"];

export const cadences: Record<string, { cron: string; label: string }> = {
  weekly: { cron: "0 8 * * 1", label: "hằng tuần" },
  monthly: { cron: "0 8 1 * *", label: "hằng tháng" },
  quarterly: { cron: "0 8 1 1,4,7,10 *", label: "hằng quý" },
  yearly: { cron: "0 8 2 1 *", label: "hằng năm" },
};

const cadenceWords: Record<string, keyof typeof cadences> = {
  tuan: "weekly", "hang tuan": "weekly", "moi tuan": "weekly", weekly: "weekly",
  thang: "monthly", "hang thang": "monthly", "moi thang": "monthly", monthly: "monthly",
  quy: "quarterly", "hang quy": "quarterly", "moi quy": "quarterly", quarterly: "quarterly",
  nam: "yearly", "hang nam": "yearly", "moi nam": "yearly", yearly: "yearly",
};

const CRON = /^(\S+\s+){4}\S+$/;

/** "hằng tháng" → "0 8 1 * *"; a 5-field cron pattern is kept; empty → monthly. Undefined when unknown. */
export function parseCadence(text: string | undefined): string | undefined {
  const t = foldDiacritics(text ?? "").replace(/\s+/g, " ").trim();
  if (!t) return cadences.monthly!.cron;
  const word = cadenceWords[t];
  if (word) return cadences[word]!.cron;
  if (CRON.test(t) && /^[\d*,/\-LW\s]+$/i.test(t)) return t.toUpperCase().replace(/\s+/g, " ");
  return undefined;
}

export function describeCadence(cron: string | null): string {
  const known = Object.values(cadences).find((c) => c.cron === cron);
  return known ? known.label : cron ? `theo lịch ${cron}` : "";
}

/**
 * Parses a task deadline as written in plans: "31/12/2022", "2022-12-31", "12/2022", "Tháng 12/2022",
 * "Quý I/2023", "Q1/2023", "Quý 1 năm 2023", "Năm 2023", "Thường xuyên". Returns an error message
 * (Vietnamese) when it cannot.
 */
export function parseDeadline(text: string, cadenceText?: string): Deadline | { error: string } {
  const raw = text.trim();
  const t = foldDiacritics(raw).replace(/\s+/g, " ").trim();
  if (!t) return { error: "thiếu hạn (ví dụ 31/12/2022, Tháng 12/2022, Quý I/2023, Thường xuyên)" };
  if (/^(thuong xuyen|hang ngay|lien tuc|recurring)$/.test(t)) {
    const cadence = parseCadence(cadenceText);
    if (!cadence) return { error: `chu kỳ "${cadenceText}" không hợp lệ (hằng tuần, hằng tháng, hằng quý, hằng năm hoặc biểu thức cron)` };
    return { kind: "RECURRING", dueDate: null, cadence };
  }
  let m: RegExpExecArray | null;
  const year = (y: string) => (y.length === 2 ? 2000 + Number(y) : Number(y));
  if ((m = /^(?:ngay )?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$/.exec(t))) {
    const d = { year: year(m[3]!), month: Number(m[2]), day: Number(m[1]) };
    return validDate(d) ? { kind: "DATE", dueDate: d, cadence: null } : { error: `ngày "${raw}" không có thật` };
  }
  if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) {
    const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
    return validDate(d) ? { kind: "DATE", dueDate: d, cadence: null } : { error: `ngày "${raw}" không có thật` };
  }
  if ((m = /^(?:thang |t)?(\d{1,2})(?:[/.-]| nam )(\d{4})$/.exec(t))) {
    const month = Number(m[1]);
    const y = Number(m[2]);
    if (month < 1 || month > 12) return { error: `tháng "${raw}" không hợp lệ` };
    return { kind: "MONTH", dueDate: { year: y, month, day: daysInMonth(y, month) }, cadence: null };
  }
  if ((m = /^(?:quy|q) ?(iv|iii|ii|i|[1-4])(?:[/.-]| nam |\s)(\d{4})$/.exec(t))) {
    const q = ROMAN[m[1]!] ?? Number(m[1]);
    const y = Number(m[2]);
    return { kind: "QUARTER", dueDate: { year: y, month: q * 3, day: daysInMonth(y, q * 3) }, cadence: null };
  }
  if ((m = /^(?:nam )(\d{4})$/.exec(t))) {
    return { kind: "DATE", dueDate: { year: Number(m[1]), month: 12, day: 31 }, cadence: null };
  }
  return { error: `không hiểu hạn "${raw}" (dùng 31/12/2022, 12/2022, Tháng 12/2022, Quý I/2023, Q1/2023 hoặc Thường xuyên)` };
}

export function describeDeadline(d: { kind: DeadlineKind; dueDate: CivilDate | null; cadence: string | null }): string {
  if (d.kind === "RECURRING" || !d.dueDate) return `Thường xuyên${d.cadence ? ` (rà soát ${describeCadence(d.cadence)})` : ""}`;
  if (d.kind === "MONTH") return `Tháng ${d.dueDate.month}/${d.dueDate.year} (đến ${formatDate(d.dueDate)})`;
  if (d.kind === "QUARTER") return `Quý ${ROMAN_OUT[Math.ceil(d.dueDate.month / 3)]}/${d.dueDate.year} (đến ${formatDate(d.dueDate)})`;
  return formatDate(d.dueDate);
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
    periods.push({ kind: "QUARTER", period: `${date.year}-Q${q}`, label: `quý ${ROMAN_OUT[q]}/${date.year}` });
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
