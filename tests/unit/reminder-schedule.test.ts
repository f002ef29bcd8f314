// Schedule computations: task deadlines, reminder offsets across month ends, quarters, report days,
// quiet hours, and recurring rules (31st in a 30-day month, February).
import { describe, expect, it } from "vitest";
import {
  deferOutOfQuiet,
  describeDeadline,
  inQuietHours,
  nextOccurrence,
  parseDeadline,
  reportPeriodsDue,
  ruleToCron,
  taskReminderTimes,
} from "../../src/features/reminders/schedule.ts";

const TZ = "Asia/Ho_Chi_Minh";
const local = (s: string) => new Date(`${s}+07:00`);
const iso = (s: string) => local(s).toISOString();
const QUIET = { start: "22:00", end: "06:00" };

describe("task deadlines", () => {
  it.each([
    ["31/12/2022", "DATE", { year: 2022, month: 12, day: 31 }],
    ["2023-03-15", "DATE", { year: 2023, month: 3, day: 15 }],
    ["12/2022", "MONTH", { year: 2022, month: 12, day: 31 }],
    ["Tháng 12/2022", "MONTH", { year: 2022, month: 12, day: 31 }],
    ["tháng 2/2024", "MONTH", { year: 2024, month: 2, day: 29 }],
    ["Thang 2/2023", "MONTH", { year: 2023, month: 2, day: 28 }],
    ["T4/2023", "MONTH", { year: 2023, month: 4, day: 30 }],
    ["Quý I/2023", "QUARTER", { year: 2023, month: 3, day: 31 }],
    ["Q1/2023", "QUARTER", { year: 2023, month: 3, day: 31 }],
    ["quý II/2023", "QUARTER", { year: 2023, month: 6, day: 30 }],
    ["Quý 3 năm 2023", "QUARTER", { year: 2023, month: 9, day: 30 }],
    ["Quy IV/2023", "QUARTER", { year: 2023, month: 12, day: 31 }],
    ["Năm 2023", "DATE", { year: 2023, month: 12, day: 31 }],
  ])("%s", (text, kind, due) => {
    expect(parseDeadline(text)).toEqual({ kind, dueDate: due, cadence: null });
  });

  it("reads Thường xuyên with a review cadence (monthly by default)", () => {
    expect(parseDeadline("Thường xuyên")).toEqual({ kind: "RECURRING", dueDate: null, cadence: "0 8 1 * *" });
    expect(parseDeadline("thuong xuyen", "hằng tuần")).toEqual({ kind: "RECURRING", dueDate: null, cadence: "0 8 * * 1" });
    expect(parseDeadline("Thường xuyên", "hang quy")).toMatchObject({ cadence: "0 8 1 1,4,7,10 *" });
    expect(parseDeadline("Thường xuyên", "0 9 15 * *")).toMatchObject({ cadence: "0 9 15 * *" });
    expect(parseDeadline("Thường xuyên", "mỗi khi rảnh")).toHaveProperty("error");
  });

  it("rejects impossible or unknown deadlines with a Vietnamese message", () => {
    expect(parseDeadline("31/4/2023")).toEqual({ error: expect.stringMatching(/không có thật/) });
    expect(parseDeadline("29/02/2023")).toEqual({ error: expect.stringMatching(/không có thật/) });
    expect(parseDeadline("13/2023")).toEqual({ error: expect.stringMatching(/không hợp lệ/) });
    expect(parseDeadline("sớm")).toEqual({ error: expect.stringMatching(/không hiểu hạn/) });
    expect(parseDeadline("")).toEqual({ error: expect.stringMatching(/thiếu hạn/) });
  });

  it("describes deadlines as officers write them", () => {
    expect(describeDeadline({ kind: "QUARTER", dueDate: { year: 2023, month: 3, day: 31 }, cadence: null })).toBe("Quý I/2023 (đến 31/03/2023)");
    expect(describeDeadline({ kind: "MONTH", dueDate: { year: 2022, month: 12, day: 31 }, cadence: null })).toBe("Tháng 12/2022 (đến 31/12/2022)");
    expect(describeDeadline({ kind: "RECURRING", dueDate: null, cadence: "0 8 * * 1" })).toBe("Thường xuyên (rà soát hằng tuần)");
  });
});

describe("task reminder times", () => {
  it("7, 3, 1 days before and on the day, across a month end", () => {
    const times = taskReminderTimes({ year: 2023, month: 3, day: 2 }, local("2023-02-01T10:00:00"), TZ, "08:00", QUIET);
    expect(times.map((t) => [t.offset, t.at.toISOString()])).toEqual([
      ["d7", iso("2023-02-23T08:00:00")],
      ["d3", iso("2023-02-27T08:00:00")],
      ["d1", iso("2023-03-01T08:00:00")],
      ["d0", iso("2023-03-02T08:00:00")],
    ]);
  });

  it("in a leap year, one day before 1 March is 29 February", () => {
    const times = taskReminderTimes({ year: 2024, month: 3, day: 1 }, local("2024-02-01T10:00:00"), TZ, "08:00", QUIET);
    expect(times.find((t) => t.offset === "d1")!.at.toISOString()).toBe(iso("2024-02-29T08:00:00"));
  });

  it("a quarter deadline (Quý I) is reminded from 24 March", () => {
    const due = (parseDeadline("Quý I/2023") as { dueDate: { year: number; month: number; day: number } }).dueDate;
    const times = taskReminderTimes(due, local("2023-01-10T10:00:00"), TZ, "08:00", QUIET);
    expect(times[0]!.at.toISOString()).toBe(iso("2023-03-24T08:00:00"));
  });

  it("drops past reminders; a task due today gets its same-day one now", () => {
    const now = local("2023-03-02T10:00:00");
    expect(taskReminderTimes({ year: 2023, month: 3, day: 2 }, now, TZ, "08:00", QUIET)).toEqual([{ offset: "d0", at: now }]);
    expect(taskReminderTimes({ year: 2023, month: 3, day: 3 }, now, TZ, "08:00", QUIET).map((t) => t.offset)).toEqual(["d0"]);
  });

  it("moves a reminder out of the quiet hours", () => {
    const now = local("2023-03-02T23:10:00");
    expect(taskReminderTimes({ year: 2023, month: 3, day: 2 }, now, TZ, "08:00", QUIET)).toEqual([{ offset: "d0", at: local("2023-03-03T06:00:00") }]);
    // A reminder time configured inside the quiet hours waits for their end.
    expect(taskReminderTimes({ year: 2023, month: 3, day: 10 }, now, TZ, "05:00", QUIET)[0]!.at.toISOString()).toBe(iso("2023-03-03T06:00:00"));
  });
});

describe("quiet hours", () => {
  it.each([
    ["2024-12-18T21:59:00", false, "2024-12-18T21:59:00"],
    ["2024-12-18T22:00:00", true, "2024-12-19T06:00:00"],
    ["2024-12-31T23:30:00", true, "2025-01-01T06:00:00"],
    ["2024-02-29T23:00:00", true, "2024-03-01T06:00:00"],
    ["2024-12-19T00:30:00", true, "2024-12-19T06:00:00"],
    ["2024-12-19T05:59:00", true, "2024-12-19T06:00:00"],
    ["2024-12-19T06:00:00", false, "2024-12-19T06:00:00"],
  ])("%s", (when, quiet, deferred) => {
    expect(inQuietHours(local(when), TZ, QUIET)).toBe(quiet);
    expect(deferOutOfQuiet(local(when), TZ, QUIET).toISOString()).toBe(iso(deferred));
  });

  it("supports quiet hours inside one day and none at all", () => {
    const noon = { start: "12:00", end: "13:30" };
    expect(deferOutOfQuiet(local("2024-12-18T12:10:00"), TZ, noon).toISOString()).toBe(iso("2024-12-18T13:30:00"));
    expect(inQuietHours(local("2024-12-18T23:00:00"), TZ, { start: "00:00", end: "00:00" })).toBe(false);
  });
});

describe("report deadlines", () => {
  it("monthly on the configured day, clamped to short months", () => {
    expect(reportPeriodsDue({ year: 2024, month: 3, day: 20 }, 20, 0)).toEqual([{ kind: "MONTH", period: "2024-03", label: "tháng 3/2024" }]);
    expect(reportPeriodsDue({ year: 2024, month: 3, day: 19 }, 20, 0)).toEqual([]);
    expect(reportPeriodsDue({ year: 2024, month: 4, day: 30 }, 31, 0)).toHaveLength(1);
    expect(reportPeriodsDue({ year: 2023, month: 2, day: 28 }, 30, 0)).toHaveLength(1);
    expect(reportPeriodsDue({ year: 2024, month: 2, day: 28 }, 30, 0)).toHaveLength(0);
    expect(reportPeriodsDue({ year: 2024, month: 2, day: 29 }, 31, 0)).toHaveLength(1);
    expect(reportPeriodsDue({ year: 2024, month: 1, day: 31 }, 31, 0)).toHaveLength(1);
  });

  it("quarterly on the day of the quarter's last month", () => {
    expect(reportPeriodsDue({ year: 2024, month: 3, day: 20 }, 20, 20)).toEqual([
      { kind: "MONTH", period: "2024-03", label: "tháng 3/2024" },
      { kind: "QUARTER", period: "2024-Q1", label: "quý I/2024" },
    ]);
    expect(reportPeriodsDue({ year: 2024, month: 2, day: 20 }, 0, 20)).toEqual([]);
    expect(reportPeriodsDue({ year: 2024, month: 6, day: 30 }, 0, 31)).toEqual([{ kind: "QUARTER", period: "2024-Q2", label: "quý II/2024" }]);
    expect(reportPeriodsDue({ year: 2024, month: 12, day: 15 }, 0, 15)).toEqual([{ kind: "QUARTER", period: "2024-Q4", label: "quý IV/2024" }]);
  });
});

describe("recurring rules", () => {
  it("the 31st of every month is the last day of shorter months", () => {
    const rule = { freq: "monthly" as const, day: 31, hour: 8, minute: 0 };
    expect(ruleToCron(rule)).toEqual(["0 8 L * *"]);
    let t = local("2025-01-15T00:00:00");
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((t = nextOccurrence(rule, t, TZ)).toISOString());
    expect(seen).toEqual([iso("2025-01-31T08:00:00"), iso("2025-02-28T08:00:00"), iso("2025-03-31T08:00:00"), iso("2025-04-30T08:00:00")]);
  });

  it("the 30th is 28/29 February", () => {
    const rule = { freq: "monthly" as const, day: 30, hour: 9, minute: 15 };
    expect(ruleToCron(rule)).toEqual(["15 9 30 1,3-12 *", "15 9 L 2 *"]);
    expect(nextOccurrence(rule, local("2024-01-31T00:00:00"), TZ).toISOString()).toBe(iso("2024-02-29T09:15:00"));
    expect(nextOccurrence(rule, local("2023-01-31T00:00:00"), TZ).toISOString()).toBe(iso("2023-02-28T09:15:00"));
  });

  it("weekly and daily", () => {
    expect(ruleToCron({ freq: "weekly", weekdays: [3, 1], hour: 7, minute: 30 })).toEqual(["30 7 * * 1,3"]);
    expect(nextOccurrence({ freq: "weekly", weekdays: [1], hour: 7, minute: 30 }, local("2024-12-30T07:30:00"), TZ).toISOString()).toBe(iso("2025-01-06T07:30:00"));
    expect(nextOccurrence({ freq: "daily", hour: 7, minute: 0 }, local("2024-12-31T07:00:01"), TZ).toISOString()).toBe(iso("2025-01-01T07:00:00"));
  });
});
