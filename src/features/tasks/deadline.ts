// Task deadlines as plans write them: "31/12/2022", "Tháng 12/2022", "Quý I/2023", "Thường xuyên" (with a
// review cadence, as a cron pattern for BullMQ Job Schedulers).
import { daysInMonth, formatDate, QUARTER_NUMERALS, validDate, type CivilDate } from "../../core/dates.ts";
import { foldDiacritics } from "../../core/text.ts";

export type DeadlineKind = "DATE" | "MONTH" | "QUARTER" | "RECURRING";

export interface Deadline {
  kind: DeadlineKind;
  /** Last day of the deadline; null for RECURRING. */
  dueDate: CivilDate | null;
  /** For RECURRING: the review cadence as a cron pattern. */
  cadence: string | null;
}

const ROMAN: Record<string, number> = { i: 1, ii: 2, iii: 3, iv: 4 };

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
  if (d.kind === "QUARTER") return `Quý ${QUARTER_NUMERALS[Math.ceil(d.dueDate.month / 3)]}/${d.dueDate.year} (đến ${formatDate(d.dueDate)})`;
  return formatDate(d.dueDate);
}
