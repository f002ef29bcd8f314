// Wall-clock arithmetic in a named time zone (Asia/Ho_Chi_Minh by default) without a date library.

export interface ZonedParts {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      weekday: "short",
    });
    formatters.set(tz, f);
  }
  return f;
}

const weekdays: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function zonedParts(date: Date, tz: string): ZonedParts {
  const parts = Object.fromEntries(formatter(tz).formatToParts(date).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: weekdays[parts.weekday!] ?? 0,
  };
}

/** The instant at which the wall clock in `tz` shows the given date and time. */
export function zonedDate(tz: string, year: number, month: number, day: number, hour = 0, minute = 0): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes settle the offset, also across a daylight-saving change.
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(new Date(guess), tz);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wanted - shown;
  }
  return new Date(guess);
}

export interface WorkingSchedule {
  /** Working weekdays, 0 = Sunday. */
  days: number[];
  /** Working periods of a day, minutes since midnight: [[450, 690], [810, 1020]] = 7:30–11:30, 13:30–17:00. */
  periods: Array<[number, number]>;
}

/** "07:30-11:30,13:30-17:00" → periods in minutes. */
export function parsePeriods(text: string): Array<[number, number]> {
  return text.split(",").map((range) => {
    const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(range);
    if (!m) throw new Error(`bad working period "${range}" (expected HH:MM-HH:MM)`);
    const from = Number(m[1]) * 60 + Number(m[2]);
    const to = Number(m[3]) * 60 + Number(m[4]);
    if (!(from < to && to <= 1440)) throw new Error(`bad working period "${range}"`);
    return [from, to];
  });
}

/** The instant `minutes` of working time after `start` (work time only counts inside the schedule). */
export function addWorkingMinutes(start: Date, minutes: number, tz: string, schedule: WorkingSchedule): Date {
  let remaining = minutes;
  const first = zonedParts(start, tz);
  const startMinute = first.hour * 60 + first.minute;
  for (let dayOffset = 0; dayOffset < 366; dayOffset++) {
    const noon = zonedDate(tz, first.year, first.month, first.day + dayOffset, 12);
    const day = zonedParts(noon, tz);
    if (!schedule.days.includes(day.weekday)) continue;
    for (const [from, to] of schedule.periods) {
      const begin = dayOffset === 0 ? Math.max(from, startMinute) : from;
      if (begin >= to) continue;
      const available = to - begin;
      if (remaining <= available) {
        return zonedDate(tz, day.year, day.month, day.day, 0, begin + remaining);
      }
      remaining -= available;
    }
  }
  throw new Error("working schedule has no working time within a year");
}

/** Working minutes between two instants (0 when `end` is not after `start`): how long a question has waited. */
export function workingMinutesBetween(start: Date, end: Date, tz: string, schedule: WorkingSchedule): number {
  if (end <= start) return 0;
  const first = zonedParts(start, tz);
  let total = 0;
  for (let dayOffset = 0; dayOffset < 366; dayOffset++) {
    const day = zonedParts(zonedDate(tz, first.year, first.month, first.day + dayOffset, 12), tz);
    const dayStart = zonedDate(tz, day.year, day.month, day.day, 0, 0);
    if (dayStart >= end) break;
    if (!schedule.days.includes(day.weekday)) continue;
    for (const [from, to] of schedule.periods) {
      const a = Math.max(zonedDate(tz, day.year, day.month, day.day, 0, from).getTime(), start.getTime());
      const b = Math.min(zonedDate(tz, day.year, day.month, day.day, 0, to).getTime(), end.getTime());
      if (b > a) total += (b - a) / 60_000;
    }
  }
  return Math.floor(total);
}
