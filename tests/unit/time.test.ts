import { describe, expect, it } from "vitest";
import { addWorkingMinutes, parsePeriods, workingMinutesBetween, zonedDate, zonedParts } from "../../src/core/time.ts";

const tz = "Asia/Ho_Chi_Minh";
const office = { days: [1, 2, 3, 4, 5], periods: parsePeriods("07:30-11:30,13:30-17:00") };
const vn = (y: number, m: number, d: number, h: number, min = 0) => zonedDate(tz, y, m, d, h, min);

// Spans of working time that both directions must agree on: adding the minutes to the start gives the end,
// and the working time from the start to the end is the minutes.
const spans: [string, Date, number, Date][] = [
  ["inside a morning", vn(2026, 11, 23, 8, 0), 60, vn(2026, 11, 23, 9, 0)],
  ["across lunch", vn(2026, 11, 23, 11, 0), 60, vn(2026, 11, 23, 14, 0)],
  ["Friday afternoon to Monday", vn(2026, 11, 27, 16, 0), 240, vn(2026, 11, 30, 10, 30)],
  ["from the evening", vn(2026, 11, 23, 20, 0), 240, vn(2026, 11, 24, 11, 30)],
];

describe("time zone arithmetic", () => {
  it("converts wall-clock times in Vietnam (UTC+7)", () => {
    expect(vn(2026, 11, 23, 8, 0).toISOString()).toBe("2026-11-23T01:00:00.000Z");
    expect(zonedParts(new Date("2026-11-22T17:30:00Z"), tz)).toMatchObject({ day: 23, hour: 0, minute: 30, weekday: 1 });
  });

  it.each([
    ...spans,
    ["from a Sunday", vn(2026, 11, 29, 9, 0), 30, vn(2026, 11, 30, 8, 0)],
    ["across a month end", vn(2026, 11, 30, 16, 30), 60, vn(2026, 12, 1, 8, 0)],
  ])("adds working time %s", (_what, start, minutes, expected) => {
    expect(addWorkingMinutes(start, minutes, tz, office).toISOString()).toBe(expected.toISOString());
  });

  it.each([
    ...spans,
    ["a weekend only", vn(2026, 11, 28, 9, 0), 0, vn(2026, 11, 29, 18, 0)],
  ])("counts the working time waited %s", (_what, start, minutes, end) => {
    expect(workingMinutesBetween(start, end, tz, office)).toBe(minutes);
  });

  it("rejects malformed working periods", () => {
    expect(() => parsePeriods("7h30-11h30")).toThrow(/HH:MM-HH:MM/);
    expect(() => parsePeriods("12:00-08:00")).toThrow(/bad working period/);
  });
});
