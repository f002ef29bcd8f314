import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations, MigrationError, readMigrations, type MigrationFile, type SqlExecutor } from "../../src/db/migrator.ts";

const migration = (name: string, sql: string): MigrationFile => ({
  name,
  sql,
  checksum: createHash("sha256").update(sql).digest("hex"),
});

describe("migrator", () => {
  let pglite: PGlite;
  let db: SqlExecutor;
  beforeEach(() => {
    pglite = new PGlite();
    db = {
      query: async <T>(sql: string, params: unknown[] = []) => (await pglite.query<T>(sql, params)).rows,
      exec: async (sql: string) => void (await pglite.exec(sql)),
    };
  });
  afterEach(() => pglite.close());

  const a = migration("20240101000000_a", `CREATE TABLE a (id int primary key);`);
  const b = migration("20240102000000_b", `CREATE TABLE b (id int references a(id));`);

  it("applies migrations in order and records them like Prisma", async () => {
    const report = await applyMigrations(db, [a, b]);
    expect(report.applied).toEqual([a.name, b.name]);
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY started_at`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual([a.name, b.name]);
    expect(rows[0]!.checksum).toBe(a.checksum);
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
  });

  it("is idempotent", async () => {
    await applyMigrations(db, [a]);
    const again = await applyMigrations(db, [a, b]);
    expect(again).toEqual({ applied: [b.name], alreadyApplied: [a.name] });
    expect(await applyMigrations(db, [a, b])).toEqual({ applied: [], alreadyApplied: [a.name, b.name] });
  });

  it("refuses a migration changed after it was applied", async () => {
    await applyMigrations(db, [a]);
    const edited = migration(a.name, `CREATE TABLE a (id bigint primary key);`);
    await expect(applyMigrations(db, [edited])).rejects.toThrow(/20240101000000_a was changed after it was applied/);
  });

  it("rolls back a failing migration completely and refuses to go on until it is resolved", async () => {
    const broken = migration("20240103000000_broken", `CREATE TABLE c (id int); CREATE TABLE c (id int);`);
    await expect(applyMigrations(db, [a, broken])).rejects.toBeInstanceOf(MigrationError);
    const tables = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'c'`);
    expect(tables[0]!.n).toBe(0);
    await expect(applyMigrations(db, [a, broken])).rejects.toThrow(/failed earlier and was never completed/);
  });

  it("reads the project's migrations in Prisma's layout", async () => {
    const files = await readMigrations();
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
    for (const f of files) expect(f.name).toMatch(/^\d{14}_[a-z0-9_]+$/);
  });
});
