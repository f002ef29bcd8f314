// The one time syntax of /thongbao hen: day/month[/year] hour:minute, in either order, wall-clock time in
// the configured zone (Asia/Ho_Chi_Minh). "20/12 08:00", "08:00 20/12", "20/12/2026 8:00", "20/12 8h30".
// Day before month, always (Vietnamese order); without a year, the next such moment.
import { zonedDate, zonedParts } from "../../core/time.ts";

export const MAX_SCHEDULE_DAYS = 60;

export type ScheduleParse =
  | { ok: true; at: Date }
  | { ok: false; reason: "invalid" | "past" | "too_far" };

const DATE = String.raw`(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?`;
const TIME = String.raw`(\d{1,2})\s*(?::|h|g)\s*(\d{2})?`;
const dateFirst = new RegExp(String.raw`^${DATE}\s+(?:lúc\s+)?${TIME}$`, "iu");
const timeFirst = new RegExp(String.raw`^${TIME}\s+(?:ngày\s+)?${DATE}$`, "iu");

export function parseScheduleTime(input: string, tz: string, now = new Date()): ScheduleParse {
  const text = input.trim().replace(/\s+/g, " ");
  let day: number, month: number, year: number | undefined, hour: number, minute: number;
  let m = dateFirst.exec(text);
  if (m) {
    [day, month, year, hour, minute] = [Number(m[1]), Number(m[2]), m[3] ? Number(m[3]) : undefined, Number(m[4]), Number(m[5] ?? 0)];
  } else if ((m = timeFirst.exec(text))) {
    [hour, minute, day, month, year] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3]), Number(m[4]), m[5] ? Number(m[5]) : undefined];
  } else {
    return { ok: false, reason: "invalid" };
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return { ok: false, reason: "invalid" };
  const build = (y: number): Date | null => {
    const at = zonedDate(tz, y, month, day, hour, minute);
    const back = zonedParts(at, tz);
    // 31/02 would roll over into March: refuse it rather than guess.
    return back.day === day && back.month === month ? at : null;
  };
  let at: Date | null;
  if (year !== undefined) {
    at = build(year);
  } else {
    const thisYear = zonedParts(now, tz).year;
    at = build(thisYear);
    if (at && at.getTime() <= now.getTime() && now.getTime() - at.getTime() > 86_400_000) at = build(thisYear + 1);
  }
  if (!at) return { ok: false, reason: "invalid" };
  if (at.getTime() <= now.getTime() + 30_000) return { ok: false, reason: "past" };
  if (at.getTime() - now.getTime() > MAX_SCHEDULE_DAYS * 86_400_000) return { ok: false, reason: "too_far" };
  return { ok: true, at };
}

/** "1 giờ 20 phút", "5 phút", "dưới 1 phút". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return "dưới 1 phút";
  const minutes = Math.round(total / 60);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${minutes} phút`;
  return rest ? `${hours} giờ ${rest} phút` : `${hours} giờ`;
}

// Made with the first count: building a locale's formatter reads ICU data (tens of ms), on import it was
// paid by every process that loads the broadcast commands, `npm run ask` included.
let numberFormat: Intl.NumberFormat | undefined;
/** 12345 → "12.345". */
export function formatCount(n: number): string {
  numberFormat ??= new Intl.NumberFormat("vi-VN");
  return numberFormat.format(n);
}
