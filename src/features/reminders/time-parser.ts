// Vietnamese time expressions for /nhac, with or without diacritics:
//   "8h sáng mai", "sáng mai 8 giờ", "14h30 chiều nay", "tối nay 8 giờ", "20/12 14:00", "ngày 20/12/2025 9h",
//   "thứ 2 tuần sau 7h30", "thứ 2 hằng tuần 7h30", "mỗi thứ 6 16h", "ngày 25 hằng tháng", "7h hằng ngày",
//   "sau 30 phút", "2 tiếng nữa", "1 tiếng rưỡi nữa", "nửa tiếng nữa", "3 ngày nữa".
// The expression comes first ("8h sáng mai họp giao ban") or last ("họp giao ban lúc 8h sáng mai").
// A time that is ambiguous ("3h": 03:00 or 15:00? "sau 2 giờ": in two hours or after 14:00?), impossible
// ("31/2") or already past gets a question back, never a guess. A date without a time means 08:00.
import { zonedParts } from "../../core/time.ts";
import {
  addDays,
  at,
  compareDates,
  daysInMonth,
  describeRule,
  formatDateTime,
  hhmm,
  nextOccurrence,
  today,
  validDate,
  type CivilDate,
  type RecurrenceRule,
} from "./schedule.ts";

export const DEFAULT_TIME = { hour: 8, minute: 0 };

export type WhenResult =
  | { ok: true; kind: "once"; at: Date; what: string; description: string; defaultTime: boolean }
  | { ok: true; kind: "recurring"; rule: RecurrenceRule; first: Date; what: string; description: string; defaultTime: boolean }
  | { ok: false; reason: "none" | "invalid" | "ambiguous" | "past"; question: string };

type Period = "sang" | "trua" | "chieu" | "toi" | "dem";

interface Parts {
  relMs?: number;
  relAmbiguous?: number;
  dayOffset?: number;
  date?: { day: number; month?: number; year?: number };
  weekdays?: number[];
  weekRel?: "this" | "next";
  period?: Period;
  clock?: { h: number; m: number };
  recurring?: "daily" | "weekly" | "monthly";
  conflict?: string;
}

/** Folds each character on its own so positions in the folded text match the original. */
function foldSameLength(text: string): string {
  let out = "";
  for (const c of text) {
    const lower = c.toLowerCase();
    const f = lower === "đ" ? "d" : lower.normalize("NFD").replace(/\p{M}+/gu, "");
    out += f.length === c.length ? f : c.length === 1 ? "?" : c;
  }
  return out;
}

const NUMBER_WORDS: Record<string, number> = { mot: 1, hai: 2, ba: 3, bon: 4, nam: 5, sau: 6, bay: 7, tam: 8, chin: 9, muoi: 10, nua: 0.5 };
const UNIT_MS: Record<string, number> = { phut: 60_000, p: 60_000, tieng: 3_600_000, gio: 3_600_000, h: 3_600_000, ngay: 86_400_000, tuan: 7 * 86_400_000 };
const WEEKDAY_WORDS: Record<string, number> = {
  "2": 1, hai: 1, "3": 2, ba: 2, "4": 3, tu: 3, "5": 4, nam: 4, "6": 5, sau: 5, "7": 6, bay: 6,
};
const WD = "(?:thu\\s*(?:2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|chu\\s*nhat|cn|t[2-7])";

function weekdayOf(token: string): number {
  const t = token.replace(/\s+/g, " ").trim();
  if (/^(chu ?nhat|cn)$/.test(t)) return 0;
  const m = /^(?:thu ?|t)(.+)$/.exec(t);
  return WEEKDAY_WORDS[m?.[1]?.trim() ?? ""] ?? -1;
}

function set<K extends keyof Parts>(parts: Parts, key: K, value: Parts[K]): void {
  if (parts[key] !== undefined && JSON.stringify(parts[key]) !== JSON.stringify(value)) parts.conflict = String(key);
  parts[key] = value;
}

interface Rule {
  re: RegExp;
  apply(m: RegExpExecArray, parts: Parts): void;
}

const END = "(?![a-z0-9])";
const rules: Rule[] = [
  {
    // "sau 30 phút", "2 tiếng nữa", "1 tiếng rưỡi nữa", "nửa tiếng nữa", "sau 2 giờ" (ambiguous)
    re: new RegExp(`(sau\\s+(?:khoang\\s+)?)?(\\d+|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|nua)\\s*(phut|p|tieng|gio|h|ngay|tuan)${END}(\\s+ruoi)?(\\s+nua)?${END}`, "y"),
    apply(m, parts) {
      const after = Boolean(m[1]);
      const more = Boolean(m[5]);
      if (!after && !more) throw new NoMatch();
      const n = /^\d+$/.test(m[2]!) ? Number(m[2]) : NUMBER_WORDS[m[2]!]!;
      const ms = (n + (m[4] ? 0.5 : 0)) * UNIT_MS[m[3]!]!;
      if (after && !more && (m[3] === "gio" || m[3] === "h") && n >= 1 && n <= 23) set(parts, "relAmbiguous", n);
      set(parts, "relMs", ms);
    },
  },
  {
    // "hằng ngày", "hàng tuần", "mỗi tháng"
    re: new RegExp(`(?:hang|moi)\\s+(ngay|tuan|thang)${END}`, "y"),
    apply(m, parts) {
      set(parts, "recurring", m[1] === "ngay" ? "daily" : m[1] === "tuan" ? "weekly" : "monthly");
    },
  },
  {
    // "mỗi thứ 2", "thứ 2, thứ 4", "thứ 6 tuần sau", "chủ nhật này"
    re: new RegExp(`(?:vao\\s+)?(?:(moi|hang|cac)\\s+)?(${WD}(?:\\s*(?:,|va)\\s*${WD})*)(?:\\s+(tuan\\s+sau|tuan\\s+toi|tuan\\s+nay|nay|toi))?${END}`, "y"),
    apply(m, parts) {
      const days = m[2]!.split(/\s*(?:,|\bva\b)\s*/).map(weekdayOf);
      if (days.some((d) => d < 0)) throw new NoMatch();
      set(parts, "weekdays", [...new Set(days)]);
      if (m[1]) set(parts, "recurring", "weekly");
      if (m[3]) set(parts, "weekRel", /sau|toi/.test(m[3]) ? "next" : "this");
    },
  },
  {
    // "20/12", "20-12-2025", "ngày 20/12/25"
    re: new RegExp(`(?:vao\\s+)?(?:ngay\\s+)?(\\d{1,2})[/-](\\d{1,2})(?:[/-](\\d{4}|\\d{2}))?${END}`, "y"),
    apply(m, parts) {
      const year = m[3] ? (m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3])) : undefined;
      set(parts, "date", { day: Number(m[1]), month: Number(m[2]), ...(year ? { year } : {}) });
    },
  },
  {
    // "ngày 20 tháng 12 (năm 2025)", "ngày 25" (with "hằng tháng": monthly)
    re: new RegExp(`(?:vao\\s+)?(?:(?:moi|hang)\\s+)?ngay\\s+(\\d{1,2})(?:\\s+thang\\s+(\\d{1,2})(?:\\s+nam\\s+(\\d{4}))?)?${END}`, "y"),
    apply(m, parts) {
      set(parts, "date", { day: Number(m[1]), ...(m[2] ? { month: Number(m[2]) } : {}), ...(m[3] ? { year: Number(m[3]) } : {}) });
    },
  },
  {
    // "sáng mai", "chiều nay", "tối nay", "đêm nay", "trưa"
    re: new RegExp(`(?:vao\\s+)?(?:buoi\\s+)?(sang|trua|chieu|toi|dem|khuya)(?:\\s+(hom\\s+nay|nay|ngay\\s+mai|mai|ngay\\s+kia|kia|ngay\\s+mot|mot))?${END}`, "y"),
    apply(m, parts) {
      set(parts, "period", m[1] === "khuya" ? "dem" : (m[1] as Period));
      if (m[2]) set(parts, "dayOffset", /nay/.test(m[2]) ? 0 : /mai/.test(m[2]) ? 1 : 2);
    },
  },
  {
    // "hôm nay", "mai", "ngày mai", "ngày kia", "mốt"
    re: new RegExp(`(?:vao\\s+)?(hom\\s+nay|bua\\s+nay|ngay\\s+mai|mai|ngay\\s+kia|ngay\\s+mot|mot)${END}`, "y"),
    apply(m, parts) {
      set(parts, "dayOffset", /nay/.test(m[1]!) ? 0 : /mai/.test(m[1]!) ? 1 : 2);
    },
  },
  {
    // "8h", "8h30", "8 giờ 30 (phút)", "8g30", "14:00", "8 giờ rưỡi", "lúc 7h30"
    re: new RegExp(`(?:(?:vao\\s+)?luc\\s+|vao\\s+)?(\\d{1,2})\\s*(?:(?:h|g|gio)(?:\\s*(\\d{1,2})\\s*(?:phut|p)?)?|:(\\d{2}))${END}(\\s+ruoi${END})?`, "y"),
    apply(m, parts) {
      const minute = m[2] ?? m[3];
      set(parts, "clock", { h: Number(m[1]), m: m[4] ? 30 : minute ? Number(minute) : 0 });
    },
  },
];

class NoMatch extends Error {}

/** Consumes time words from `start`; returns where they end and what they say. */
function scan(folded: string, start: number): { end: number; parts: Parts; matched: number } {
  const parts: Parts = {};
  let pos = start;
  let end = start;
  let matched = 0;
  for (;;) {
    while (pos < folded.length && /[\s,;]/.test(folded[pos]!)) pos++;
    let advanced = false;
    for (const rule of rules) {
      rule.re.lastIndex = pos;
      const m = rule.re.exec(folded);
      if (!m || m[0].length === 0) continue;
      try {
        rule.apply(m, parts);
      } catch (error) {
        if (error instanceof NoMatch) continue;
        throw error;
      }
      pos += m[0].length;
      end = pos;
      matched++;
      advanced = true;
      break;
    }
    if (!advanced) break;
  }
  return { end, parts, matched };
}

function cleanWhat(text: string): string {
  return text.replace(/^[\s,:;.\-–—]+|[\s,:;\-–—]+$/g, "").replace(/\s+(lúc|luc|vào|vao)$/i, "").trim();
}

const PERIOD_NAMES: Record<Period, string> = { sang: "sáng", trua: "trưa", chieu: "chiều", toi: "tối", dem: "đêm" };

/** Hour of day from a clock and a part of the day, or a question. */
function resolveHour(clock: { h: number; m: number }, period: Period | undefined): { hour: number; nextDay?: boolean } | { question: string; reason: "ambiguous" | "invalid" } {
  const { h, m } = clock;
  if (h > 23 || m > 59) return { reason: "invalid", question: `"${h} giờ ${m} phút" không phải giờ hợp lệ. Bạn gõ lại giờ, ví dụ 8h30 hoặc 14:00.` };
  const bad = (): { question: string; reason: "invalid" } => ({
    reason: "invalid",
    question: `"${h} giờ ${PERIOD_NAMES[period!]}" không khớp nhau. Bạn gõ lại giờ theo kiểu 24 giờ, ví dụ 8h hoặc 20h.`,
  });
  switch (period) {
    case undefined:
      if (h >= 1 && h <= 5) {
        return { reason: "ambiguous", question: `Bạn muốn nhắc lúc ${hhmm(h, m)} sáng hay ${hhmm(h + 12, m)} chiều? Gõ lại kèm "sáng" hoặc "chiều", ví dụ "${h}h chiều".` };
      }
      return { hour: h };
    case "sang":
      return h <= 11 ? { hour: h } : bad();
    case "trua":
      return h >= 11 && h <= 14 ? { hour: h } : h >= 1 && h <= 2 ? { hour: h + 12 } : bad();
    case "chieu":
      return h >= 12 && h <= 19 ? { hour: h } : h >= 1 && h <= 7 ? { hour: h + 12 } : bad();
    case "toi":
      if (h === 12 || h === 0) return { reason: "ambiguous", question: "12 giờ tối là nửa đêm (00:00 ngày hôm sau)? Bạn gõ rõ hơn, ví dụ 23h59 hoặc 0h sáng mai." };
      return h >= 18 && h <= 23 ? { hour: h } : h >= 5 && h <= 11 ? { hour: h + 12 } : bad();
    case "dem":
      if (h >= 21 && h <= 23) return { hour: h };
      if (h >= 9 && h <= 11) return { hour: h + 12 };
      if (h <= 4) return { hour: h, nextDay: true };
      return bad();
  }
}

/**
 * Parses "<khi nào> <việc gì>" (or "<việc gì> lúc <khi nào>") against `now` in `tz`.
 */
export function parseReminder(input: string, now: Date, tz: string): WhenResult {
  const text = input.normalize("NFC").trim();
  const folded = foldSameLength(text);
  let found = scan(folded, 0);
  let what = "";
  if (found.matched > 0) {
    what = cleanWhat(text.slice(found.end));
  } else {
    // The time at the end: the leftmost word start from which everything to the end is a time.
    found = { end: 0, parts: {}, matched: 0 };
    const starts = [...folded.matchAll(/(?:^|\s)(\S)/g)].map((m) => m.index! + m[0].length - 1);
    for (const i of starts) {
      if (i === 0) continue;
      const s = scan(folded, i);
      if (s.matched > 0 && folded.slice(s.end).trim().replace(/[.!?]+$/, "") === "") {
        found = s;
        what = cleanWhat(text.slice(0, i));
        break;
      }
    }
  }
  if (found.matched === 0) {
    return {
      ok: false,
      reason: "none",
      question: 'Tôi chưa hiểu thời gian. Bạn thử: "/nhac 8h sáng mai họp giao ban", "/nhac 20/12 14:00 gửi báo cáo", "/nhac sau 30 phút gọi lại".',
    };
  }
  const p = found.parts;
  const result = resolve(p, now, tz);
  if (!result.ok) return result;
  return { ...result, what };
}

type Resolved =
  | { ok: true; kind: "once"; at: Date; description: string; defaultTime: boolean }
  | { ok: true; kind: "recurring"; rule: RecurrenceRule; first: Date; description: string; defaultTime: boolean }
  | { ok: false; reason: "invalid" | "ambiguous" | "past"; question: string };

function resolve(p: Parts, now: Date, tz: string): Resolved {
  const invalid = (question: string): Resolved => ({ ok: false, reason: "invalid", question });
  const ambiguous = (question: string): Resolved => ({ ok: false, reason: "ambiguous", question });
  if (p.conflict) return invalid("Thời gian có hai giá trị khác nhau (ví dụ hai ngày hoặc hai giờ). Bạn gõ lại một thời điểm thôi.");

  if (p.relMs !== undefined || p.relAmbiguous !== undefined) {
    if (p.clock || p.date || p.weekdays || p.dayOffset !== undefined || p.period || p.recurring) {
      return invalid('Bạn dùng hoặc "sau 30 phút" / "2 tiếng nữa", hoặc một giờ cụ thể như "8h sáng mai", không dùng cả hai.');
    }
    if (p.relAmbiguous !== undefined) {
      const n = p.relAmbiguous;
      return ambiguous(`"Sau ${n} giờ" là ${n} tiếng nữa hay sau ${n < 12 ? n + 12 : n}:00? Bạn gõ "${n} tiếng nữa" hoặc "${n < 12 ? n + 12 : n}h".`);
    }
    if (p.relMs! < 60_000) return invalid("Thời gian quá ngắn. Bạn đặt ít nhất 1 phút.");
    if (p.relMs! > 366 * 86_400_000) return invalid("Tôi chỉ nhắc trong vòng một năm tới.");
    const when = new Date(Math.ceil((now.getTime() + p.relMs!) / 1000) * 1000);
    return { ok: true, kind: "once", at: when, description: formatDateTime(when, tz), defaultTime: false };
  }

  // Time of day.
  let hour = DEFAULT_TIME.hour;
  let minute = DEFAULT_TIME.minute;
  let nextDay = false;
  let defaultTime = true;
  if (p.clock) {
    const r = resolveHour(p.clock, p.period);
    if ("question" in r) return { ok: false, reason: r.reason, question: r.question };
    hour = r.hour;
    minute = p.clock.m;
    nextDay = Boolean(r.nextDay);
    defaultTime = false;
  } else if (p.period) {
    return ambiguous(`Mấy giờ ${PERIOD_NAMES[p.period]}? Bạn gõ kèm giờ, ví dụ "8h ${PERIOD_NAMES[p.period]} mai".`);
  }

  if (p.recurring) {
    let rule: RecurrenceRule;
    if (p.recurring === "daily") {
      if (p.weekdays || p.date || p.dayOffset !== undefined) return invalid('"Hằng ngày" không đi cùng một ngày cụ thể. Ví dụ: "7h hằng ngày".');
      rule = { freq: "daily", hour, minute };
    } else if (p.recurring === "weekly") {
      if (!p.weekdays) return ambiguous('Nhắc vào thứ mấy hằng tuần? Ví dụ: "thứ 2 hằng tuần 7h30".');
      if (p.date || p.dayOffset !== undefined || p.weekRel) return invalid('Nhắc hằng tuần chỉ cần thứ và giờ, ví dụ "thứ 2 hằng tuần 7h30".');
      rule = { freq: "weekly", weekdays: p.weekdays, hour, minute };
    } else {
      if (!p.date) return ambiguous('Nhắc vào ngày mấy hằng tháng? Ví dụ: "ngày 25 hằng tháng 8h".');
      if (p.date.month !== undefined || p.weekdays || p.dayOffset !== undefined) {
        return invalid('Nhắc hằng tháng chỉ cần ngày trong tháng, ví dụ "ngày 25 hằng tháng".');
      }
      if (p.date.day < 1 || p.date.day > 31) return invalid(`Không có ngày ${p.date.day} trong tháng.`);
      rule = { freq: "monthly", day: p.date.day, hour, minute };
    }
    if (nextDay) return invalid('Nhắc định kỳ lúc nửa đêm: bạn gõ giờ kiểu 24 giờ, ví dụ "0h30 hằng ngày".');
    const first = nextOccurrence(rule, now, tz);
    return { ok: true, kind: "recurring", rule, first, description: describeRule(rule), defaultTime };
  }

  // One-off: which day?
  const nowDay = today(now, tz);
  const sources = [p.date, p.weekdays, p.dayOffset].filter((v) => v !== undefined).length;
  if (sources > 1) return invalid("Bạn ghi cả ngày tháng lẫn thứ hoặc hôm nay/mai. Bạn gõ lại một ngày thôi.");
  let day: CivilDate;
  let pastHint: string | undefined;
  if (p.date) {
    const { day: d } = p.date;
    const month = p.date.month ?? nowDay.month;
    const year = p.date.year ?? nowDay.year;
    day = { year, month, day: d };
    if (!validDate(day)) {
      return invalid(
        p.date.month === undefined
          ? `Tháng này không có ngày ${d}.`
          : `Ngày ${d}/${month}${p.date.year ? `/${year}` : ""} không có thật (tháng ${month} có ${daysInMonth(year, month)} ngày).`,
      );
    }
    if (p.date.month === undefined) {
      const next = month === 12 ? { year: year + 1, month: 1, day: d } : { year, month: month + 1, day: d };
      if (validDate(next)) pastHint = `ngày ${d}/${next.month}/${next.year}`;
    } else if (p.date.year === undefined) {
      pastHint = `ngày ${d}/${month}/${year + 1}`;
    }
  } else if (p.weekdays) {
    if (p.weekdays.length > 1) return ambiguous('Nhắc một lần vào nhiều thứ? Nếu muốn nhắc định kỳ, thêm "hằng tuần", ví dụ "thứ 2, thứ 4 hằng tuần 7h30".');
    const wd = p.weekdays[0]!;
    const todayWd = new Date(Date.UTC(nowDay.year, nowDay.month - 1, nowDay.day)).getUTCDay();
    const monday = addDays(nowDay, -((todayWd + 6) % 7));
    const inWeek = (weekStart: CivilDate) => addDays(weekStart, (wd + 6) % 7);
    if (p.weekRel === "next") day = inWeek(addDays(monday, 7));
    else if (p.weekRel === "this") {
      day = inWeek(monday);
      pastHint = "tuần sau";
    } else if (wd === todayWd) {
      return ambiguous(`Hôm nay là ${wd === 0 ? "chủ nhật" : `thứ ${wd + 1}`}: bạn muốn nhắc hôm nay hay ${wd === 0 ? "chủ nhật" : `thứ ${wd + 1}`} tuần sau? Gõ "hôm nay" hoặc "tuần sau".`);
    } else {
      day = addDays(nowDay, (wd - todayWd + 7) % 7);
    }
  } else {
    day = addDays(nowDay, p.dayOffset ?? 0);
    if (p.dayOffset === undefined || p.dayOffset === 0) pastHint = "ngày mai";
  }
  if (nextDay) day = addDays(day, 1);
  const when = at(tz, day, hour * 60 + minute);
  if (when.getTime() <= now.getTime()) {
    const shown = formatDateTime(when, tz);
    const isToday = compareDates(day, nowDay) === 0;
    return {
      ok: false,
      reason: "past",
      question: `${isToday ? `${hhmm(hour, minute)} hôm nay` : shown} đã qua rồi.${pastHint ? ` Ý bạn là ${pastHint === "ngày mai" || pastHint === "tuần sau" ? `${hhmm(hour, minute)} ${pastHint}` : `${hhmm(hour, minute)} ${pastHint}`}? Bạn gõ lại với ngày cụ thể.` : " Bạn gõ lại một thời điểm trong tương lai."}`,
    };
  }
  if (when.getTime() - now.getTime() > 366 * 86_400_000) return invalid("Tôi chỉ nhắc trong vòng một năm tới.");
  return { ok: true, kind: "once", at: when, description: formatDateTime(when, tz), defaultTime };
}
