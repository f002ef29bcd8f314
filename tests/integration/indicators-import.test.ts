// Importing figures: the real figures quoted in the seed reports (content/demo/), their mistakes flagged,
// Vietnamese number formats, per-row errors that reject the whole file, superseding with history,
// dry runs and Excel files. On the embedded PGlite and on PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import writeXlsxFile from "write-excel-file/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { asReportedDir, demoDir, seedDemo } from "../../src/features/indicators/demo.ts";
import { importIndicatorFile, importRows, parseIndicatorCsv, type ImportResult } from "../../src/features/indicators/importer.ts";
import { importUnitsFile } from "../../src/features/units.ts";
import { openTestDatabase, type DatabaseKind } from "../helpers/databases.ts";

const tmp = mkdtempSync(path.join(tmpdir(), "troly06-ind-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function csvFile(name: string, lines: string[]): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

const HEADER = "unit_code,period,indicator,numerator,denominator,reported_rate";
const admin = { source: "IMPORT" as const, enteredBy: "test" };

describe.each<DatabaseKind>(["pglite", "postgres"])("indicator import on %s", (kind) => {
  let db: Database;
  let demo: Awaited<ReturnType<typeof seedDemo>>;
  // The demo's units are of the list that ended on 30/6/2025: keyed "<code>-20250630" (codes such as 44
  // were reused by the current list), while the files name them by their code and a 2022–2024 period.
  const old = (code: string) => `${code}-20250630`;
  const current = (unit: string, indicator: string) =>
    db.prisma.indicatorValue.findFirst({ where: { unitCode: old(unit), indicatorCode: indicator, supersededAt: null } });
  const byFile = (name: string): ImportResult => demo.files.find((f) => path.basename(f.file) === name)!.result;

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    demo = await seedDemo(db.prisma);
  });
  afterAll(async () => db?.close());

  it("loads the demo: units of Quảng Bình (province → districts → communes) and every demo file", async () => {
    expect(demo.units.created).toBeGreaterThan(160);
    const leThuy = await db.prisma.adminUnit.findUniqueOrThrow({ where: { code: old("457") } });
    expect(leThuy).toMatchObject({
      name: "Huyện Lệ Thủy",
      officialCode: "457",
      level: "DISTRICT",
      parentCode: old("44"),
      path: `/${old("44")}/${old("457")}/`,
      validTo: new Date("2025-06-30T00:00:00Z"),
    });
    expect(await db.prisma.adminUnit.count({ where: { path: { startsWith: `/${old("44")}/` }, level: "COMMUNE" } })).toBe(150);
    for (const { file, result } of demo.files) {
      expect(result.errors, path.basename(file)).toEqual([]);
      expect(result.imported, path.basename(file)).toBe(result.rows);
    }
  });

  it("reproduces the correct rates of the reports", async () => {
    // An Giang 3/2024, item 2: 5.111/6.194 = 82,52%; Quảng Bình Phụ lục III, Đồng Hới cấp huyện 21/581 = 3,61%.
    expect((await current("89", "dvc_cccd_doi"))!.rate).toBeCloseTo(82.52, 2);
    expect((await current("450", "cong_tinh_tt_huyen"))!.rate).toBeCloseTo(3.61, 2);
    // A target may exceed 100%: An Giang VNeID registered 1.584.959 of 1.026.794 = 154,36%.
    expect((await current("89", "vneid_dang_ky"))!.rate).toBeCloseTo(154.36, 2);
    // Counts have no rate.
    expect(await current("89", "hoi_nong_dan")).toMatchObject({ numerator: 42705, denominator: null, rate: null });
    // "Không phát sinh" (0 of 0): stored, no rate.
    expect(await current("89", "dvc_xac_nhan_cmnd")).toMatchObject({ numerator: 0, denominator: 0, rate: null });
  });

  it("flags the inconsistent rates of the reports, imports them with the computed rate and keeps the reported one", async () => {
    const anGiang = byFile("an-giang-2024-03.csv").warnings;
    expect(anGiang).toHaveLength(1);
    expect(anGiang[0]!.message).toMatch(/dvc_tro_cap_that_nghiep.*0,14%.*1,37%.*16\/1\.166/);
    expect(await current("89", "dvc_tro_cap_that_nghiep")).toMatchObject({ numerator: 16, denominator: 1166, reportedRate: 0.14 });
    expect((await current("89", "dvc_tro_cap_that_nghiep"))!.rate).toBeCloseTo(1.372, 3);

    const dakNong = byFile("dak-nong-2023.csv").warnings;
    expect(dakNong.map((w) => w.message)).toEqual([expect.stringMatching(/dvcca_cccd.*82,03%.*31,74%.*12\.949\/40\.801/)]);

    const quangBinh = byFile("quang-binh-2022.csv").warnings.map((w) => w.message);
    expect(quangBinh).toContainEqual(expect.stringMatching(/dvc25_tong 2022: tỷ lệ báo cáo 67% khác tỷ lệ tính được 65,63% \(151\.446\/230\.745\)/));
    expect((await current("44", "dvc25_tong"))!.rate).toBeCloseTo(65.63, 2);

    // Long Hiệp: 59 of 62 notifications online is 95,16%, the report says 93,65%.
    expect(byFile("long-hiep-2022.csv").warnings.map((w) => w.message)).toEqual([expect.stringMatching(/dvc_luu_tru.*93,65%.*95,16%/)]);
    // Everything else agrees with the report within 0.5 points.
    expect(byFile("quang-binh-2022-phu-luc-iii.csv").warnings).toEqual([]);
    expect(byFile("binh-son-2023-12.csv").warnings).toEqual([]);
  });

  it("rejects the figures exactly as the reports wrote them: numerator above denominator, swapped columns, bad numbers", async () => {
    const checked = (name: string) => demo.asReported.find((f) => path.basename(f.file) === name)!.result;
    // Bình Sơn: "BHXH 153.221/152.275 (99,4%)".
    expect(checked("binh-son-2023-12.csv").errors).toEqual([
      { line: 3, message: expect.stringMatching(/tử số 153\.221 lớn hơn mẫu số 152\.275.*đảo/) },
    ]);
    // Quảng Bình Phụ lục IV read by its column titles: every row with figures has numerator > denominator.
    const swapped = checked("quang-binh-2022-phu-luc-iv.csv");
    expect(swapped.errors.length).toBeGreaterThan(100);
    expect(swapped.errors[0]).toEqual({ line: 3, message: expect.stringMatching(/tử số 1\.730 lớn hơn mẫu số 6/) });
    expect(swapped.errors.every((e) => /lớn hơn mẫu số/.test(e.message))).toBe(true);
    // Quảng Bình Phụ lục II: "2,467" online birth registrations is not a whole number of dossiers.
    expect(checked("quang-binh-2022-phu-luc-ii.csv").errors).toEqual([
      { line: 11, message: expect.stringMatching(/"2,467" phải là số nguyên.*2\.467/) },
    ]);
    // Đắk Nông: "85/98%" is not a number.
    expect(checked("dak-nong-2023.csv").errors[0]!.message).toMatch(/"85\/98%" không đúng định dạng số/);
    // Dry runs of rejected files wrote nothing: Bình Sơn's current value is still the corrected one.
    expect(await current("524", "bhxh_xac_thuc")).toMatchObject({ numerator: 152275, denominator: 153221 });
  });

  it("reports every bad row with its line and rejects the whole file", async () => {
    const before = await db.prisma.indicatorValue.count();
    const file = csvFile(`bad-${kind}.csv`, [
      "# a comment line counts as a line",
      HEADER,
      '44,2024-03,dvc25_tong,"1.000","2.000",50',
      "99999,2024-03,dvc25_tong,1,2,",
      "44,2024-03,khong_co,1,2,",
      "44,2024-13,dvc25_tong,1,2,",
      "44,2024-04,dvc25_tong,-5,2,",
      "44,2024-05,dvc25_tong,abc,2,",
      "44,2024-06,dvc25_tong,3,2,",
      "44,2024-07,hoi_nong_dan,3,2,",
      "44,2024-08,dvc25_tong,3,,",
      "44,2024-03,dvc25_tong,1,2,",
      "44,2024-09,dvc25_tong,1,2,x",
    ]);
    const result = await importIndicatorFile(db.prisma, file, admin);
    expect(result.imported).toBe(0);
    expect(await db.prisma.indicatorValue.count()).toBe(before);
    const byLine = Object.fromEntries(result.errors.map((e) => [e.line, e.message]));
    expect(Object.keys(byLine).map(Number)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(byLine[4]).toMatch(/không có đơn vị mã "99999"/);
    expect(byLine[5]).toMatch(/không có chỉ tiêu "khong_co"/);
    expect(byLine[6]).toMatch(/kỳ "2024-13" không hợp lệ/);
    expect(byLine[7]).toMatch(/là số âm/);
    expect(byLine[8]).toMatch(/"abc" không đúng định dạng số/);
    expect(byLine[9]).toMatch(/tử số 3 lớn hơn mẫu số 2/);
    expect(byLine[10]).toMatch(/số đếm, không có mẫu số/);
    expect(byLine[11]).toMatch(/cần mẫu số/);
    expect(byLine[12]).toMatch(/trùng .* với dòng 3/);
    expect(byLine[13]).toMatch(/tỷ lệ báo cáo.*"x"/);
  });

  it("names missing columns", () => {
    const parsed = parseIndicatorCsv("unit,period,numerator\n44,2024-03,1\n");
    expect(parsed.errors).toEqual([{ line: 1, message: expect.stringMatching(/thiếu cột indicator/) }]);
  });

  it("supersedes older figures, keeps the history, and leaves identical re-imports alone", async () => {
    const rows = (n: string) => [HEADER, `457,2024-Q1,cong_tinh_tt_huyen,${n},"1.000",`];
    const first = await importIndicatorFile(db.prisma, csvFile(`q1a-${kind}.csv`, rows("100")), admin);
    expect(first).toMatchObject({ imported: 1, superseded: 0, unchanged: 0 });
    const second = await importIndicatorFile(db.prisma, csvFile(`q1b-${kind}.csv`, rows("250")), { source: "API", enteredBy: "api:x" });
    expect(second).toMatchObject({ imported: 1, superseded: 1 });
    const again = await importIndicatorFile(db.prisma, csvFile(`q1c-${kind}.csv`, rows("250")), admin);
    expect(again).toMatchObject({ imported: 0, superseded: 0, unchanged: 1 });
    const history = await db.prisma.indicatorValue.findMany({
      where: { unitCode: old("457"), indicatorCode: "cong_tinh_tt_huyen", period: "2024-Q1" },
      orderBy: { id: "asc" },
    });
    expect(history.map((h) => [h.numerator, h.source, h.enteredBy, h.supersededAt !== null])).toEqual([
      [100, "IMPORT", "test", true],
      [250, "API", "api:x", false],
    ]);
    expect(history[0]!.periodKind).toBe("QUARTER");
    expect(history[0]!.periodEnd.toISOString().slice(0, 10)).toBe("2024-03-31");
  });

  it("checks without writing on a dry run", async () => {
    const before = await db.prisma.indicatorValue.count();
    const result = await importIndicatorFile(db.prisma, csvFile(`dry-${kind}.csv`, [HEADER, "456,2024-05,so_hoa_ket_qua,5,10,80"]), {
      ...admin,
      dryRun: true,
    });
    expect(result).toMatchObject({ rows: 1, imported: 0, dryRun: true, errors: [] });
    expect(result.warnings[0]!.message).toMatch(/80% khác tỷ lệ tính được 50%/);
    expect(await db.prisma.indicatorValue.count()).toBe(before);
  });

  it("imports an Excel workbook, numbers typed as numbers or as Vietnamese text", async () => {
    const file = path.join(tmp, `figures-${kind}.xlsx`);
    await writeXlsxFile([
      ["unit_code", "period", "indicator", "numerator", "denominator", "reported_rate", "ghi chú"],
      ["455", "2024-06", "so_hoa_ket_qua", 40, 200, 20, "số"],
      ["454", "2024-06", "so_hoa_ket_qua", "1.234", "2.468", "50", "chữ"],
      [454, "2024-06", "cong_tinh_tt_xa", 10, 100, "12,5", "mã đơn vị là số"],
    ]).toFile(file);
    const result = await importIndicatorFile(db.prisma, file, admin);
    expect(result.errors).toEqual([]);
    expect(result.imported).toBe(3);
    expect(result.warnings).toEqual([{ line: 4, message: expect.stringMatching(/12,5% khác tỷ lệ tính được 10%/) }]);
    expect(await db.prisma.indicatorValue.findFirst({ where: { unitCode: old("454"), period: "2024-06", indicatorCode: "so_hoa_ket_qua" } })).toMatchObject({
      numerator: 1234,
      denominator: 2468,
      rate: 50,
    });

    const bad = path.join(tmp, `bad-${kind}.xlsx`);
    await writeXlsxFile([
      ["unit_code", "period", "indicator", "numerator", "denominator"],
      ["455", "2024-07", "so_hoa_ket_qua", 300, 200],
    ]).toFile(bad);
    const rejected = await importIndicatorFile(db.prisma, bad, admin);
    expect(rejected.errors).toEqual([{ line: 2, message: expect.stringMatching(/tử số 300 lớn hơn mẫu số 200/) }]);
  });

  it("writes in chunks in one transaction: an error in a late chunk leaves nothing written, and every error is listed", async () => {
    const communes = (await db.prisma.adminUnit.findMany({ where: { level: "COMMUNE" }, select: { code: true }, orderBy: { code: "asc" }, take: 60 })).map((u) => u.code);
    const rows = communes.map((unit, i) => ({ line: i + 2, unit_code: unit, period: "2025-02", indicator: "so_hoa_ket_qua", numerator: 10 + i, denominator: 100, reported_rate: null }));
    const options = { ...admin, chunkRows: 7 };
    const before = await db.prisma.indicatorValue.count();
    const bad = rows.map((r) => (r.line === 45 ? { ...r, numerator: 500 } : r.line === 58 ? { ...r, unit_code: "khong-co" } : r));
    const rejected = await importRows(db.prisma, bad, options);
    expect(rejected.errors.map((e) => e.line)).toEqual([45, 58]);
    expect(rejected.imported).toBe(0);
    expect(await db.prisma.indicatorValue.count()).toBe(before); // the chunks written before line 45 were rolled back
    const accepted = await importRows(db.prisma, rows, options);
    expect(accepted).toMatchObject({ imported: 60, superseded: 0, unchanged: 0, errors: [] });
    expect(await db.prisma.indicatorValue.count()).toBe(before + 60);
    const again = await importRows(db.prisma, rows.map((r) => (r.line % 2 ? { ...r, numerator: r.numerator + 1 } : r)), options);
    expect(again).toMatchObject({ imported: 30, superseded: 30, unchanged: 30 });
  });

  it("accepts rows from other systems (JSON values)", async () => {
    const result = await importRows(
      db.prisma,
      [{ line: 1, unit_code: "458", period: "2024-03-15", indicator: "vneid_kich_hoat", numerator: 51234, denominator: "60.000", reported_rate: null }],
      admin,
    );
    expect(result).toMatchObject({ imported: 1, errors: [] });
    expect((await current("458", "vneid_kich_hoat"))!.periodKind).toBe("ASOF");
  });
});

describe("demo files", () => {
  it("are where seed-demo looks for them", () => {
    expect(path.basename(demoDir)).toBe("demo");
    expect(path.dirname(asReportedDir)).toBe(demoDir);
  });

  it("import into a database that already has the units, idempotently", async () => {
    const db = await openTestDatabase("pglite");
    try {
      expect((await importUnitsFile(db.prisma, path.join(demoDir, "don-vi.csv"))).errors).toEqual([]);
      const first = await seedDemo(db.prisma);
      const second = await seedDemo(db.prisma);
      expect(second.units.created).toBe(0);
      for (const { result } of second.files) expect(result.imported).toBe(0);
      expect(first.files.reduce((n, f) => n + f.result.imported, 0)).toBe(second.files.reduce((n, f) => n + f.result.unchanged, 0));
    } finally {
      await db.close();
    }
  });
});
