// The one tabular reader (src/core/tabular.ts) with the three real header sets: the unit list, plan tasks
// and indicator figures, as the importers declare them. Headers in Vietnamese with and without diacritics,
// a BOM, quoted commas, CRLF, comments, .xlsx, and bad rows reported with their line.
import { readFileSync } from "node:fs";
import path from "node:path";
import writeXlsxFile from "write-excel-file/node";
import { describe, expect, it } from "vitest";
import { foldHeader, readCsv, readXlsx, rowErrorLines } from "../../src/core/tabular.ts";
import { indicatorTable } from "../../src/features/indicators/importer.ts";
import { taskTable } from "../../src/features/tasks/import.ts";
import { parseUnitsCsv, unitTable } from "../../src/features/units.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("header folding", () => {
  it("folds case, diacritics, spaces, dashes and punctuation the same way for every importer", () => {
    for (const header of ["Mã đơn vị", "ma don vi", "MA_DON_VI", " Mã-đơn-vị (*) ", "mã  đơn vị:"]) expect(foldHeader(header)).toBe("ma_don_vi");
    expect(foldHeader("Đơn vị thực hiện")).toBe("don_vi_thuc_hien");
    expect(foldHeader("Tỷ lệ (%)")).toBe("ty_le");
  });
});

describe("unit files", () => {
  it("reads the fixture's header (code,name,level,parent_code)", () => {
    const parsed = parseUnitsCsv(readFileSync(path.join(root, "tests/fixtures/units-sample.csv"), "utf8"));
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows[0]).toMatchObject({ line: 2, code: "44", name: "Tỉnh Quảng Bình", level: "PROVINCE" });
    expect(parsed.rows[1]).toMatchObject({ line: 3, code: "450", level: "DISTRICT", parent_code: "44" });
  });

  it("reads the demo list's header with valid_to", () => {
    const parsed = parseUnitsCsv(readFileSync(path.join(root, "content/demo/don-vi.csv"), "utf8"));
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows[0]).toMatchObject({ line: 2, code: "44", level: "PROVINCE", valid_to: "2025-06-30" });
  });

  it("takes Vietnamese headers with or without diacritics, a BOM and CRLF, and reports bad rows by line", () => {
    for (const header of ["\uFEFFMã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cha", "ma don vi,ten don vi,cap,ma don vi cha"]) {
      const text = `${header}\r\n44,"Tỉnh Quảng Trị, mới",tỉnh,\r\n\r\n45,Xã Thử,xã nhỏ,44\r\n46,,xã,44\r\n`;
      const parsed = parseUnitsCsv(text);
      expect(parsed.rows).toEqual([{ line: 2, code: "44", name: "Tỉnh Quảng Trị, mới", level: "PROVINCE", parent_code: undefined, valid_from: undefined, valid_to: undefined }]);
      expect(parsed.errors).toEqual([
        { line: 4, message: 'cấp "xã nhỏ" không hợp lệ (province, district, commune, village)' },
        { line: 5, message: "thiếu tên đơn vị" },
      ]);
      expect(rowErrorLines(parsed.errors)[0]).toBe('Dòng 4: cấp "xã nhỏ" không hợp lệ (province, district, commune, village)');
    }
  });

  it("names a missing column on the header line", () => {
    expect(parseUnitsCsv("code,ten\n44,Tỉnh\n").errors).toEqual([{ line: 1, message: expect.stringMatching(/^thiếu cột level \(cần các cột code,name,level/) }]);
  });

  it("refuses two columns that mean the same thing instead of picking one", () => {
    expect(readCsv("code,Mã,name,level\n44,45,Tỉnh,tinh\n", unitTable).errors).toEqual([
      { line: 1, message: 'hai cột "code" và "Mã" cùng là cột code: giữ một cột' },
    ]);
  });
});

describe("task files", () => {
  const rows = ['Hoàn thành thu nhận hồ sơ căn cước,"Kế hoạch 15/KH-UBND, ngày 2/3",19123;19124,Quý I/2023,', "Rà soát dữ liệu,Công văn 2250,450,Thường xuyên,hằng tháng"];

  it.each([
    ["the README's header", "title,document,units,deadline,cadence"],
    ["Vietnamese names without diacritics", "nhiem_vu,van_ban,don_vi,thoi_han,chu_ky"],
    ["Vietnamese headers as officers write them", "Nhiệm vụ,Văn bản,Đơn vị thực hiện,Thời hạn,Chu kỳ"],
    ["the same without diacritics, in capitals", "NHIEM VU,VAN BAN,DON VI THUC HIEN,THOI HAN,CHU KY"],
  ])("reads %s", (_label, header) => {
    const table = readCsv(`\uFEFF${header}\n${rows.join("\n")}\n`, taskTable);
    expect(table.errors).toEqual([]);
    expect(table.rows).toEqual([
      { line: 2, title: "Hoàn thành thu nhận hồ sơ căn cước", document: "Kế hoạch 15/KH-UBND, ngày 2/3", units: "19123;19124", deadline: "Quý I/2023", cadence: "" },
      { line: 3, title: "Rà soát dữ liệu", document: "Công văn 2250", units: "450", deadline: "Thường xuyên", cadence: "hằng tháng" },
    ]);
  });

  it("does not treat a title starting with # as a comment (only figure files have comments)", () => {
    expect(readCsv("title,units,deadline\n#1 Rà soát,450,2023\n", taskTable).rows).toEqual([{ line: 2, title: "#1 Rà soát", units: "450", deadline: "2023" }]);
  });

  it("names every missing required column", () => {
    expect(readCsv("nhiem vu,van ban\nA,B\n", taskTable).errors).toEqual([{ line: 1, message: expect.stringMatching(/^thiếu cột units, deadline/) }]);
  });
});

describe("indicator files", () => {
  it("reads a demo file: comment lines counted, the extra source column ignored, quoted Vietnamese numbers", () => {
    const table = readCsv(readFileSync(path.join(root, "content/demo/quang-binh-2022.csv"), "utf8"), indicatorTable);
    expect(table.errors).toEqual([]);
    expect(table.rows[0]).toEqual({ line: 3, unit_code: "44", period: "2022", indicator: "dvc25_tong", numerator: "151.446", denominator: "230.745", reported_rate: "67" });
  });

  it.each([
    ["with diacritics", "Mã đơn vị,Kỳ báo cáo,Mã chỉ tiêu,Tử số,Mẫu số,Tỷ lệ báo cáo"],
    ["without diacritics", "ma don vi,ky bao cao,ma chi tieu,tu so,mau so,ty le bao cao"],
  ])("takes Vietnamese headers %s", (_label, header) => {
    const table = readCsv(`${header}\n# tháng 3\n89,2024-03,dvc_25,16,"1.166","0,14"\n`, indicatorTable);
    expect(table.rows).toEqual([{ line: 3, unit_code: "89", period: "2024-03", indicator: "dvc_25", numerator: "16", denominator: "1.166", reported_rate: "0,14" }]);
  });

  it("reports a broken quote on the line it opens, past comments and empty lines", () => {
    const text = 'unit_code,period,indicator,numerator\n89,2024-03,a,1\n\n# ghi chú\n89,2024-04,"b,2\n89,2024-05,c,3\n';
    expect(readCsv(text, indicatorTable).errors).toEqual([{ line: 5, message: "tệp CSV hỏng: dấu ngoặc kép không được đóng" }]);
  });

  it("reads the first sheet of a workbook, keeping numbers and dates, lines as the spreadsheet numbers them", async () => {
    const sheet = [
      [{ value: "Mã đơn vị" }, { value: "Kỳ" }, { value: "Chỉ tiêu" }, { value: "Tử số" }, { value: "Mẫu số" }],
      [null, null, null, null, null],
      [{ value: "89" }, { value: new Date(Date.UTC(2024, 2, 15)), format: "dd/mm/yyyy" }, { value: "dvc_25" }, { value: 16 }, { value: 1166 }],
    ];
    const data = await writeXlsxFile(sheet).toBuffer();
    const table = await readXlsx(data, indicatorTable);
    expect(table.errors).toEqual([]);
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]).toMatchObject({ line: 3, unit_code: "89", indicator: "dvc_25", numerator: 16, denominator: 1166 });
    expect(table.rows[0]!.period).toEqual(new Date(Date.UTC(2024, 2, 15)));
  });

  it("says a file that is not a workbook cannot be read", async () => {
    expect((await readXlsx(Buffer.from("unit_code,period\n"), indicatorTable)).errors).toEqual([
      { line: 0, message: expect.stringMatching(/^không đọc được tệp Excel/) },
    ]);
  });
});
