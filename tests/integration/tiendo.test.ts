// /tiendo as officers and supervisors use it on today's two tiers (province → communes): permissions,
// change since the previous period, rank among siblings, the weakest units below, the 25-services table,
// one indicator across units, the chart, and indicators that ended (history, not listed for units in force).
// The old three-tier tree and the figures of old units are in tiendo-history.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reply } from "../../src/core/types.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { importRows, type RawRow } from "../../src/features/indicators/importer.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const op = { personId: null, label: "test" };

// Units (tests/helpers/units.ts): 44 Tỉnh Quảng Trị → 19288 Xã Sen Ngư, 19249 Xã Lệ Thủy, 19246 Xã Lệ Ninh, 18880 Phường Đồng Hới.
const figures: Array<[string, string, string, number | string, number | string | null, (number | string)?]> = [
  // unit, period, indicator, numerator, denominator, reported rate
  ["19288", "2026-09", "so_hoa_ket_qua", 20, 100],
  ["19288", "2026-10", "so_hoa_ket_qua", 35, 100],
  ["19249", "2026-09", "so_hoa_ket_qua", 50, 100],
  ["19249", "2026-10", "so_hoa_ket_qua", 60, 100],
  ["19246", "2026-10", "so_hoa_ket_qua", 10, 100],
  ["18880", "2026-10", "so_hoa_ket_qua", 80, 100],
  ["44", "2026-09", "so_hoa_ket_qua", "1.100", "5.000"],
  ["44", "2026-10", "so_hoa_ket_qua", "1.234", "5.000", "30"],
  ["19288", "2026-10-20", "vneid_kich_hoat", "1.200", "1.000"],
  ["19288", "2026-09", "hoi_nong_dan", 10, null],
  ["19288", "2026-10", "hoi_nong_dan", 15, null],
  ["19288", "2026-10", "cong_qg_tt_xa", 410, 500],
  ["44", "2026-10", "dvc_thuong_tru", "16.856", "17.319", "97,33"],
  ["44", "2026-10", "dvc_tro_cap_that_nghiep", 16, "1.166", "0,14"],
  // DVC 1 ended on 14/3/2026 (NĐ 58/2026/NĐ-CP): a figure of the last quarter of 2025 is still taken.
  ["44", "2025-Q4", "dvc_xac_nhan_cmnd", 3, 40],
];

describe("/tiendo on the two tiers", () => {
  let bot: TestCore;
  const ask = async (text: string, user: string, at = new Date()) =>
    (await bot.pipeline.handle({ channel: "cli", userId: user, chatId: user, text, receivedAt: at })).replies;
  const text = async (message: string, user: string, at?: Date) => (await ask(message, user, at)).map((r) => r.text).join("\n");
  const press = async (payload: string, user: string) => (await bot.press(payload, user)).replies;
  const november = new Date("2026-11-10T03:00:00Z");
  const rows = (list: typeof figures): RawRow[] =>
    list.map(([unit_code, period, indicator, numerator, denominator, reported_rate], i) => ({
      line: i + 2, unit_code, period, indicator, numerator, denominator, reported_rate,
    }));

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    const p = bot.db.prisma;
    await seedCurrentUnits(p);
    const grants = [
      ["sup44", "SUPERVISOR", "44"],
      ["off19288", "OFFICER", "19288"],
      ["off19246", "OFFICER", "19246"],
    ] as const;
    for (const [user, role, unitCode] of grants) await grantRole(p, { personId: await personForAccount(p, "cli", user), role, unitCode, by: op });
    const result = await importRows(p, rows(figures), { source: "IMPORT", enteredBy: "test" });
    expect(result.errors).toEqual([]);
  });
  afterAll(() => bot.close());

  describe("permissions", () => {
    it("refuses citizens politely, whatever they ask or press", async () => {
      expect(await text("/tiendo", "citizen")).toMatch(/không có quyền/);
      expect(await text("/tiendo 19288", "citizen")).toMatch(/không có quyền/);
      expect((await press("td:u:44", "citizen"))[0]!.text).toMatch(/không có quyền/);
      expect((await press("td:h:19288", "citizen"))[0]!.text).toMatch(/không có quyền/);
    });

    it("refuses an officer another commune, by code, by name and by button", async () => {
      expect(await text("/tiendo 19288", "off19246")).toMatch(/không có quyền/);
      expect(await text("/tiendo xa sen ngu", "off19246")).toMatch(/không có quyền/);
      expect(await text("/tiendo lichsu xa sen ngu", "off19246")).toMatch(/không có quyền/);
      expect((await press("td:u:19288", "off19246"))[0]!.text).toMatch(/không có quyền/);
      expect((await press("td:h:19288", "off19246"))[0]!.text).toMatch(/không có quyền/);
    });

    it("refuses a commune officer the province above", async () => {
      expect(await text("/tiendo 44", "off19288")).toMatch(/không có quyền/);
      expect(await text("/tiendo dvc 44", "off19288")).toMatch(/không có quyền/);
      expect((await press("td:c:so_hoa_ket_qua:44", "off19288"))[0]!.text).toMatch(/không có quyền/);
      expect((await press("td:i:so_hoa_ket_qua:44", "off19288"))[0]!.text).toMatch(/không có quyền/);
    });

    it("lets the province supervisor see any commune, named without diacritics", async () => {
      expect(await text("/tiendo xa sen ngu", "sup44")).toMatch(/Tiến độ Đề án 06 — Xã Sen Ngư/);
      expect(await text("/tiendo Đồng Hới", "sup44")).toMatch(/Tiến độ Đề án 06 — Phường Đồng Hới/);
      expect(await text("/tiendo 19246", "sup44")).toMatch(/Tiến độ Đề án 06 — Xã Lệ Ninh/);
    });
  });

  describe("a unit's figures", () => {
    it("shows value, change since the previous period and rank among the communes of the province", async () => {
      const reply = await text("/tiendo", "off19288", november);
      expect(reply).toMatch(/Tiến độ Đề án 06 — Xã Sen Ngư/);
      expect(reply).toMatch(/Số hóa kết quả giải quyết: 35% \(35\/100 hồ sơ\) · tháng 10\/2026/);
      expect(reply).toMatch(/so với kỳ trước \(tháng 9\/2026\): \+15 điểm % · hạng 3\/4 trong Tỉnh Quảng Trị/);
      expect(reply).toMatch(/VNeID kích hoạt \/ chỉ tiêu: 120% chỉ tiêu \(1\.200\/1\.000 tài khoản\) · đến 20\/10\/2026/);
      expect(reply).toMatch(/Trực tuyến trên Cổng DVC quốc gia: 82% \(410\/500 hồ sơ\) · tháng 10\/2026/);
      expect(reply).toMatch(/Hội viên Hội Nông dân: 15 hội viên · tháng 10\/2026\n\s+so với kỳ trước \(tháng 9\/2026\): \+5/);
      expect(reply).not.toMatch(/⏳/);
      // A commune formed from old ones that have no figures here: nothing about them, no history button.
      expect(reply).not.toMatch(/Trước 01\/07\/2025/);
    });

    it("marks stale figures with their date", async () => {
      const reply = await text("/tiendo", "off19288", new Date("2027-03-01T03:00:00Z"));
      expect(reply).toMatch(/Số hóa kết quả giải quyết: 35% .* · ⏳ số liệu đến 31\/10\/2026/);
      expect(reply).toMatch(/⏳ = số liệu cũ/);
    });

    it("ranks the communes below the province and lists the weakest, with buttons to drill down", async () => {
      const [reply] = await ask("/tiendo", "sup44", november);
      expect(reply!.text).toMatch(/Tiến độ Đề án 06 — Tỉnh Quảng Trị/);
      expect(reply!.text).toMatch(/Số hóa kết quả giải quyết: 24,7% \(1\.234\/5\.000 hồ sơ\).*\n.*\+2,7 điểm %/);
      expect(reply!.text).toMatch(
        /Thấp nhất trong các đơn vị cấp dưới — Số hóa kết quả giải quyết \(tháng 10\/2026\):\n1\. Xã Lệ Ninh: 10% \(hạng 4\/4\)\n2\. Xã Sen Ngư: 35% \(hạng 3\/4\)\n3\. Xã Lệ Thủy: 60% \(hạng 2\/4\)/,
      );
      const payloads = reply!.buttons!.flat().map((b) => b.payload);
      expect(payloads).toEqual(expect.arrayContaining(["td:u:19246", "td:u:19288", "td:i:so_hoa_ket_qua:44", "td:c:so_hoa_ket_qua:44"]));
      for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(64);
      expect((await press("td:u:19246", "sup44"))[0]!.text).toMatch(/Tiến độ Đề án 06 — Xã Lệ Ninh/);
    });

    it("shows the reported rate next to the computed one when they disagree", async () => {
      expect(await text("/tiendo", "sup44", november)).toMatch(/⚠ báo cáo ghi 30%, tính lại từ số liệu là 24,68%/);
    });

    it("says so when a unit has no figures yet", async () => {
      const { importUnits } = await import("../../src/features/units.ts");
      await importUnits(bot.db.prisma, [{ code: "19742", name: "Đặc khu Cồn Cỏ", level: "COMMUNE", parent_code: "44", valid_from: "2025-07-01" }]);
      expect(await text("/tiendo con co", "sup44")).toMatch(/Chưa có số liệu chỉ tiêu nào của Đặc khu Cồn Cỏ/);
    });
  });

  describe("tables and charts", () => {
    it("/tiendo dvc lists the services in force with their online rates, and names the one that ended", async () => {
      const reply = await text("/tiendo dvc", "sup44", november);
      expect(reply).toMatch(/25 dịch vụ công thiết yếu — Tỉnh Quảng Trị \(tháng 10\/2026\)/);
      expect(reply).toMatch(/3\. Đăng ký thường trú: 97,3% \(16\.856\/17\.319\)/);
      expect(reply).toMatch(/25\. Trợ cấp thất nghiệp: 1,4% \(16\/1\.166\)\n\s+⚠ báo cáo ghi 0,14%, tính lại từ số liệu là 1,37%/);
      expect(reply).toMatch(/12\. Đăng ký khai sinh: —/);
      // DVC 1 ended: not a line of the table (though Quảng Trị has a 2025 figure), named once below it.
      const numbered = reply.split("\n").filter((l) => /^\d+\. /.test(l));
      expect(numbered).toHaveLength(24);
      expect(numbered.some((l) => l.startsWith("1. "))).toBe(false);
      expect(reply).toMatch(/⌛ 1\. Xác nhận số CMND: đã kết thúc — từ 15\/03\/2026 số CMND cũ đã có trong chip, mã QR và VNeID.*NĐ 58\/2026\/NĐ-CP/);
    });

    it("/tiendo <indicator> ranks the units below on one indicator", async () => {
      const reply = await text("/tiendo so hoa", "sup44", november);
      expect(reply).toMatch(/Hồ sơ thủ tục hành chính được số hóa kết quả giải quyết — các đơn vị thuộc Tỉnh Quảng Trị \(tháng 10\/2026\)/);
      expect(reply).toMatch(/1\. Phường Đồng Hới: 80% \(80\/100 hồ sơ\)\n2\. Xã Lệ Thủy: 60% \(60\/100 hồ sơ\)\n3\. Xã Sen Ngư: 35%/);
      expect(reply).toMatch(/Chưa có số liệu kỳ này: 1 đơn vị \(Đặc khu Cồn Cỏ\)/);
      expect(reply).toMatch(/Tỉnh Quảng Trị: 24,7% \(1\.234\/5\.000 hồ sơ\)/);
      // Named with its unit in one go, and by an alias.
      expect(await text("/tiendo so hoa quang tri", "sup44", november)).toMatch(/các đơn vị thuộc Tỉnh Quảng Trị[\s\S]*1\. Phường Đồng Hới: 80%/);
      expect(await text("/tiendo khong co gi nhu the", "sup44")).toMatch(/Không tìm thấy đơn vị hay chỉ tiêu/);
    });

    it("/tiendo bieudo <indicator> sends a PNG bar chart of the units below", async () => {
      const replies: Reply[] = await ask("/tiendo bieudo so hoa", "sup44", november);
      const image = replies[0]!.image!;
      expect(image.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(image.png.length).toBeGreaterThan(5000);
      expect(image.caption).toMatch(/Biểu đồ: Số hóa kết quả giải quyết — các đơn vị thuộc Tỉnh Quảng Trị \(tháng 10\/2026\)/);
      expect(replies[0]!.text).toMatch(/Xã Lệ Ninh: 10% \(hạng 4\/4\)/);
      const pressed = await press("td:c:so_hoa_ket_qua:44", "sup44");
      expect(pressed[0]!.image!.png.length).toBeGreaterThan(5000);
    });

    it("explains itself", async () => {
      expect(await text("/tiendo huongdan", "off19288")).toMatch(/Cách dùng \/tiendo[\s\S]*\/tiendo lichsu/);
    });
  });

  describe("indicators that ended", () => {
    it("are not listed for a unit in force: not in its summary, not offered among matches", async () => {
      // Quảng Trị's DVC 1 figure of 2025-Q4 stays stored but is not among its current figures.
      expect(await text("/tiendo", "sup44", november)).not.toMatch(/Xác nhận số CMND/);
      // "một cửa" names the district and the commune one-stop desks; districts ended, so the commune one is shown at once.
      const [reply] = await ask("/tiendo mot cua", "sup44", november);
      expect(reply!.text).toMatch(/Cổng DVC tỉnh — một cửa xã/);
      expect(reply!.text).not.toMatch(/một cửa huyện/);
      expect((reply!.buttons ?? []).flat().map((b) => b.label)).not.toContain("Cổng DVC tỉnh — một cửa huyện");
      // Asked for by its code, an ended indicator is shown, saying it ended and why.
      expect(await text("/tiendo cong_tinh_tt_huyen", "sup44", november)).toMatch(/⌛ Cổng DVC tỉnh — một cửa huyện: đã kết thúc — không còn cấp huyện từ 01\/07\/2025/);
    });

    it("take figures for their own time only: a later period is refused with the reason", async () => {
      const later = await importRows(
        bot.db.prisma,
        rows([
          ["44", "2026-04", "dvc_xac_nhan_cmnd", 1, 10],
          ["19288", "2026-10", "cong_tinh_tt_huyen", 1, 10],
          ["19288", "2026-10", "tiem_chung_cap_nhat", 1, 10],
        ]),
        { source: "IMPORT", enteredBy: "test", dryRun: true },
      );
      expect(later.errors.map((e) => [e.line, e.message])).toEqual([
        [2, expect.stringMatching(/chỉ tiêu "dvc_xac_nhan_cmnd" đã kết thúc sau ngày 14\/03\/2026 — từ 15\/03\/2026 .*\(NĐ 58\/2026\/NĐ-CP\); chỉ nhập được số liệu của các kỳ cũ, kỳ 2026-04 bắt đầu sau ngày đó/)],
        [3, expect.stringMatching(/chỉ tiêu "cong_tinh_tt_huyen" đã kết thúc sau ngày 30\/06\/2025 — không còn cấp huyện/)],
        [4, expect.stringMatching(/chỉ tiêu "tiem_chung_cap_nhat" đã kết thúc sau ngày 30\/06\/2025 — .*COVID-19/)],
      ]);
      // The month in which DVC 1 ended still takes its figure; so does any earlier one.
      const own = await importRows(bot.db.prisma, rows([["44", "2026-03", "dvc_xac_nhan_cmnd", 1, 10], ["44", "2026-Q1", "dvc_xac_nhan_cmnd", 2, 30]]), {
        source: "IMPORT", enteredBy: "test", dryRun: true,
      });
      expect(own.errors).toEqual([]);
    });

    it("a new indicator that starts with the two tiers refuses earlier periods", async () => {
      const early = await importRows(bot.db.prisma, rows([["44", "2025-06", "cc_cap_lai_dia_gioi", 5, null], ["44", "2026-10", "cc_cap_lai_dia_gioi", 5, null]]), {
        source: "IMPORT", enteredBy: "test", dryRun: true,
      });
      expect(early.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringMatching(/chỉ tiêu "cc_cap_lai_dia_gioi" áp dụng từ ngày 01\/07\/2025: kỳ 2025-06 kết thúc trước ngày đó/) })]);
    });
  });
});
