// POST /api/indicators on the running app: bearer token, malformed bodies refused with no partial write,
// row errors listed with nothing written, warnings returned, figures stored with their source.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { seedCurrentUnits } from "../helpers/units.ts";

const TOKEN = "indicators-api-token-0123456789abcdef";

describe("POST /api/indicators", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-indapi-"));
  let app: RunningApp;
  const post = (body: string, token = TOKEN) =>
    fetch(`${app.url}/api/indicators`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
  const count = () => app.db.prisma.indicatorValue.count();

  beforeAll(async () => {
    app = await startApp(
      testConfig({
        DATA_DIR: dir,
        REDIS_URL: inject("redisUrl"),
        DATABASE_URL: await createPostgresDatabase(),
        ADMIN_API_TOKEN: TOKEN,
        SHUTDOWN_GRACE_MS: "1000",
      }),
      createLogger("silent"),
    );
    await seedCurrentUnits(app.db.prisma);
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const good = {
    source: "igate",
    rows: [
      { unit_code: "44", period: "2026-10", indicator: "dvc25_tong", numerator: "151.446", denominator: "230.745", reported_rate: "67" },
      { unit_code: 19288, period: "2026-10", indicator: "so_hoa_ket_qua", numerator: 35, denominator: 100 },
      { unit_code: "18880", period: "2026-10-20", indicator: "hoi_nong_dan", numerator: 1234, denominator: null },
    ],
  };

  it("requires the token", async () => {
    expect((await post(JSON.stringify(good), "wrong")).status).toBe(401);
    expect(await count()).toBe(0);
  });

  it("answers malformed JSON and malformed bodies with 400 and writes nothing", async () => {
    const broken = await post('{"rows": [{"unit_code": "44", "period": "2026-10"');
    expect(broken.status).toBe(400);
    const wrongShape = await post(JSON.stringify({ rows: [{ unit_code: "44", period: "2026-10", indicator: "dvc25_tong" }] }));
    expect(wrongShape.status).toBe(400);
    expect(JSON.stringify(await wrongShape.json())).toMatch(/rows\.0\.numerator/);
    expect((await post(JSON.stringify({ rows: [] }))).status).toBe(400);
    expect((await post(JSON.stringify({ ...good, extra: true }))).status).toBe(400);
    expect(await count()).toBe(0);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("rejects the whole batch when a row is wrong, listing every problem by row", async () => {
    const response = await post(
      JSON.stringify({
        rows: [
          ...good.rows,
          { unit_code: "44", period: "2026-10", indicator: "bhxh_xac_thuc", numerator: "153.221", denominator: "152.275", reported_rate: "99,4" },
          { unit_code: "nowhere", period: "2026-10", indicator: "dvc25_tong", numerator: 1, denominator: 2 },
          // An indicator that ended (no district one-stop desks since 1/7/2025) takes no 2026 figure.
          { unit_code: "19288", period: "2026-10", indicator: "cong_tinh_tt_huyen", numerator: 1, denominator: 2 },
        ],
      }),
    );
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: Array<{ row: number; message: string }> };
    expect(body.errors).toEqual([
      { row: 4, message: expect.stringMatching(/tử số 153\.221 lớn hơn mẫu số 152\.275/) },
      { row: 5, message: expect.stringMatching(/không có đơn vị mã "nowhere"/) },
      { row: 6, message: expect.stringMatching(/chỉ tiêu "cong_tinh_tt_huyen" đã kết thúc sau ngày 30\/06\/2025/) },
    ]);
    expect(await count()).toBe(0);
  });

  it("checks without writing on a dry run", async () => {
    const response = await post(JSON.stringify({ ...good, dryRun: true }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ dryRun: true, rows: 3, imported: 0 });
    expect(await count()).toBe(0);
  });

  it("imports valid rows, returns the rate warnings and records the source", async () => {
    const response = await post(JSON.stringify(good));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { imported: number; warnings: Array<{ row: number; message: string }> };
    expect(body.imported).toBe(3);
    expect(body.warnings).toEqual([{ row: 1, message: expect.stringMatching(/67% khác tỷ lệ tính được 65,63%/) }]);
    const stored = await app.db.prisma.indicatorValue.findFirstOrThrow({ where: { unitCode: "44", indicatorCode: "dvc25_tong" } });
    expect(stored).toMatchObject({ numerator: 151446, denominator: 230745, reportedRate: 67, source: "API", enteredBy: "api:igate" });
    const audit = await app.db.prisma.auditLog.findFirst({ where: { action: "indicators.import" } });
    expect(audit?.actorLabel).toBe("api:igate");
    // Pushing the same figures again changes nothing.
    expect(await (await post(JSON.stringify(good))).json()).toMatchObject({ imported: 0, unchanged: 3 });
  });
});
