// Reporting periods: a month "2024-03", a quarter "2024-Q1", a year "2024", or "as of" a date "2024-03-15".
// Each has a canonical key (what is stored) and an end date (what orders periods and dates figures).

export type PeriodKind = "MONTH" | "QUARTER" | "YEAR" | "ASOF";

export interface Period {
  kind: PeriodKind;
  /** Canonical key: "2024-03", "2024-Q1", "2024", "2024-03-15". */
  key: string;
  /** Last day of the period (UTC midnight), the "as of" date itself for ASOF. */
  end: Date;
}

const pad = (n: number) => String(n).padStart(2, "0");

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validYear(year: number): boolean {
  return year >= 2000 && year <= 2100;
}

/**
 * Accepts the canonical forms and a few that people type: "03/2024", "T3/2024", "Q1/2024",
 * "quý 1/2024", "15/03/2024". Returns null for anything else (including impossible dates).
 */
export function parsePeriod(raw: string | number | null | undefined): Period | null {
  const text = String(raw ?? "")
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "")
    .replace(/^quý|^quy/, "q")
    .replace(/^tháng|^thang/, "t");
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})-(\d{2})$/.exec(text)) || (m = /^t?(\d{1,2})[/-](\d{4})$/.exec(text))) {
    const [year, month] = m[1]!.length === 4 ? [Number(m[1]), Number(m[2])] : [Number(m[2]), Number(m[1])];
    if (!validYear(year) || month < 1 || month > 12) return null;
    return { kind: "MONTH", key: `${year}-${pad(month)}`, end: new Date(Date.UTC(year, month - 1, lastDayOfMonth(year, month))) };
  }
  if ((m = /^(\d{4})-?q([1-4])$/.exec(text)) || (m = /^q([1-4])[/-](\d{4})$/.exec(text))) {
    const [year, quarter] = m[1]!.length === 4 ? [Number(m[1]), Number(m[2])] : [Number(m[2]), Number(m[1])];
    if (!validYear(year)) return null;
    const month = quarter * 3;
    return { kind: "QUARTER", key: `${year}-Q${quarter}`, end: new Date(Date.UTC(year, month - 1, lastDayOfMonth(year, month))) };
  }
  if ((m = /^(\d{4})$/.exec(text))) {
    const year = Number(m[1]);
    if (!validYear(year)) return null;
    return { kind: "YEAR", key: String(year), end: new Date(Date.UTC(year, 11, 31)) };
  }
  if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)) || (m = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(text))) {
    const [year, month, day] = m[1]!.length === 4 ? [Number(m[1]), Number(m[2]), Number(m[3])] : [Number(m[3]), Number(m[2]), Number(m[1])];
    if (!validYear(year) || month < 1 || month > 12 || day < 1 || day > lastDayOfMonth(year, month)) return null;
    return { kind: "ASOF", key: `${year}-${pad(month)}-${pad(day)}`, end: new Date(Date.UTC(year, month - 1, day)) };
  }
  return null;
}

/** First day of a period (UTC midnight); an "as of" date is its own start. */
export function periodStart(period: Pick<Period, "kind" | "key" | "end">): Date {
  const year = Number(period.key.slice(0, 4));
  switch (period.kind) {
    case "MONTH":
      return new Date(Date.UTC(year, Number(period.key.slice(5, 7)) - 1, 1));
    case "QUARTER":
      return new Date(Date.UTC(year, (Number(period.key.slice(6)) - 1) * 3, 1));
    case "YEAR":
      return new Date(Date.UTC(year, 0, 1));
    default:
      return period.end;
  }
}

export function formatDate(date: Date): string {
  return `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${date.getUTCFullYear()}`;
}

/** "tháng 3/2024", "quý 1/2024", "năm 2024", "đến 15/03/2024". */
export function periodLabel(kind: PeriodKind, key: string, end: Date): string {
  switch (kind) {
    case "MONTH":
      return `tháng ${Number(key.slice(5, 7))}/${key.slice(0, 4)}`;
    case "QUARTER":
      return `quý ${key.slice(6)}/${key.slice(0, 4)}`;
    case "YEAR":
      return `năm ${key}`;
    default:
      return `đến ${formatDate(end)}`;
  }
}

/** How long after its end a period's figure is still current. */
const freshDays: Record<PeriodKind, number> = { MONTH: 45, QUARTER: 75, YEAR: 120, ASOF: 45 };

/** A figure is stale when its period ended longer ago than its kind allows. */
export function isStale(kind: PeriodKind, end: Date, now: Date): boolean {
  return now.getTime() - end.getTime() > freshDays[kind] * 86_400_000;
}
