// /tiendo across the 2025 reorganisation, on the official list: a commune in force shows the figures of
// the old communes it was formed from. An old commune that went wholly into it is its past (listed, and
// added up with the other whole ones for the same period); one that was split is shown apart, said to be
// split, and never added. Figures stay on the old units they were reported for. Through the pipeline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { importRows, type RawRow } from "../../src/features/indicators/importer.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { openTestDatabase } from "../helpers/databases.ts";

const op = { personId: null, label: "test" };

describe("/tiendo with the figures of old units", () => {
  let bot: TestCore;
  let phuong13 = "";
  const december = new Date("2026-12-02T03:00:00Z");
  const ask = async (text: string, user: string) =>
    (await bot.pipeline.handle({ channel: "cli", userId: user, chatId: user, text, receivedAt: december })).replies;
  const text = async (message: string, user: string) => (await ask(message, user)).map((r) => r.text).join("\n");

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" }, db: await openTestDatabase("pglite", true, true) });
    const p = bot.db.prisma;
    // Phường 13 (Gò Vấp) was split between Phường An Hội Tây and Phường An Hội Đông; the package names it
    // without its old code, so it is keyed by a hash: found here by name and old place.
    phuong13 = (await p.adminUnit.findFirstOrThrow({ where: { name: "Phường 13", formerContext: "Quận Gò Vấp, Thành phố Hồ Chí Minh" } })).code;
    for (const [user, role, unitCode] of [
      ["senngu", "OFFICER", "19288"],
      ["anhoitay", "OFFICER", "26882"],
      ["donghoi", "OFFICER", "18880"],
      ["senthuy-cu", "OFFICER", "19312-20250630"],
    ] as const) {
      await grantRole(p, { personId: await personForAccount(p, "cli", user), role, unitCode, by: op });
    }
    // Old communes are named by their old codes and a 2024 period: the period says which edition is meant
    // (19288 in 2024 is the old Xã Hưng Thủy; in 2026 it is Xã Sen Ngư).
    const figures: Array<[string, string, string, number, number | null]> = [
      ["19288", "2024-12", "so_hoa_ket_qua", 50, 100], // Xã Hưng Thủy (whole → Sen Ngư)
      ["19312", "2024-12", "so_hoa_ket_qua", 30, 100], // Xã Sen Thủy (whole → Sen Ngư)
      ["19312", "2022-09", "tiem_chung_cap_nhat", 900, 1000], // an indicator that ended
      ["19288", "2026-10", "so_hoa_ket_qua", 70, 100], // Xã Sen Ngư itself
      ["26881", "2024-12", "vneid_kich_hoat", 800, 1000], // Phường 12 (whole → An Hội Tây)
      ["26882", "2024-12", "vneid_kich_hoat", 600, 1000], // Phường 14 (whole → An Hội Tây)
      [phuong13, "2024-12", "vneid_kich_hoat", 900, 1000], // Phường 13 (split)
      ["26882", "2026-10", "vneid_kich_hoat", 1500, 2000], // Phường An Hội Tây itself
    ];
    const rows: RawRow[] = figures.map(([unit_code, period, indicator, numerator, denominator], i) => ({
      line: i + 2, unit_code, period, indicator, numerator, denominator, reported_rate: null,
    }));
    const result = await importRows(p, rows, { source: "IMPORT", enteredBy: "test" });
    expect(result.errors).toEqual([]);
  }, 240_000);
  afterAll(() => bot?.close());

  it("shows a merged commune the figures of the old communes that went wholly into it, and their sum", async () => {
    const [reply] = await ask("/tiendo", "senngu");
    expect(reply!.text).toMatch(/Tiến độ Đề án 06 — Xã Sen Ngư\n\n• Số hóa kết quả giải quyết: 70% \(70\/100 hồ sơ\) · tháng 10\/2026/);
    expect(reply!.text).toMatch(/🕰 Trước 01\/07\/2025 — số liệu của các đơn vị cũ nay thuộc Xã Sen Ngư:/);
    expect(reply!.text).toMatch(/Xã Hưng Thủy \(Huyện Lệ Thủy, Tỉnh Quảng Bình\) — nhập toàn bộ vào Xã Sen Ngư:\n\s+• Số hóa kết quả giải quyết: 50% \(50\/100 hồ sơ\) · tháng 12\/2024/);
    expect(reply!.text).toMatch(/Xã Sen Thủy \(Huyện Lệ Thủy, Tỉnh Quảng Bình\) — nhập toàn bộ vào Xã Sen Ngư:\n\s+• Số hóa kết quả giải quyết: 30% \(30\/100 hồ sơ\) · tháng 12\/2024/);
    expect(reply!.text).toMatch(/Cộng 2 đơn vị cũ nhập toàn bộ \(Xã Hưng Thủy, Xã Sen Thủy\):\n• Số hóa kết quả giải quyết: 40% \(80\/200 hồ sơ\) · tháng 12\/2024/);
    // Xã Ngư Thủy, the third old commune, reported nothing: not named.
    expect(reply!.text).not.toMatch(/Ngư Thủy/);
    // History is not stale data of Sen Ngư: no ⏳ marks for it.
    expect(reply!.text).not.toMatch(/⏳/);
    expect(reply!.buttons!.flat().map((b) => b.payload)).toContain("td:h:19288");
  });

  it("the history button and /tiendo lichsu list the old units' figures in full, ended indicators marked", async () => {
    const pressed = (await bot.pipeline.handle({ channel: "cli", userId: "senngu", chatId: "senngu", payload: "td:h:19288", receivedAt: december })).replies;
    expect(pressed[0]!.text).toMatch(/Xã Sen Thủy \(Huyện Lệ Thủy, Tỉnh Quảng Bình\) — nhập toàn bộ vào Xã Sen Ngư:[\s\S]*• Mũi tiêm COVID-19 đã cập nhật \(đã kết thúc\): 90% \(900\/1\.000 mũi tiêm\) · tháng 9\/2022/);
    expect(pressed[0]!.buttons!.flat().map((b) => b.payload)).toEqual(["td:u:19288"]);
    expect(await text("/tiendo lichsu", "senngu")).toBe(pressed[0]!.text);
  });

  it("shows a split old ward apart, says it was split, and leaves it out of the sum", async () => {
    const reply = await text("/tiendo", "anhoitay");
    expect(reply).toMatch(/Tiến độ Đề án 06 — Phường An Hội Tây\n\n• VNeID kích hoạt \/ chỉ tiêu: 75% chỉ tiêu \(1\.500\/2\.000 tài khoản\)/);
    expect(reply).toMatch(/Phường 12 \(Quận Gò Vấp, Thành phố Hồ Chí Minh\) — nhập toàn bộ vào Phường An Hội Tây:\n\s+• VNeID kích hoạt \/ chỉ tiêu: 80% chỉ tiêu/);
    expect(reply).toMatch(/Phường 14 \(Quận Gò Vấp, Thành phố Hồ Chí Minh\) — nhập toàn bộ vào Phường An Hội Tây:\n\s+• VNeID kích hoạt \/ chỉ tiêu: 60% chỉ tiêu/);
    expect(reply).toMatch(
      /Phường 13 \(Quận Gò Vấp, Thành phố Hồ Chí Minh\) — chỉ một phần nhập vào Phường An Hội Tây, phần còn lại thuộc Phường An Hội Đông\. Số liệu của cả Phường 13 cũ, không cộng cho Phường An Hội Tây:\n\s+• VNeID kích hoạt \/ chỉ tiêu: 90% chỉ tiêu \(900\/1\.000 tài khoản\)/,
    );
    // The sum is of the two whole ones only: 1.400 of 2.000, not 2.300 of 3.000.
    expect(reply).toMatch(/Cộng 2 đơn vị cũ nhập toàn bộ \(Phường 12, Phường 14\):\n• VNeID kích hoạt \/ chỉ tiêu: 70% chỉ tiêu \(1\.400\/2\.000 tài khoản\)/);
    expect(reply).not.toMatch(/2\.300/);
  });

  it("says nothing of old units without figures, and /tiendo lichsu says there are none", async () => {
    await importRows(bot.db.prisma, [{ line: 2, unit_code: "18880", period: "2026-10", indicator: "so_hoa_ket_qua", numerator: 5, denominator: 10, reported_rate: null }], {
      source: "IMPORT", enteredBy: "test",
    });
    const [reply] = await ask("/tiendo", "donghoi");
    expect(reply!.text).toMatch(/Phường Đồng Hới/);
    expect(reply!.text).not.toMatch(/Trước 01\/07\/2025/);
    expect(reply!.buttons?.flat().map((b) => b.payload) ?? []).not.toContain("td:h:18880");
    expect(await text("/tiendo lichsu", "donghoi")).toBe("Các đơn vị cũ nay thuộc Phường Đồng Hới không có số liệu nào được lưu.");
  });

  it("keeps the figures on the old units; an old unit's own page shows them, ended indicators marked", async () => {
    const p = bot.db.prisma;
    expect(await p.indicatorValue.count({ where: { unitCode: "19312-20250630" } })).toBe(2);
    expect(await p.indicatorValue.count({ where: { unitCode: "19288", period: "2024-12" } })).toBe(0);
    const reply = await text("/tiendo", "senthuy-cu");
    expect(reply).toMatch(/Tiến độ Đề án 06 — Xã Sen Thủy/);
    expect(reply).toMatch(/Mũi tiêm COVID-19 đã cập nhật \(đã kết thúc\): 90%/);
    expect(reply).not.toMatch(/🕰/);
  });
});
