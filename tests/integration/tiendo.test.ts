// /tiendo as officers and supervisors use it: permissions, change since the previous period, rank
// among siblings, the weakest units below, the 25-services table, one indicator across units, the chart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reply } from "../../src/core/types.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { importRows, type RawRow } from "../../src/features/indicators/importer.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { seedUnits } from "../helpers/units.ts";

const op = { personId: null, label: "test" };

// Units (tests/helpers/units.ts): 44 Quảng Bình → 450 Lệ Thủy (19123 Sen Thủy, 19124 Kiến Giang), 451 Quảng Ninh (19200 Võ Ninh).
const figures: Array<[string, string, string, number | string, number | string | null, (number | string)?]> = [
  // unit, period, indicator, numerator, denominator, reported rate
  ["19123", "2024-02", "so_hoa_ket_qua", 20, 100],
  ["19123", "2024-03", "so_hoa_ket_qua", 35, 100],
  ["19124", "2024-02", "so_hoa_ket_qua", 50, 100],
  ["19124", "2024-03", "so_hoa_ket_qua", 60, 100],
  ["19200", "2024-03", "so_hoa_ket_qua", 10, 100],
  ["450", "2024-02", "so_hoa_ket_qua", 70, 200],
  ["450", "2024-03", "so_hoa_ket_qua", 95, 200],
  ["451", "2024-03", "so_hoa_ket_qua", 10, 100],
  ["44", "2024-03", "so_hoa_ket_qua", "1.234", "5.000", "30"],
  ["19123", "2024-03-20", "vneid_kich_hoat", "1.200", "1.000"],
  ["19123", "2024-02", "hoi_nong_dan", 10, null],
  ["19123", "2024-03", "hoi_nong_dan", 15, null],
  ["44", "2024-03", "dvc_thuong_tru", "16.856", "17.319", "97,33"],
  ["44", "2024-03", "dvc_tro_cap_that_nghiep", 16, "1.166", "0,14"],
  ["44", "2024-03", "dvc_xac_nhan_cmnd", 0, 0],
];

describe("/tiendo", () => {
  let bot: TestCore;
  const ask = async (text: string, user: string, at = new Date()) =>
    (await bot.pipeline.handle({ channel: "cli", userId: user, chatId: user, text, receivedAt: at })).replies;
  const text = async (message: string, user: string, at?: Date) => (await ask(message, user, at)).map((r) => r.text).join("\n");
  const press = async (payload: string, user: string) => (await bot.press(payload, user)).replies;
  const april = new Date("2024-04-10T03:00:00Z");

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    const p = bot.db.prisma;
    await seedUnits(p);
    const grants = [
      ["sup44", "SUPERVISOR", "44"],
      ["sup450", "SUPERVISOR", "450"],
      ["off19123", "OFFICER", "19123"],
      ["off19200", "OFFICER", "19200"],
    ] as const;
    for (const [user, role, unitCode] of grants) await grantRole(p, { personId: await personForAccount(p, "cli", user), role, unitCode, by: op });
    const rows: RawRow[] = figures.map(([unit_code, period, indicator, numerator, denominator, reported_rate], i) => ({
      line: i + 1, unit_code, period, indicator, numerator, denominator, reported_rate,
    }));
    const result = await importRows(p, rows, { source: "IMPORT", enteredBy: "test" });
    expect(result.errors).toEqual([]);
  });
  afterAll(() => bot.close());

  describe("permissions", () => {
    it("refuses citizens politely, whatever they ask or press", async () => {
      expect(await text("/tiendo", "citizen")).toMatch(/không có quyền/);
      expect(await text("/tiendo 19123", "citizen")).toMatch(/không có quyền/);
      expect((await press("td:u:44", "citizen"))[0]!.text).toMatch(/không có quyền/);
    });

    it("refuses an officer of another district, by code, by name and by button", async () => {
      expect(await text("/tiendo 19123", "off19200")).toMatch(/không có quyền/);
      expect(await text("/tiendo xa sen thuy", "off19200")).toMatch(/không có quyền/);
      expect(await text("/tiendo dvc 44", "off19200")).toMatch(/không có quyền/);
      expect((await press("td:u:19123", "off19200"))[0]!.text).toMatch(/không có quyền/);
      expect((await press("td:c:so_hoa_ket_qua:450", "off19200"))[0]!.text).toMatch(/không có quyền/);
      expect((await press("td:i:so_hoa_ket_qua:44", "off19200"))[0]!.text).toMatch(/không có quyền/);
    });

    it("refuses a commune officer the unit above and a district supervisor another district", async () => {
      expect(await text("/tiendo 450", "off19123")).toMatch(/không có quyền/);
      expect(await text("/tiendo 19200", "sup450")).toMatch(/không có quyền/);
      expect(await text("/tiendo vo ninh", "sup450")).toMatch(/không có quyền/);
    });

    it("lets a supervisor see any unit of the subtree, named without diacritics", async () => {
      expect(await text("/tiendo xa sen thuy", "sup450")).toMatch(/Tiến độ Đề án 06 — Xã Sen Thủy/);
      expect(await text("/tiendo Kiến Giang", "sup450")).toMatch(/Tiến độ Đề án 06 — Thị trấn Kiến Giang/);
      expect(await text("/tiendo 19200", "sup44")).toMatch(/Tiến độ Đề án 06 — Xã Võ Ninh/);
    });
  });

  describe("a unit's figures", () => {
    it("shows value, change since the previous period and rank among siblings, in Vietnamese format", async () => {
      const reply = await text("/tiendo", "off19123", april);
      expect(reply).toMatch(/Tiến độ Đề án 06 — Xã Sen Thủy/);
      expect(reply).toMatch(/Số hóa kết quả giải quyết: 35% \(35\/100 hồ sơ\) · tháng 3\/2024/);
      expect(reply).toMatch(/so với kỳ trước \(tháng 2\/2024\): \+15 điểm % · hạng 2\/2 trong Huyện Lệ Thủy/);
      expect(reply).toMatch(/VNeID kích hoạt \/ chỉ tiêu: 120% chỉ tiêu \(1\.200\/1\.000 tài khoản\) · đến 20\/03\/2024/);
      expect(reply).toMatch(/Hội viên Hội Nông dân: 15 hội viên · tháng 3\/2024\n\s+so với kỳ trước \(tháng 2\/2024\): \+5/);
      expect(reply).not.toMatch(/⏳/);
    });

    it("marks stale figures with their date", async () => {
      const reply = await text("/tiendo", "off19123", new Date("2024-09-01T03:00:00Z"));
      expect(reply).toMatch(/Số hóa kết quả giải quyết: 35% .* · ⏳ số liệu đến 31\/03\/2024/);
      expect(reply).toMatch(/⏳ = số liệu cũ/);
    });

    it("ranks the units below and lists the weakest, with buttons to drill down", async () => {
      const [reply] = await ask("/tiendo", "sup450", april);
      expect(reply!.text).toMatch(/Tiến độ Đề án 06 — Huyện Lệ Thủy/);
      expect(reply!.text).toMatch(/47,5% \(95\/200 hồ sơ\).*\n.*\+12,5 điểm % · hạng 1\/2 trong Tỉnh Quảng Bình/);
      expect(reply!.text).toMatch(/Thấp nhất trong các đơn vị cấp dưới — Số hóa kết quả giải quyết \(tháng 3\/2024\):\n1\. Xã Sen Thủy: 35% \(hạng 2\/2\)\n2\. Thị trấn Kiến Giang: 60% \(hạng 1\/2\)/);
      const payloads = reply!.buttons!.flat().map((b) => b.payload);
      expect(payloads).toEqual(expect.arrayContaining(["td:u:19123", "td:u:19124", "td:i:so_hoa_ket_qua:450", "td:c:so_hoa_ket_qua:450"]));
      for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(64);
      const drilled = await press("td:u:19123", "sup450");
      expect(drilled[0]!.text).toMatch(/Tiến độ Đề án 06 — Xã Sen Thủy/);
    });

    it("shows the reported rate next to the computed one when they disagree", async () => {
      const reply = await text("/tiendo", "sup44", april);
      expect(reply).toMatch(/Số hóa kết quả giải quyết: 24,7% \(1\.234\/5\.000 hồ sơ\)/);
      expect(reply).toMatch(/⚠ báo cáo ghi 30%, tính lại từ số liệu là 24,68%/);
    });

    it("says so when a unit has no figures yet", async () => {
      const p = bot.db.prisma;
      await grantRole(p, { personId: await personForAccount(p, "cli", "off19124"), role: "OFFICER", unitCode: "19124", by: op });
      expect(await text("/tiendo xa vo ninh", "sup44")).toMatch(/Xã Võ Ninh/);
      const { importUnits } = await import("../../src/features/units.ts");
      await importUnits(p, [{ code: "19999", name: "Xã Mới Lập", level: "COMMUNE", parent_code: "451" }]);
      expect(await text("/tiendo xa moi lap", "sup44")).toMatch(/Chưa có số liệu chỉ tiêu nào của Xã Mới Lập/);
    });
  });

  describe("tables and charts", () => {
    it("/tiendo dvc lists the 25 essential services with their online rates", async () => {
      const reply = await text("/tiendo dvc", "sup44", april);
      expect(reply).toMatch(/25 dịch vụ công thiết yếu — Tỉnh Quảng Bình \(tháng 3\/2024\)/);
      expect(reply).toMatch(/1\. Xác nhận số CMND: không phát sinh \(0\/0\)/);
      expect(reply).toMatch(/3\. Đăng ký thường trú: 97,3% \(16\.856\/17\.319\)/);
      expect(reply).toMatch(/25\. Trợ cấp thất nghiệp: 1,4% \(16\/1\.166\)\n\s+⚠ báo cáo ghi 0,14%, tính lại từ số liệu là 1,37%/);
      expect(reply).toMatch(/12\. Đăng ký khai sinh: —/);
      expect(reply.split("\n").filter((l) => /^\d+\. /.test(l))).toHaveLength(25);
    });

    it("/tiendo <indicator> ranks the units below on one indicator", async () => {
      const reply = await text("/tiendo so hoa", "sup44", april);
      expect(reply).toMatch(/Hồ sơ thủ tục hành chính được số hóa kết quả giải quyết — các đơn vị thuộc Tỉnh Quảng Bình \(tháng 3\/2024\)/);
      expect(reply).toMatch(/1\. Huyện Lệ Thủy: 47,5% \(95\/200 hồ sơ\)\n2\. Huyện Quảng Ninh: 10% \(10\/100 hồ sơ\)/);
      expect(reply).toMatch(/Tỉnh Quảng Bình: 24,7% \(1\.234\/5\.000 hồ sơ\)/);
      // Named with its unit in one go, and by an alias.
      expect(await text("/tiendo so hoa le thuy", "sup44", april)).toMatch(/các đơn vị thuộc Huyện Lệ Thủy[\s\S]*1\. Thị trấn Kiến Giang: 60%/);
      expect(await text("/tiendo khong co gi nhu the", "sup44")).toMatch(/Không tìm thấy đơn vị hay chỉ tiêu/);
    });

    it("/tiendo bieudo <indicator> sends a PNG bar chart of the units below", async () => {
      const replies: Reply[] = await ask("/tiendo bieudo so hoa", "sup450", april);
      const image = replies[0]!.image!;
      expect(image.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(image.png.length).toBeGreaterThan(5000);
      expect(image.caption).toMatch(/Biểu đồ: Số hóa kết quả giải quyết — các đơn vị thuộc Huyện Lệ Thủy \(tháng 3\/2024\)/);
      expect(replies[0]!.text).toMatch(/Xã Sen Thủy: 35% \(hạng 2\/2\)/);
      const pressed = await press("td:c:so_hoa_ket_qua:450", "sup450");
      expect(pressed[0]!.image!.png.length).toBeGreaterThan(5000);
    });

    it("explains itself", async () => {
      expect(await text("/tiendo huongdan", "off19123")).toMatch(/Cách dùng \/tiendo/);
    });
  });
});
