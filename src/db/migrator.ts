// Applies prisma/migrations/<name>/migration.sql in order, recording each in `_prisma_migrations`
// exactly as `prisma migrate deploy` does (same table, same sha256 checksum of the file), so Prisma's
// own tooling understands the database wherever its schema-engine binary is available.
import { createHash, randomUUID } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

/** The little the migrator needs from a database connection. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

// Prisma holds this advisory lock while migrating; using the same key keeps both tools from racing.
const PRISMA_ADVISORY_LOCK = 72707369;

export const defaultMigrationsDir = path.resolve(import.meta.dirname, "../../prisma/migrations");

export async function readMigrations(dir = defaultMigrationsDir): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function applyMigrations(db: SqlExecutor, migrations: MigrationFile[]): Promise<MigrationReport> {
  // The lock first: CREATE TABLE IF NOT EXISTS is not safe against itself (two instances starting at once
  // on an empty database both try to create the table's row type, and one fails).
  await db.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
  try {
    await db.exec(CREATE_TABLE);
    const rows = await db.query<AppliedRow>(
      `SELECT id, migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
    );
    const live = rows.filter((r) => r.rolled_back_at === null);
    const failed = live.find((r) => r.finished_at === null);
    if (failed) {
      throw new MigrationError(
        `Migration ${failed.migration_name} failed earlier and was never completed. Fix the database by hand, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = '${failed.id}').`,
      );
    }
    const report: MigrationReport = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const done = live.find((r) => r.migration_name === migration.name);
      if (done) {
        if (done.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was changed after it was applied. Never edit an applied migration: restore it and add a new one.`,
          );
        }
        report.alreadyApplied.push(migration.name);
        continue;
      }
      const id = randomUUID();
      await db.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
        [id, migration.checksum, migration.name],
      );
      try {
        // DDL is transactional in PostgreSQL: a failing migration leaves nothing half-done.
        await db.exec(`BEGIN;\n${migration.sql}\n;COMMIT;`);
      } catch (error) {
        await db.exec("ROLLBACK").catch(() => undefined);
        const message = error instanceof Error ? error.message : String(error);
        await db.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message]);
        throw new MigrationError(`Migration ${migration.name} failed: ${message}`);
      }
      await db.query(
        `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
        [id],
      );
      report.applied.push(migration.name);
    }
    return report;
  } finally {
    await db.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]);
  }
}
