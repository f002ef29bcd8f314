// Plan tasks and units imported through the one tabular reader: Vietnamese headers, a workbook, bad rows
// reported by line with nothing written, and the admin commands' exit codes for a rejected file.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import writeXlsxFile from "write-excel-file/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMessages } from "../../src/core/messages.ts";
import type { Database } from "../../src/db/client.ts";
import { importTasksFile } from "../../src/features/tasks/import.ts";
import type { TaskContext } from "../../src/features/tasks/service.ts";
import { importUnitsFile } from "../../src/features/units.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const tmp = mkdtempSync(path.join(tmpdir(), "troly06-table-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const full = path.join(tmp, name);
  writeFileSync(full, text);
  return full;
}

const actor = { personId: null, label: "test" };

describe("task and unit imports", () => {
  let db: Database;
  let ctx: TaskContext;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedCurrentUnits(db.prisma);
    const settings = { TZ: "Asia/Ho_Chi_Minh", REMINDER_TIME: "08:00", QUIET_HOURS_START: "22:00", QUIET_HOURS_END: "06:00" };
    ctx = { prisma: db.prisma, settings, messages: loadMessages() };
  });
  afterAll(() => db?.close());

  it("imports tasks under Vietnamese headers, units by code or name", async () => {
    const csv = file(
      "viec.csv",
      "\uFEFFNhiệm vụ,Văn bản,Đơn vị thực hiện,Thời hạn,Chu kỳ\r\n" +
        'Thu nhận hồ sơ căn cước,"Kế hoạch 15/KH-UBND, ngày 2/3",19288;Phường Đồng Hới,Quý I/2027,\r\n' +
        "Rà soát dữ liệu,,44,Thường xuyên,hằng tháng\r\n",
    );
    const result = await importTasksFile(ctx, csv, actor);
    expect(result).toMatchObject({ created: 2, updated: 0, errors: [] });
    const task = await db.prisma.planTask.findFirstOrThrow({ where: { title: "Thu nhận hồ sơ căn cước" }, include: { units: true } });
    expect(task.document).toBe("Kế hoạch 15/KH-UBND, ngày 2/3");
    expect(task.units.map((u) => u.unitCode).sort()).toEqual(["18880", "19288"]);
  });

  it("imports tasks from a workbook, a deadline typed as a date", async () => {
    const xlsx = path.join(tmp, "viec.xlsx");
    await writeXlsxFile([
      ["nhiem vu", "don vi", "thoi han"],
      ["Số hóa hồ sơ", "19246", { value: new Date(Date.UTC(2026, 11, 31)), format: "dd/mm/yyyy" }],
    ]).toFile(xlsx);
    expect(await importTasksFile(ctx, xlsx, actor)).toMatchObject({ created: 1, errors: [] });
    const task = await db.prisma.planTask.findFirstOrThrow({ where: { title: "Số hóa hồ sơ" } });
    expect(task.dueDate?.toISOString().slice(0, 10)).toBe("2026-12-31");
  });

  it("reports every bad row by its line (comments are not a thing here, empty lines count) and writes nothing", async () => {
    const before = await db.prisma.planTask.count();
    const csv = file("sai.csv", "title,units,deadline\nViệc một,19288,31/12/2026\n\nViệc hai,khong-co,31/12/2026\nViệc ba,19288,31/4/2027\n");
    const result = await importTasksFile(ctx, csv, actor);
    expect(result.errors).toEqual([
      { line: 4, message: 'không tìm thấy đơn vị "khong-co"' },
      { line: 5, message: expect.stringMatching(/không có thật/) },
    ]);
    expect(await db.prisma.planTask.count()).toBe(before);
  });

  it("imports units under Vietnamese headers and rejects a bad row by line", async () => {
    const ok = file("thon.csv", "Mã,Tên,Cấp,Mã đơn vị cha\nT1,Thôn Một,thôn,19288\n");
    expect(await importUnitsFile(db.prisma, ok)).toMatchObject({ created: 1, errors: [] });
    const bad = file("thon-sai.csv", "ma,ten,cap,ma don vi cha\nT2,Thôn Hai,thôn,19288\nT3,Thôn Ba,thôn,KHONG\n");
    expect((await importUnitsFile(db.prisma, bad)).errors).toEqual([{ line: 3, message: "T3: không tìm thấy đơn vị cha KHONG" }]);
    expect(await db.prisma.adminUnit.findUnique({ where: { code: "T2" } })).toBeNull();
  });
});

describe("the admin commands on a rejected file", () => {
  const root = path.resolve(import.meta.dirname, "../..");
  const dataDir = mkdtempSync(path.join(tmpdir(), "troly06-tablecli-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", DATABASE_URL: "", REDIS_URL: "", UNIT_LIST: "none" };

  async function admin(...args: string[]): Promise<{ stderr: string; code: number }> {
    try {
      const { stderr } = await promisify(execFile)(path.join(root, "node_modules/.bin/tsx"), ["src/cli/admin.ts", ...args], { cwd: root, env });
      return { stderr, code: 0 };
    } catch (error) {
      const e = error as { stderr: string; code: number };
      return { stderr: e.stderr, code: e.code };
    }
  }

  it("exit 1 with the row report, for units and for tasks", { timeout: 120_000 }, async () => {
    const units = await admin("import-units", file("cli-units.csv", "code,name,level\n44,Tỉnh,tinh\n45,Xã,commune\n"));
    expect(units.code).toBe(1);
    expect(units.stderr).toMatch(/Dòng 3: 45: đơn vị cấp dưới phải có parent_code/);
    const tasks = await admin("import-tasks", file("cli-tasks.csv", "title,units\nViệc,44\n"), "--dry-run");
    expect(tasks.code).toBe(1);
    expect(tasks.stderr).toMatch(/Dòng 1: thiếu cột deadline/);
  });
});
