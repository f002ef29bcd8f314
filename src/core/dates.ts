// Civil dates (a calendar day without a time) in the configured time zone, and the instants they map to:
// shared by plan tasks (deadlines), reminders and reports.
import { zonedDate, zonedParts } from "./time.ts";

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

/** Roman numerals of the quarters (index 1–4), as Vietnamese documents write them: "Quý IV/2024". */
export const QUARTER_NUMERALS = ["", "I", "II", "III", "IV"] as const;
