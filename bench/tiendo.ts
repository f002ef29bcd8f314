// npm run bench:tiendo — how fast /tiendo answers on a province-sized database, and how fast figures import.
//
// Builds a synthetic province (10 districts × 150 communes = 1,511 units), 60 indicators of the catalogue
// and 24 monthly periods: ≈2.2 million values, generated inside the database (INSERT … SELECT over
// generate_series, one statement per district). Then measures /tiendo through the real pipeline (identity,
// rate limit, conversation log, policy, queries, formatting) for a supervisor of the province, a
// supervisor of a district and an officer of a commune, and the import of a 100,000-row CSV.
// Prints figures only; nothing here asserts on time. Targets: p99 < 100 ms (province), > 20,000 rows/s.
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
import { ensureCatalog, loadCatalog } from "../src/features/indicators/catalog.ts";
import { importRows, readIndicatorFile } from "../src/features/indicators/importer.ts";
import { formatNumber } from "../src/features/indicators/numbers.ts";
import { createLogger } from "../src/logging/logger.ts";
import { startPostgres } from "../tests/helpers/postgres-server.ts";

const DISTRICTS = 10;
const COMMUNES = 150;
const INDICATORS = 60;
// The embedded PGlite (WebAssembly, at most 2 GB of memory) stalls while loading the full 24 months
// (2.2 million values); with --pglite the province gets 6 months of history (544,000 values).
const PGLITE = process.argv.includes("--pglite");
const MONTHS = PGLITE ? 6 : 24;
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const IMPORT_ROWS = 100_000;

const dir = mkdtempSync(path.join(tmpdir(), "troly06-bench-"));
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
// PostgreSQL, as a province runs it: a throwaway cluster from the Debian binaries (as the tests start
// it), sized like a small production server (the 128 MB default holds less than 2 million values and
// their index, and an import then spends its time evicting pages); or BENCH_DATABASE_URL, an empty
// existing database; or --pglite.
const server =
  !PGLITE && !process.env.BENCH_DATABASE_URL ? startPostgres(55000 + (process.pid % 5000), { shared_buffers: "1GB", max_wal_size: "4GB" }) : undefined;
const databaseUrl = PGLITE ? undefined : (process.env.BENCH_DATABASE_URL ?? server?.url);
const db = await openDatabase(databaseUrl ? { databaseUrl } : { pgliteDir: path.join(dir, "db") });

try {
  await db.migrate();
  const { prisma } = db;
  const catalog = loadCatalog();
  await ensureCatalog(prisma, catalog);
  const indicators = catalog.list.slice(0, INDICATORS);
  console.log(`Database: ${db.kind}. Building ${1 + DISTRICTS + DISTRICTS * COMMUNES} units × ${indicators.length} indicators × ${MONTHS} months…`);

  // Units: province "BP", districts "BP-01"…, communes "BP-01-001"…
  await db.sql.exec(`
    INSERT INTO admin_unit (code, name, name_folded, level, parent_code, path, updated_at)
    VALUES ('BP', 'Tỉnh Thử Nghiệm', 'tinh thu nghiem', 'PROVINCE', NULL, '/BP/', now());
    INSERT INTO admin_unit (code, name, name_folded, level, parent_code, path, updated_at)
    SELECT 'BP-' || lpad(d::text, 2, '0'), 'Huyện Số ' || d, 'huyen so ' || d, 'DISTRICT', 'BP', '/BP/BP-' || lpad(d::text, 2, '0') || '/', now()
    FROM generate_series(1, ${DISTRICTS}) d;
    INSERT INTO admin_unit (code, name, name_folded, level, parent_code, path, updated_at)
    SELECT 'BP-' || lpad(d::text, 2, '0') || '-' || lpad(c::text, 3, '0'), 'Xã ' || d || '-' || c, 'xa ' || d || ' ' || c, 'COMMUNE',
           'BP-' || lpad(d::text, 2, '0'), '/BP/BP-' || lpad(d::text, 2, '0') || '/BP-' || lpad(d::text, 2, '0') || '-' || lpad(c::text, 3, '0') || '/', now()
    FROM generate_series(1, ${DISTRICTS}) d, generate_series(1, ${COMMUNES}) c;`);

  // Values, generated in the database: shares never above 100%, targets around the target, counts.
  // Bulk load as a database restore does: the foreign keys of indicator_value are dropped first and
  // re-created afterwards from their own definitions (validated over all rows at once), so the schema
  // ends exactly as the migrations made it. The indexes stay: PGlite sorts a 2-million-row index build
  // through temporary files far more slowly than it maintains the index row by row.
  const foreignKeys = await db.sql.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'indicator_value'::regclass AND contype = 'f'`,
  );
  for (const fk of foreignKeys) await db.sql.exec(`ALTER TABLE indicator_value DROP CONSTRAINT "${fk.name}"`);
  const indicatorJson = JSON.stringify(indicators.map((d) => ({ code: d.code, kind: d.kind })));
  // One statement per district, rows in index order (unit, indicator, period): the index grows at its
  // end instead of being written all over, which keeps PGlite's page cache from thrashing.
  for (let d = 1; d <= DISTRICTS; d++) {
    const district = `BP-${String(d).padStart(2, "0")}`;
    await db.sql.query(
      `WITH ind AS (SELECT * FROM json_to_recordset($1::json) AS x(code text, kind text)),
            p AS (SELECT to_char(date '2024-01-01' + make_interval(months => m), 'YYYY-MM') AS period,
                         (date '2024-01-01' + make_interval(months => m + 1) - interval '1 day')::date AS period_end
                  FROM generate_series(0, $3::int - 1) m),
            raw AS (
              SELECT u.code AS unit_code, ind.code AS indicator_code, ind.kind, p.period, p.period_end,
                     CASE WHEN ind.kind = 'count' THEN NULL ELSE 200 + floor(random() * 800) END AS d, random() AS r
              FROM admin_unit u CROSS JOIN ind CROSS JOIN p
              WHERE u.code = $2 OR u.code LIKE $2 || '-%' OR ($2 = 'BP-01' AND u.code = 'BP')),
            v AS (
              SELECT *, CASE WHEN kind = 'count' THEN floor(r * 5000)
                             WHEN kind = 'target' THEN floor(d * (0.4 + r * 0.8))
                             ELSE floor(d * (0.2 + r * 0.8)) END AS n FROM raw)
       INSERT INTO indicator_value (unit_code, indicator_code, period_kind, period, period_end, numerator, denominator, rate,
                                    reported_rate, source, entered_by, created_at)
       SELECT unit_code, indicator_code, 'MONTH', period, period_end, n, d, CASE WHEN d IS NULL THEN NULL ELSE n / d * 100 END,
              NULL, 'IMPORT', 'bench', now()
       FROM v ORDER BY unit_code, indicator_code, period`,
      [indicatorJson, district, MONTHS],
    );
    console.log(`  ${d}/${DISTRICTS} districts (${elapsed()})`);
  }
  for (const fk of foreignKeys) await db.sql.exec(`ALTER TABLE indicator_value ADD CONSTRAINT "${fk.name}" ${fk.def}`);
  console.log(`  foreign keys re-created and checked (${elapsed()})`);
  await db.sql.exec("ANALYZE");
  const [counted] = await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM indicator_value");
  console.log(`Built ${formatNumber(counted?.n ?? 0)} values in ${elapsed()}.\n`);

  const op = { personId: null, label: "bench" };
  const users = [
    { who: "province (supervisor of BP)", user: "bench-province", role: "SUPERVISOR" as const, unit: "BP" },
    { who: "district (supervisor of BP-05)", user: "bench-district", role: "SUPERVISOR" as const, unit: "BP-05" },
    { who: "commune (officer of BP-05-077)", user: "bench-commune", role: "OFFICER" as const, unit: "BP-05-077" },
  ];
  for (const u of users) await grantRole(prisma, { personId: await personForAccount(prisma, "cli", u.user), role: u.role, unitCode: u.unit, by: op });

  const config = loadConfig({ LOG_LEVEL: "silent", DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: "10000" });
  const core = createCore({ config, db, log: createLogger("silent") });
  const ask = (user: string, text: string) => core.pipeline.handle({ channel: "cli", userId: user, chatId: user, text, receivedAt: new Date() });

  const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  console.log(`/tiendo through the pipeline, ${RUNS} runs each after 10 warm-up runs:`);
  for (const u of users) {
    for (let i = 0; i < 10; i++) await ask(u.user, "/tiendo");
    const times: number[] = [];
    let chars = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const result = await ask(u.user, "/tiendo");
      times.push(performance.now() - t0);
      chars = result.replies[0]?.text.length ?? 0;
    }
    times.sort((a, b) => a - b);
    console.log(
      `  ${u.who.padEnd(32)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(times, 99).toFixed(1).padStart(6)} ms   (${chars} chars)`,
    );
  }
  for (const [label, text] of [["province, one indicator", `/tiendo ${indicators[0]!.code}`], ["province, 25 services", "/tiendo dvc"]] as const) {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await ask("bench-province", text);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(32)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(times, 99).toFixed(1).padStart(6)} ms   (50 runs)`);
  }

  // Import: 100,000 rows in Vietnamese number format, for a new month, then the same file again with
  // changed figures (every row supersedes the value just imported).
  const communes = await db.sql.query<{ code: string }>("SELECT code FROM admin_unit WHERE level = 'COMMUNE' ORDER BY code");
  const shares = indicators.filter((d) => d.kind !== "count");
  const csv = (bump: number) => {
    const lines = ["unit_code,period,indicator,numerator,denominator,reported_rate"];
    for (let i = 0; i < IMPORT_ROWS; i++) {
      // Every (unit, indicator, month) once: communes first, then indicators, then months of 2026.
      const unit = communes[i % communes.length]!.code;
      const def = shares[Math.floor(i / communes.length) % shares.length]!;
      const month = 1 + Math.floor(i / (communes.length * shares.length));
      const d = 1000 + ((i * 7919) % 90000);
      const num = Math.floor(d * (0.3 + ((i % 50) + bump) / 100));
      const rate = ((num / d) * 100).toFixed(2).replace(".", ",");
      lines.push(`${unit},2026-${String(month).padStart(2, "0")},${def.code},${formatNumber(num)},${formatNumber(d)},"${rate}"`);
    }
    return `${lines.join("\n")}\n`;
  };
  console.log(`\nImport of a ${formatNumber(IMPORT_ROWS)}-row CSV (parse, validate, write in one transaction):`);
  for (const [label, bump] of [["new period", 0], ["same rows again, changed", 5]] as const) {
    const file = path.join(dir, `import-${bump}.csv`);
    writeFileSync(file, csv(bump));
    // The same steps as importIndicatorFile, timed one by one; the dry run is the checking alone.
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
