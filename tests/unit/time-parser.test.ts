// The /nhac time-expression parser: a table of Vietnamese phrasings against a fixed "now".
import { describe, expect, it } from "vitest";
import { parseReminder } from "../../src/features/reminders/time-parser.ts";

const TZ = "Asia/Ho_Chi_Minh";
// Wednesday 18/12/2024 09:15 in Hà Nội.
const NOW = new Date("2024-12-18T09:15:00+07:00");
const local = (s: string) => new Date(`${s}+07:00`).toISOString();

type Expect =
  | { at: string; what?: string; defaultTime?: boolean }
  | { rule: Record<string, unknown>; first: string; what?: string }
  | { reason: "none" | "invalid" | "ambiguous" | "past"; question?: RegExp };

const table: Array<[string, Expect]> = [
  // One-off, with diacritics
  ["8h sáng mai họp giao ban", { at: local("2024-12-19T08:00:00"), what: "họp giao ban" }],
  ["8 giờ sáng mai họp", { at: local("2024-12-19T08:00:00"), what: "họp" }],
  ["sáng mai 8h30 họp", { at: local("2024-12-19T08:30:00"), what: "họp" }],
  ["20/12 14:00 gửi báo cáo", { at: local("2024-12-20T14:00:00"), what: "gửi báo cáo" }],
  ["14h30 chiều nay họp Ban chỉ đạo", { at: local("2024-12-18T14:30:00"), what: "họp Ban chỉ đạo" }],
  ["tối nay 8 giờ gọi điện cho xã", { at: local("2024-12-18T20:00:00"), what: "gọi điện cho xã" }],
  ["3h chiều mai ký văn bản", { at: local("2024-12-19T15:00:00"), what: "ký văn bản" }],
  ["ngày 20/12/2024 9h nộp báo cáo", { at: local("2024-12-20T09:00:00"), what: "nộp báo cáo" }],
  ["20-12 9:05 kiểm tra", { at: local("2024-12-20T09:05:00"), what: "kiểm tra" }],
  ["ngày 5 tháng 1 năm 2025 8h họp", { at: local("2025-01-05T08:00:00"), what: "họp" }],
  ["thứ 6 tuần sau 9h họp tổ công tác", { at: local("2024-12-27T09:00:00"), what: "họp tổ công tác" }],
  ["thứ sáu 16h nộp báo cáo tuần", { at: local("2024-12-20T16:00:00"), what: "nộp báo cáo tuần" }],
  ["chủ nhật 7h trực", { at: local("2024-12-22T07:00:00"), what: "trực" }],
  ["ngày kia 10h tập huấn", { at: local("2024-12-20T10:00:00"), what: "tập huấn" }],
  ["mai 8 giờ rưỡi họp", { at: local("2024-12-19T08:30:00"), what: "họp" }],
  ["trưa mai 12h ăn cơm với đoàn", { at: local("2024-12-19T12:00:00"), what: "ăn cơm với đoàn" }],
  ["đêm nay 1h kiểm tra hệ thống", { at: local("2024-12-19T01:00:00"), what: "kiểm tra hệ thống" }],
  ["họp giao ban lúc 8h sáng mai", { at: local("2024-12-19T08:00:00"), what: "họp giao ban" }],
  ["gửi báo cáo vào 20/12 14:00", { at: local("2024-12-20T14:00:00"), what: "gửi báo cáo" }],
  ["mai gửi kế hoạch", { at: local("2024-12-19T08:00:00"), what: "gửi kế hoạch", defaultTime: true }],
  // Relative
  ["sau 30 phút gọi lại cho anh Nam", { at: local("2024-12-18T09:45:00"), what: "gọi lại cho anh Nam" }],
  ["2 tiếng nữa kiểm tra số liệu", { at: local("2024-12-18T11:15:00"), what: "kiểm tra số liệu" }],
  ["1 tiếng rưỡi nữa họp", { at: local("2024-12-18T10:45:00"), what: "họp" }],
  ["nửa tiếng nữa uống thuốc", { at: local("2024-12-18T09:45:00"), what: "uống thuốc" }],
  ["3 ngày nữa hỏi lại", { at: local("2024-12-21T09:15:00"), what: "hỏi lại" }],
  ["sau 2 tiếng gọi lại", { at: local("2024-12-18T11:15:00"), what: "gọi lại" }],
  // Without diacritics
  ["8h sang mai hop giao ban", { at: local("2024-12-19T08:00:00"), what: "hop giao ban" }],
  ["14h30 chieu nay hop", { at: local("2024-12-18T14:30:00"), what: "hop" }],
  ["toi nay 8 gio goi dien", { at: local("2024-12-18T20:00:00"), what: "goi dien" }],
  ["sau 30 phut goi lai", { at: local("2024-12-18T09:45:00"), what: "goi lai" }],
  ["2 tieng nua kiem tra", { at: local("2024-12-18T11:15:00"), what: "kiem tra" }],
  ["thu 6 tuan sau 9h hop", { at: local("2024-12-27T09:00:00"), what: "hop" }],
  // Recurring
  ["thứ 2 hằng tuần 7h30 nộp báo cáo tuần", { rule: { freq: "weekly", weekdays: [1], hour: 7, minute: 30 }, first: local("2024-12-23T07:30:00"), what: "nộp báo cáo tuần" }],
  ["thu 2 hang tuan 7h30 nop bao cao", { rule: { freq: "weekly", weekdays: [1], hour: 7, minute: 30 }, first: local("2024-12-23T07:30:00"), what: "nop bao cao" }],
  ["ngày 25 hằng tháng gửi báo cáo tháng", { rule: { freq: "monthly", day: 25, hour: 8, minute: 0 }, first: local("2024-12-25T08:00:00"), what: "gửi báo cáo tháng" }],
  ["ngay 25 hang thang 14h chot so lieu", { rule: { freq: "monthly", day: 25, hour: 14, minute: 0 }, first: local("2024-12-25T14:00:00"), what: "chot so lieu" }],
  ["ngày 31 hằng tháng chốt số liệu", { rule: { freq: "monthly", day: 31, hour: 8, minute: 0 }, first: local("2024-12-31T08:00:00"), what: "chốt số liệu" }],
  ["mỗi thứ 6 16h báo cáo tuần", { rule: { freq: "weekly", weekdays: [5], hour: 16, minute: 0 }, first: local("2024-12-20T16:00:00"), what: "báo cáo tuần" }],
  ["thứ 2, thứ 4 hằng tuần 7h họp", { rule: { freq: "weekly", weekdays: [1, 3], hour: 7, minute: 0 }, first: local("2024-12-23T07:00:00"), what: "họp" }],
  ["7h hằng ngày điểm danh", { rule: { freq: "daily", hour: 7, minute: 0 }, first: local("2024-12-19T07:00:00"), what: "điểm danh" }],
  ["hằng ngày 16h30 cập nhật số liệu", { rule: { freq: "daily", hour: 16, minute: 30 }, first: local("2024-12-18T16:30:00"), what: "cập nhật số liệu" }],
  // Ambiguous: a question, never a guess
  ["mai 3h ký văn bản", { reason: "ambiguous", question: /03:00 sáng hay 15:00 chiều/ }],
  ["sau 2 giờ họp", { reason: "ambiguous", question: /2 tiếng nữa hay sau 14:00/ }],
  ["sáng mai họp", { reason: "ambiguous", question: /Mấy giờ sáng/ }],
  ["thứ 4 họp", { reason: "ambiguous", question: /hôm nay hay thứ 4 tuần sau/ }],
  ["hằng tuần 8h họp", { reason: "ambiguous", question: /thứ mấy/ }],
  ["hằng tháng 8h nộp", { reason: "ambiguous", question: /ngày mấy/ }],
  ["thứ 2, thứ 4 8h họp", { reason: "ambiguous", question: /hằng tuần/ }],
  // Past: a question, never a guess
  ["8h họp", { reason: "past", question: /08:00 hôm nay đã qua.*08:00 ngày mai/ }],
  ["7h30 sáng nay họp", { reason: "past", question: /07:30 hôm nay đã qua/ }],
  ["10/12 9h nộp", { reason: "past", question: /10\/12\/2025/ }],
  ["ngày 1 8h họp", { reason: "past", question: /1\/1\/2025/ }],
  ["15/12/2024 9h họp", { reason: "past", question: /đã qua/ }],
  // Invalid
  ["31/2 nộp báo cáo", { reason: "invalid", question: /không có thật/ }],
  ["25h họp", { reason: "invalid" }],
  ["14h sáng mai họp", { reason: "invalid", question: /không khớp/ }],
  ["8h sáng mai 20/12 họp", { reason: "invalid" }],
  ["sau 30 phút 8h họp", { reason: "invalid" }],
  ["gọi anh Nam", { reason: "none" }],
  ["", { reason: "none" }],
  ["sau 0 phút gọi", { reason: "invalid", question: /ít nhất 1 phút/ }],
];

describe("parseReminder", () => {
  it("has a table of at least 40 phrasings", () => expect(table.length).toBeGreaterThanOrEqual(40));

  for (const [input, expected] of table) {
    it(`"${input}"`, () => {
      const result = parseReminder(input, NOW, TZ);
      if ("reason" in expected) {
        expect(result.ok, JSON.stringify(result)).toBe(false);
        if (result.ok) return;
        expect(result.reason).toBe(expected.reason);
        if (expected.question) expect(result.question).toMatch(expected.question);
        return;
      }
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      if ("at" in expected) {
        expect(result.kind).toBe("once");
        if (result.kind === "once") expect(result.at.toISOString()).toBe(expected.at);
        if (expected.defaultTime !== undefined) expect(result.defaultTime).toBe(expected.defaultTime);
      } else {
        expect(result.kind).toBe("recurring");
        if (result.kind === "recurring") {
          expect(result.rule).toEqual(expected.rule);
          expect(result.first.toISOString()).toBe(expected.first);
        }
      }
      if (expected.what !== undefined) expect(result.what).toBe(expected.what);
    });
  }
});
