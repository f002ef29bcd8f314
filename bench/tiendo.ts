// npm run bench:tiendo — how fast /tiendo answers on today's two tiers, how fast a unit name typed by a
// user resolves, how fast the official list loads, and how fast figures import.
//
// The tree is the official list (34 provinces, 3,321 communes, 10,823 old communes and their successions),
// loaded by the same start-up loader as production. Figures: 60 indicators in force × 24 months for every
// province and commune (≈4.8 million values), generated inside the database (INSERT … SELECT over
// generate_series, one statement per province), plus 2024 figures on the old wards of Quận Gò Vấp, so the
// history of a merged ward is read as well. Then /tiendo through the real pipeline (identity, rate limit,
// conversation log, policy, queries, formatting) for the supervisor of the largest province (Thành phố Hồ
// Chí Minh, 79: 168 wards, communes and special zones) and an officer of one of its wards; name resolution
// (findUnits, as /dangky, /tiendo <đơn vị>, /thongbao use it) over the whole list, with and without
// diacritics, current and old names; and the import of a 100,000-row CSV.
// Prints figures only; nothing here asserts on time. Targets (issue 13): /tiendo p99 < 100 ms, name
// resolution p99 < 5 ms, the official list into a fresh embedded database < 5 s; imports > 20,000 rows/s.
//
// On a throwaway PostgreSQL cluster by default (Debian's postgresql package, as the tests use);
// BENCH_DATABASE_URL=postgres://… on an empty existing database; `-- --pglite` on the embedded PGlite
// with 6 months instead of 24. BENCH_RUNS (default 200) sets the number of timed questions.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createCore } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { openDatabase } from "../src/db/client.ts";
import { grantRole, personForAccount } from "../src/features/access/service.ts";
import { currentIndicators, ensureCatalog, loadCatalog } from "../src/features/indicators/catalog.ts";
import { importRows, readIndicatorFile } from "../src/features/indicators/importer.ts";
import { formatNumber } from "../src/features/indicators/numbers.ts";
import { findUnits } from "../src/features/units.ts";
import { foldDiacritics } from "../src/core/text.ts";
import { createLogger } from "../src/logging/logger.ts";
import { startPostgres } from "../tests/helpers/postgres-server.ts";

const INDICATORS = 60;
// The embedded PGlite (WebAssembly, at most 2 GB of memory) stalls loading millions of values; with
// --pglite every unit gets 6 months of history.
const PGLITE = process.argv.includes("--pglite");
const MONTHS = Number(process.env.BENCH_MONTHS ?? (PGLITE ? 6 : 24));
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const IMPORT_ROWS = 100_000;
const PROVINCE = "79"; // Thành phố Hồ Chí Minh: the most units below one province (168)
const NOW = new Date("2026-12-02T03:00:00Z");

const dir = mkdtempSync(path.join(tmpdir(), "troly06-bench-"));
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (n: number) => `${n.toFixed(1).padStart(6)} ms`;
const row = (label: string, times: number[], extra = "") => {
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`  ${label.padEnd(44)} p50 ${ms(percentile(sorted, 50))}   p99 ${ms(percentile(sorted, 99))}   ${extra}`);
};

// 1. The official list into a fresh embedded database (what `npm start` does the first time).
{
  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const fresh = await openDatabase({ pgliteDir: "memory://", officialUnits: true });
    try {
      const report = await fresh.migrate();
      loads.push(report.units?.ms ?? Number.NaN);
    } finally {
      await fresh.close();
    }
  }
  console.log(`Official list into a fresh embedded PGlite (3 runs): ${loads.map((t) => `${(t / 1000).toFixed(2)} s`).join(", ")}\n`);
}

// PostgreSQL, as a province runs it: a throwaway cluster from the Debian binaries, sized like a small
// production server; or BENCH_DATABASE_URL, an empty existing database; or --pglite.
const server =
  !PGLITE && !process.env.BENCH_DATABASE_URL ? startPostgres(55000 + (process.pid % 5000), { shared_buffers: "1GB", max_wal_size: "4GB" }) : undefined;
const databaseUrl = PGLITE ? undefined : (process.env.BENCH_DATABASE_URL ?? server?.url);
const db = await openDatabase(databaseUrl ? { databaseUrl, officialUnits: true } : { pgliteDir: path.join(dir, "db"), officialUnits: true });

try {
  const migrated = await db.migrate();
  console.log(`Database: ${db.kind}; official list loaded in ${((migrated.units?.ms ?? 0) / 1000).toFixed(2)} s (${formatNumber(migrated.units?.units ?? 0)} units).`);
  const { prisma } = db;
  const catalog = loadCatalog();
  await ensureCatalog(prisma, catalog);
  // Indicators in force only: the ended ones take no figures for 2025–2026.
  const indicators = currentIndicators(catalog, NOW).slice(0, INDICATORS);
  const [counts] = await db.sql.query<{ provinces: number; communes: number }>(
    `SELECT count(*) FILTER (WHERE level = 'PROVINCE')::int AS provinces, count(*) FILTER (WHERE level = 'COMMUNE')::int AS communes
       FROM admin_unit WHERE valid_to IS NULL`,
  );
  console.log(`Building ${counts!.provinces} provinces + ${formatNumber(counts!.communes)} communes × ${indicators.length} indicators × ${MONTHS} months…`);

  // Bulk load as a database restore does: the foreign keys of indicator_value are dropped first and
  // re-created afterwards from their own definitions (validated over all rows at once), so the schema
  // ends exactly as the migrations made it.
  const foreignKeys = await db.sql.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'indicator_value'::regclass AND contype = 'f'`,
  );
  for (const fk of foreignKeys) await db.sql.exec(`ALTER TABLE indicator_value DROP CONSTRAINT "${fk.name}"`);
  const indicatorJson = JSON.stringify(indicators.map((d) => ({ code: d.code, kind: d.kind })));
  const provinces = await db.sql.query<{ code: string }>(`SELECT code FROM admin_unit WHERE level = 'PROVINCE' AND valid_to IS NULL ORDER BY code`);
  // The last MONTHS months up to November 2026, one statement per province, rows in index order.
  const firstMonth = `date '2026-12-01' - make_interval(months => ${MONTHS})`;
  for (const [i, p] of provinces.entries()) {
    await db.sql.query(
      `WITH ind AS (SELECT * FROM json_to_recordset($1::json) AS x(code text, kind text)),
            p AS (SELECT to_char(${firstMonth} + make_interval(months => m), 'YYYY-MM') AS period,
                         (${firstMonth} + make_interval(months => m + 1) - interval '1 day')::date AS period_end
                  FROM generate_series(0, $3::int - 1) m),
            raw AS (
              SELECT u.code AS unit_code, ind.code AS indicator_code, ind.kind, p.period, p.period_end,
                     CASE WHEN ind.kind = 'count' THEN NULL ELSE 200 + floor(random() * 800) END AS d, random() AS r
              FROM admin_unit u CROSS JOIN ind CROSS JOIN p
              WHERE u.valid_to IS NULL AND (u.code = $2 OR u.parent_code = $2)),
            v AS (
              SELECT *, CASE WHEN kind = 'count' THEN floor(r * 5000)
                             WHEN kind = 'target' THEN floor(d * (0.4 + r * 0.8))
                             ELSE floor(d * (0.2 + r * 0.8)) END AS n FROM raw)
       INSERT INTO indicator_value (unit_code, indicator_code, period_kind, period, period_end, numerator, denominator, rate,
                                    reported_rate, source, entered_by, created_at)
       SELECT unit_code, indicator_code, 'MONTH', period, period_end, n, d, CASE WHEN d IS NULL THEN NULL ELSE n / d * 100 END,
              NULL, 'IMPORT', 'bench', now()
       FROM v ORDER BY unit_code, indicator_code, period`,
      [indicatorJson, p.code, MONTHS],
    );
    if ((i + 1) % 5 === 0 || i === provinces.length - 1) console.log(`  ${i + 1}/${provinces.length} provinces (${elapsed()})`);
  }
  // The old wards of Quận Gò Vấp (Thành phố Hồ Chí Minh) get 2024 figures: a ward formed from them shows them.
  await db.sql.query(
    `INSERT INTO indicator_value (unit_code, indicator_code, period_kind, period, period_end, numerator, denominator, rate,
                                  reported_rate, source, entered_by, created_at)
     SELECT u.code, i.code, 'MONTH', '2024-12', date '2024-12-31', 500, 1000, 50, NULL, 'IMPORT', 'bench', now()
       FROM admin_unit u CROSS JOIN json_to_recordset($1::json) AS i(code text, kind text)
      WHERE u.valid_to IS NOT NULL AND u.former_context = 'Quận Gò Vấp, Thành phố Hồ Chí Minh' AND i.kind <> 'count'`,
    [indicatorJson],
  );
  for (const fk of foreignKeys) await db.sql.exec(`ALTER TABLE indicator_value ADD CONSTRAINT "${fk.name}" ${fk.def}`);
  await db.sql.exec("ANALYZE");
  const [counted] = await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM indicator_value");
  console.log(`Built ${formatNumber(counted?.n ?? 0)} values in ${elapsed()}.\n`);

  // A ward of the province formed from old wards with figures (Phường An Hội Tây: Phường 12 and 14 whole,
  // part of Phường 13), and the ward the province's summary lists first.
  const ward = "26882";
  const op = { personId: null, label: "bench" };
  const users = [
    { who: `province 79 (supervisor, 168 units below)`, user: "bench-province", role: "SUPERVISOR" as const, unit: PROVINCE },
    { who: `ward ${ward} (officer, 3 old wards)`, user: "bench-ward", role: "OFFICER" as const, unit: ward },
  ];
  for (const u of users) await grantRole(prisma, { personId: await personForAccount(prisma, "cli", u.user), role: u.role, unitCode: u.unit, by: op });

  const config = loadConfig({ LOG_LEVEL: "silent", DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: "10000" });
  const core = createCore({ config, db, log: createLogger("silent") });
  const ask = (user: string, text: string) => core.pipeline.handle({ channel: "cli", userId: user, chatId: user, text, receivedAt: NOW });

  console.log(`/tiendo through the pipeline, ${RUNS} runs each after 10 warm-up runs:`);
  const timed = async (user: string, text: string, runs: number) => {
    for (let i = 0; i < 10; i++) await ask(user, text);
    const times: number[] = [];
    let chars = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const result = await ask(user, text);
      times.push(performance.now() - t0);
      chars = result.replies[0]?.text.length ?? 0;
    }
    return { times, chars };
  };
  for (const u of users) {
    const { times, chars } = await timed(u.user, "/tiendo", RUNS);
    row(u.who, times, `(${chars} chars)`);
  }
  for (const [label, text] of [
    ["province, one indicator across 168 units", `/tiendo ${indicators[0]!.code}`],
    ["province, 25 services", "/tiendo dvc"],
    ["province, a ward by name, no diacritics", "/tiendo phuong an hoi tay"],
    ["ward, history of its old wards", "/tiendo lichsu"],
  ] as const) {
    const user = label.startsWith("ward") ? "bench-ward" : "bench-province";
    const { times, chars } = await timed(user, text, Math.min(RUNS, 100));
    row(label, times, `(${Math.min(RUNS, 100)} runs, ${chars} chars)`);
  }

  // Name resolution over the whole list: what people type for a unit, drawn from the list itself.
  const sample = await db.sql.query<{ name: string; code: string; official_code: string | null; old: boolean }>(
    `(SELECT name, code, official_code, false AS old FROM admin_unit WHERE valid_to IS NULL AND level = 'COMMUNE' ORDER BY md5(code) LIMIT 250)
     UNION ALL
     (SELECT name, code, official_code, true AS old FROM admin_unit WHERE valid_to IS NOT NULL AND level = 'COMMUNE' ORDER BY md5(code) LIMIT 250)`,
  );
  const plain = (name: string) => foldDiacritics(name);
  const bare = (name: string) => name.replace(/^(Xã|Phường|Thị trấn|Đặc khu)\s+/, "");
  const kinds: Array<[string, (u: (typeof sample)[number]) => string | undefined, boolean]> = [
    ["current name, with diacritics", (u) => u.name, false],
    ["current name, no diacritics, no level word", (u) => plain(bare(u.name)), false],
    ["current code", (u) => u.official_code ?? undefined, false],
    ["old name, with diacritics", (u) => u.name, true],
    ["old name, no diacritics", (u) => plain(u.name), true],
    ["old code", (u) => u.official_code ?? undefined, true],
  ];
  console.log(`\nName resolution (findUnits over ${formatNumber(counts!.provinces + counts!.communes)} units in force and the old communes), 250 names each:`);
  for (const [label, query, old] of kinds) {
    const queries = sample.filter((u) => u.old === old).map(query).filter((q): q is string => Boolean(q));
    for (const q of queries.slice(0, 20)) await findUnits(prisma, q);
    const times: number[] = [];
    let found = 0;
    for (const q of queries) {
      const t0 = performance.now();
      const hits = await findUnits(prisma, q);
      times.push(performance.now() - t0);
      if (hits.length) found++;
    }
    row(label, times, `(${found}/${queries.length} found)`);
  }

  // Import: 100,000 rows in Vietnamese number format for new months of 2027 on the communes in force,
  // then the same file again with changed figures (every row supersedes the value just imported).
  const communes = await db.sql.query<{ code: string }>("SELECT code FROM admin_unit WHERE level = 'COMMUNE' AND valid_to IS NULL ORDER BY code");
  const shares = indicators.filter((d) => d.kind !== "count");
  const csv = (bump: number) => {
    const lines = ["unit_code,period,indicator,numerator,denominator,reported_rate"];
    for (let i = 0; i < IMPORT_ROWS; i++) {
      const unit = communes[i % communes.length]!.code;
      const def = shares[Math.floor(i / communes.length) % shares.length]!;
      const month = 1 + Math.floor(i / (communes.length * shares.length));
      const d = 1000 + ((i * 7919) % 90000);
      const num = Math.floor(d * (0.3 + ((i % 50) + bump) / 100));
      const rate = ((num / d) * 100).toFixed(2).replace(".", ",");
      lines.push(`${unit},2027-${String(month).padStart(2, "0")},${def.code},${formatNumber(num)},${formatNumber(d)},"${rate}"`);
    }
    return `${lines.join("\n")}\n`;
  };
  console.log(`\nImport of a ${formatNumber(IMPORT_ROWS)}-row CSV (parse, validate, write in one transaction):`);
  for (const [label, bump] of [["new period", 0], ["same rows again, changed", 5]] as const) {
    const file = path.join(dir, `import-${bump}.csv`);
    writeFileSync(file, csv(bump));
    const t0 = performance.now();
    const read = await readIndicatorFile(file);
    const t1 = performance.now();
    const dry = await importRows(prisma, read.rows, { source: "IMPORT", enteredBy: "bench", dryRun: true, catalog });
    const t2 = performance.now();
    if (read.errors.length || dry.errors.length) throw new Error(`import failed: ${JSON.stringify([...read.errors, ...dry.errors].slice(0, 3))}`);
    const result = await importRows(prisma, read.rows, { source: "IMPORT", enteredBy: "bench", catalog });
    const t3 = performance.now();
    const seconds = (t1 - t0 + (t3 - t2)) / 1000;
    console.log(
      `  ${label.padEnd(26)} ${seconds.toFixed(2)} s = ${formatNumber(Math.round(IMPORT_ROWS / seconds))} rows/s ` +
        `(${formatNumber(result.imported)} imported, ${formatNumber(result.superseded)} superseded, ${result.warnings.length} warnings)\n` +
        `  ${"".padEnd(26)} read + parse ${((t1 - t0) / 1000).toFixed(2)} s · check and write ${((t3 - t2) / 1000).toFixed(2)} s ` +
        `(a dry run, the checking alone: ${((t2 - t1) / 1000).toFixed(2)} s)`,
    );
  }
  console.log(`\nTotal ${elapsed()}.`);
} finally {
  await db.close();
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
