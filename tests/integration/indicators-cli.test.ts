// The operator's path, as separate processes on one embedded database: list the catalogue, load the
// demo, import a file (dry run, then for real), grant a role, ask /tiendo through the CLI channel.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "troly06-indcli-"));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", DATABASE_URL: "", REDIS_URL: "" };
const tsx = path.join(root, "node_modules/.bin/tsx");
const run = promisify(execFile);

async function admin(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(tsx, ["src/cli/admin.ts", ...args], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe("indicators from the command line", () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // The first run creates the embedded database and loads the official list of units into it.
  it("lists the catalogue as JSON", { timeout: 120_000 }, async () => {
    const { stdout, code } = await admin("indicators", "--json");
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as Array<Record<string, string>>;
    expect(list.length).toBeGreaterThan(60);
    for (const item of list) expect(Object.keys(item).sort()).toEqual(["code", "group", "kind", "name", "since", "until"]);
    expect(list.find((i) => i.code === "dvc25_tong")).toEqual({
      code: "dvc25_tong",
      name: "Hồ sơ nộp trực tuyến của 25 dịch vụ công thiết yếu",
      group: "Dịch vụ công thiết yếu",
      kind: "share",
      since: null,
      until: null,
    });
    // Ended ones stay in the catalogue (old figures keep their indicator), with their last day.
    expect(list.find((i) => i.code === "cong_tinh_tt_huyen")).toMatchObject({ until: "2025-06-30" });
    expect(list.find((i) => i.code === "dvc_xac_nhan_cmnd")).toMatchObject({ until: "2026-03-14" });
    expect(list.find((i) => i.code === "cc_cap_lai_dia_gioi")).toMatchObject({ since: "2025-07-01", until: null });
  });

  it("loads the demo, imports a file, and answers /tiendo to an officer granted on the CLI", { timeout: 240_000 }, async () => {
    const seeded = await admin("seed-demo");
    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/hai-cap\/mau-2026-quang-tri\.csv: đã nhập 98 dòng/);
    expect(seeded.stdout).toMatch(/an-giang-2024-03\.csv: Dòng 25: cảnh báo: .*0,14%.*1,37%/);
    expect(seeded.stdout).toMatch(/nhu-bao-cao\/binh-son-2023-12\.csv: Dòng 3: LỖI: tử số 153\.221 lớn hơn mẫu số 152\.275/);

    const file = path.join(dataDir, "thang-4.csv");
    writeFileSync(file, 'unit_code,period,indicator,numerator,denominator,reported_rate\n457-20,2023-01-31,so_hoa_ket_qua,60,145,"41,38"\n');
    const dry = await admin("import-indicators", file, "--dry-run");
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringMatching(/kiểm tra xong, chưa ghi gì — 1 dòng hợp lệ/) });
    const bad = path.join(dataDir, "sai.csv");
    writeFileSync(bad, "unit_code,period,indicator,numerator,denominator\n457-20,2023-01-31,so_hoa_ket_qua,160,145\n");
    const rejected = await admin("import-indicators", bad);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/sai\.csv: Dòng 2: LỖI: tử số 160 lớn hơn mẫu số 145/);
    // After the row report, one line says the file was rejected — on a dry run too.
    expect(rejected.stderr.trim().split("\n").at(-1)).toMatch(/^sai\.csv: không nhập dòng nào — 1 dòng có lỗi/);
    const rejectedDry = await admin("import-indicators", bad, "--dry-run");
    expect(rejectedDry.code).toBe(1);
    expect(rejectedDry.stderr.trim().split("\n").at(-1)).toMatch(/^sai\.csv: không nhập dòng nào/);
    // The rejected file wrote nothing: the real one supersedes no earlier value of that period.
    expect((await admin("import-indicators", file)).stdout).toMatch(/đã nhập 1 dòng \(thay 0 số liệu cũ/);

    expect((await admin("grant", "--channel", "cli", "--user", "can-bo-sen-thuy", "--role", "officer", "--unit", "457-20")).code).toBe(0);
    const { stdout } = await run(tsx, ["src/cli/ask.ts", "--user", "can-bo-sen-thuy", "/tiendo"], { cwd: root, env });
    expect(stdout).toMatch(/Tiến độ Đề án 06 — Xã Sen Thủy/);
    expect(stdout).toMatch(/Số hóa kết quả giải quyết: 41,4% \(60\/145 hồ sơ\)/);
    expect(stdout).toMatch(/so với kỳ trước \(đến 30\/12\/2022\): \+4,8 điểm %/);
    const citizen = await run(tsx, ["src/cli/ask.ts", "--user", "nguoi-dan", "/tiendo"], { cwd: root, env });
    expect(citizen.stdout).toMatch(/không có quyền/);
  });

  it("the demo also has a 2026 sample on today's units: Quảng Trị with the old Quảng Bình's figures as its history", { timeout: 240_000 }, async () => {
    // The previous test ran seed-demo on this DATA_DIR, where the official list is loaded (the default).
    expect((await admin("grant", "--channel", "cli", "--user", "giam-sat-quang-tri", "--role", "supervisor", "--unit", "44")).code).toBe(0);
    const { stdout } = await run(tsx, ["src/cli/ask.ts", "--user", "giam-sat-quang-tri", "/tiendo"], { cwd: root, env });
    expect(stdout).toMatch(/Tiến độ Đề án 06 — Tỉnh Quảng Trị/);
    expect(stdout).toMatch(/Trực tuyến trên Cổng DVC quốc gia: 68,5% \(52\.300\/76\.300 hồ sơ\) · tháng 11\/2026/);
    expect(stdout).toMatch(/Thấp nhất trong các đơn vị cấp dưới — .*tháng 11\/2026/);
    expect(stdout).toMatch(/Trước 01\/07\/2025 — số liệu của các đơn vị cũ nay thuộc Tỉnh Quảng Trị:\nTỉnh Quảng Bình — nhập toàn bộ vào Tỉnh Quảng Trị:/);
  });
});
