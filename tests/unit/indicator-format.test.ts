// Vietnamese numbers in and out, reporting periods, the indicator catalogue, the chart renderer.
import { describe, expect, it } from "vitest";
import { appliesTo, currentIndicators, findIndicators, hasEnded, loadCatalog, parseCatalog } from "../../src/features/indicators/catalog.ts";
import { barChartPng } from "../../src/features/indicators/chart.ts";
import {
  computeRate,
  formatCountChange,
  formatNumber,
  formatPercent,
  formatPointChange,
  parseVietnameseNumber,
} from "../../src/features/indicators/numbers.ts";
import { isStale, parsePeriod, periodLabel, periodStart } from "../../src/features/indicators/periods.ts";
import { fitText } from "../../src/features/indicators/views.ts";
import { readCsv } from "../../src/core/tabular.ts";

const value = (raw: string | number) => {
  const parsed = parseVietnameseNumber(raw);
  return parsed.ok ? parsed.value : null;
};

describe("parseVietnameseNumber", () => {
  it.each([
    ["1.234.567", 1234567],
    ["151.446", 151446],
    ["1.234", 1234],
    ["82,03", 82.03],
    ["0,14", 0.14],
    ["1.234,5", 1234.5],
    ["1234567", 1234567],
    ["00", 0],
    ["02", 2],
    ["19.23", 19.23],
    ["98.87 %", 98.87],
    ["67%", 67],
    ["2,467", 2.467], // a comma is a decimal mark, even before three digits
    [" 1 234 ", 1234],
    ["1\u00A0234", 1234],
    ["-5", -5],
    [42, 42],
  ] as const)("%j → %d", (raw, expected) => {
    expect(value(raw)).toBeCloseTo(expected, 10);
  });

  it.each(["", "85/98%", "1,234,567", "12a", "1.23.4", "abc", "1..2", ","])("rejects %j", (raw) => {
    expect(parseVietnameseNumber(raw).ok).toBe(false);
  });

  it("explains what it expected", () => {
    const parsed = parseVietnameseNumber("85/98%");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/không đúng định dạng số.*1\.234\.567/);
  });
});

describe("formatting", () => {
  it("groups thousands with dots and uses a decimal comma", () => {
    expect(formatNumber(1234567)).toBe("1.234.567");
    expect(formatNumber(1234)).toBe("1.234");
    expect(formatNumber(999)).toBe("999");
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(-1234.5, 1)).toBe("-1.234,5");
    expect(formatNumber(2.5, 2)).toBe("2,5");
  });

  it("prints rates like the reports: 65,6%, 0,14%, 100%", () => {
    expect(formatPercent(computeRate(151446, 230745)!)).toBe("65,6%");
    expect(formatPercent(computeRate(16, 1166)!)).toBe("1,4%");
    expect(formatPercent(computeRate(16, 1166)!, 2)).toBe("1,37%");
    expect(formatPercent(0.14)).toBe("0,14%");
    expect(formatPercent(100)).toBe("100%");
    expect(formatPercent(95.0)).toBe("95%");
    expect(formatPercent(154.36)).toBe("154,4%");
  });

  it("prints changes in points and counts", () => {
    expect(formatPointChange(2.34)).toBe("+2,3 điểm %");
    expect(formatPointChange(-10)).toBe("−10 điểm %");
    expect(formatPointChange(0.01)).toBe("±0 điểm %");
    expect(formatCountChange(1234)).toBe("+1.234");
    expect(formatCountChange(-5)).toBe("−5");
  });

  it("computes no rate from a zero denominator", () => {
    expect(computeRate(0, 0)).toBeNull();
  });
});

describe("periods", () => {
  it.each([
    ["2024-03", "MONTH", "2024-03", "2024-03-31"],
    ["03/2024", "MONTH", "2024-03", "2024-03-31"],
    ["T3/2024", "MONTH", "2024-03", "2024-03-31"],
    ["2024-02", "MONTH", "2024-02", "2024-02-29"],
    ["2024-Q1", "QUARTER", "2024-Q1", "2024-03-31"],
    ["Q4/2023", "QUARTER", "2023-Q4", "2023-12-31"],
    ["quý 2/2024", "QUARTER", "2024-Q2", "2024-06-30"],
    ["2022", "YEAR", "2022", "2022-12-31"],
    ["2024-03-15", "ASOF", "2024-03-15", "2024-03-15"],
    ["30/12/2022", "ASOF", "2022-12-30", "2022-12-30"],
  ] as const)("%s → %s %s ending %s", (raw, kind, key, end) => {
    const period = parsePeriod(raw);
    expect(period).toEqual({ kind, key, end: new Date(`${end}T00:00:00Z`) });
  });

  it.each(["2024-13", "2024-02-30", "2024-Q5", "1999", "tháng ba", "", "2024/03/15x"])("rejects %j", (raw) => {
    expect(parsePeriod(raw)).toBeNull();
  });

  it.each([
    ["2026-03", "2026-03-01"],
    ["2026-Q1", "2026-01-01"],
    ["2025-Q3", "2025-07-01"],
    ["2026", "2026-01-01"],
    ["2026-03-20", "2026-03-20"],
  ] as const)("%s starts on %s", (raw, start) => {
    expect(periodStart(parsePeriod(raw)!)).toEqual(new Date(`${start}T00:00:00Z`));
  });

  it("labels periods in Vietnamese and knows when a figure is stale", () => {
    const march = parsePeriod("2024-03")!;
    expect(periodLabel(march.kind, march.key, march.end)).toBe("tháng 3/2024");
    const asOf = parsePeriod("2024-03-15")!;
    expect(periodLabel(asOf.kind, asOf.key, asOf.end)).toBe("đến 15/03/2024");
    expect(isStale("MONTH", march.end, new Date("2024-04-20T00:00:00Z"))).toBe(false);
    expect(isStale("MONTH", march.end, new Date("2024-06-01T00:00:00Z"))).toBe(true);
    const year = parsePeriod("2022")!;
    expect(isStale("YEAR", year.end, new Date("2023-02-01T00:00:00Z"))).toBe(false);
    expect(isStale("YEAR", year.end, new Date("2024-01-01T00:00:00Z"))).toBe(true);
  });
});

describe("indicator catalogue", () => {
  const catalog = loadCatalog();

  it("covers what the seed reports track, the 25 essential services numbered 1–25", () => {
    expect(catalog.services.map((s) => s.service)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    for (const code of [
      "dvc25_tong", "cccd_thu_nhan", "vneid_dang_ky", "vneid_kich_hoat", "vneid_dang_ky_m1", "vneid_kich_hoat_m2",
      "vneid_m2_tren_cccd", "so_hoa_tiep_nhan", "so_hoa_ket_qua", "cong_tinh_tt", "yte_csyt_cccd", "yte_tra_cuu_cccd",
      "bhxh_xac_thuc", "ansinh_chi_tk", "tre_em_lam_sach", "lamsach_cmnd9", "lamsach_huy_ddcn", "hoi_nong_dan",
    ]) {
      expect(catalog.byCode.has(code), code).toBe(true);
    }
    expect(catalog.byCode.get("vneid_kich_hoat")!.kind).toBe("target");
    expect(catalog.byCode.get("dvc_thuong_tru")!.kind).toBe("share");
    expect(catalog.byCode.get("hoi_nong_dan")!.kind).toBe("count");
  });

  it("finds indicators by code, alias or words, with or without diacritics", () => {
    expect(findIndicators(catalog, "vneid")[0]!.code).toBe("vneid_kich_hoat");
    expect(findIndicators(catalog, "dvc_thuong_tru")[0]!.code).toBe("dvc_thuong_tru");
    expect(findIndicators(catalog, "số hóa kết quả")[0]!.code).toBe("so_hoa_ket_qua");
    expect(findIndicators(catalog, "tre em").map((d) => d.code)).toContain("tre_em_lam_sach");
    expect(findIndicators(catalog, "thuong tru").map((d) => d.code)).toContain("dvc_thuong_tru");
    expect(findIndicators(catalog, "khong co chi tieu nay")).toEqual([]);
  });

  it("marks what ended as history and adds what the two tiers track", () => {
    const code = (c: string) => catalog.byCode.get(c)!;
    // District one-stop desks ended with the districts; DVC 1 with NĐ 58/2026 (15/3/2026); the COVID-19 items.
    expect(code("cong_tinh_tt_huyen")).toMatchObject({ until: "2025-06-30" });
    expect(code("dvc_xac_nhan_cmnd")).toMatchObject({ until: "2026-03-14", ended: expect.stringMatching(/NĐ 58\/2026/) });
    for (const c of ["tiem_chung_cap_nhat", "tiem_chung_xac_thuc", "tiem_chung_ky_so", "nq68_cap_nhat", "lamsach_tiem_chung"]) {
      expect(code(c).until, c).toBe("2025-06-30");
    }
    const december = new Date("2026-12-01T00:00:00Z");
    const listed = currentIndicators(catalog, december).map((d) => d.code);
    expect(listed).not.toContain("cong_tinh_tt_huyen");
    expect(listed).not.toContain("dvc_xac_nhan_cmnd");
    expect(listed).toEqual(expect.arrayContaining(["cong_qg_tt_xa", "cc_tre_em_duoi_14", "vneid_to_chuc", "cc_cap_lai_dia_gioi", "cong_tinh_tt_xa"]));
    // Before 15/3/2026 DVC 1 was still in force.
    expect(currentIndicators(catalog, new Date("2026-03-14T12:00:00Z")).map((d) => d.code)).toContain("dvc_xac_nhan_cmnd");
    expect(hasEnded(code("dvc_xac_nhan_cmnd"), new Date("2026-03-14T23:59:00Z"))).toBe(false);
    expect(hasEnded(code("dvc_xac_nhan_cmnd"), new Date("2026-03-15T00:00:00Z"))).toBe(true);
    const span = (raw: string) => {
      const p = parsePeriod(raw)!;
      return [periodStart(p), p.end] as const;
    };
    expect(appliesTo(code("dvc_xac_nhan_cmnd"), ...span("2026-03"))).toBe(true);
    expect(appliesTo(code("dvc_xac_nhan_cmnd"), ...span("2026-04"))).toBe(false);
    expect(appliesTo(code("cc_cap_lai_dia_gioi"), ...span("2025-06"))).toBe(false);
    expect(appliesTo(code("cc_cap_lai_dia_gioi"), ...span("2025"))).toBe(true);
  });

  it("rejects a catalogue with mistakes, naming the problem", () => {
    expect(() => parseCatalog('indicators:\n  - { code: ab, name: Tên, group: G, kind: share, until: "2025-06-30" }\n')).toThrow(/ended: until và ended/);
    expect(() => parseCatalog('indicators:\n  - { code: ab, name: Tên, group: G, kind: share, until: "30/06/2025", ended: "lý do" }\n')).toThrow(/until/);
    expect(() => parseCatalog("indicators:\n  - { code: A-B, name: Tên, group: G, kind: share }\n")).toThrow(/indicators\.0\.code/);
    expect(() => parseCatalog("indicators:\n  - { code: ab, name: Tên, group: G, kind: ratio }\n")).toThrow(/kind/);
    expect(() =>
      parseCatalog("indicators:\n  - { code: ab, name: Tên a, group: G, kind: share }\n  - { code: ab, name: Tên b, group: G, kind: count }\n"),
    ).toThrow(/hai lần/);
  });
});

describe("the CSV reader of figure files", () => {
  const spec = { columns: { a: [], b: [], c: [] }, required: ["a"], comments: true } as const;

  it("reads quoted fields, escaped quotes, CRLF, a BOM, comments and empty lines, with line numbers", () => {
    const text = '\uFEFFa,b,c\r\n# comment\r\n\r\n 44 ,"82,03","say ""hi"""\r\n"two\nlines",x,\n45,,"last"';
    expect(readCsv(text, spec)).toEqual({
      rows: [
        { a: "44", b: "82,03", c: 'say "hi"', line: 4 },
        { a: "two\nlines", b: "x", c: "", line: 5 },
        { a: "45", b: "", c: "last", line: 7 },
      ],
      errors: [],
    });
  });

  it("reports an unclosed quote with its line", () => {
    expect(readCsv('a,b\n1,"2\n', spec).errors).toEqual([{ line: 2, message: expect.stringMatching(/ngoặc kép/) }]);
  });
});

describe("text and chart output", () => {
  it("keeps texts within one Telegram message", () => {
    const lines = Array.from({ length: 500 }, (_, i) => `${i}. Xã Thử Nghiệm số ${i}: 65,6% (151.446/230.745 hồ sơ)`);
    const text = fitText(lines);
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(text.endsWith("…")).toBe(true);
  });

  it("renders a valid PNG with Vietnamese labels", () => {
    const png = barChartPng({
      title: "Số hóa kết quả giải quyết TTHC",
      subtitle: "Tỉnh Quảng Bình · đến 30/12/2022",
      bars: [
        { label: "Huyện Quảng Ninh", value: 25.09, valueLabel: "25,1%" },
        { label: "Huyện Quảng Trạch", value: 0.23, valueLabel: "0,23%", highlight: true },
      ],
      max: 30,
      reference: { value: 14.7, label: "Tỉnh: 14,7%" },
      footnote: "Nguồn: Phụ lục IV",
    });
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(960); // IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThan(100); // IHDR height
    expect(png.length).toBeGreaterThan(5000); // text and bars, not an empty canvas
  });
});
