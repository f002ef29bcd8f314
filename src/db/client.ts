// Opens the database: embedded PGlite under DATA_DIR when no DATABASE_URL is set, PostgreSQL through
// @prisma/adapter-pg when it is. Both get the same migrations and the same Prisma client.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { applyMigrations, readMigrations, type MigrationReport, type SqlExecutor } from "./migrator.ts";
import { ensureOfficialUnits, type UnitListReport } from "../features/unit-list.ts";

export { PrismaClient };

export interface Database {
  prisma: PrismaClient;
  sql: SqlExecutor;
  kind: "pglite" | "postgres";
  /** Applies pending migrations, then loads the official unit list unless it is there (or turned off). */
  migrate(): Promise<MigrationReport & { units?: UnitListReport }>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files; "memory://" for a throwaway database. */
  pgliteDir?: string;
  /** Load the official list of units after migrating (default true; small test fixtures turn it off). */
  officialUnits?: boolean;
}

export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
}

function pgliteExecutor(db: PGlite): SqlExecutor {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

/**
 * PGlite's own default is PostgreSQL's 128 MB of shared buffers, which it zeroes at every open: half a
 * second and 120 MB of RSS in a one-question `npm run ask`. Its files are ordinary files in the OS page cache
 * anyway, so a small pool costs little; 16 MB holds the working set of this app's tables.
 */
const PGLITE_SHARED_BUFFERS = "16MB";

function pgExecutor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** PGlite files may be opened by one process only: a lock file says which. */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dir, "owner.pid");
  const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
  if (owner && owner !== process.pid && isAlive(owner)) {
    throw new DatabaseInUseError(
      `The embedded database in ${dir} is in use by process ${owner} (is "npm start" running?). Stop that process, or set DATABASE_URL to a PostgreSQL server that several processes can share.`,
    );
  }
  await writeFile(lockPath, String(process.pid));
  return () => rm(lockPath, { force: true });
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  // Each driver is loaded only when it is the one in use (a process needs one of them).
  if (options.databaseUrl) {
    const [{ default: pg }, { PrismaPg }] = await Promise.all([import("pg"), import("@prisma/adapter-pg")]);
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
    // An idle connection the server (or the network) drops emits "error" on the pool; without a listener
    // that would end the process. The pool replaces the connection on next use.
    pool.on("error", () => undefined);
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: options.databaseUrl }) });
    return {
      prisma,
      sql: pgExecutor(pool),
      kind: "postgres",
      migrate: async () => {
        // The advisory lock and BEGIN/COMMIT must stay on one connection.
        const client = await pool.connect();
        try {
          const report = await applyMigrations(pgExecutor(client), await readMigrations());
          if (options.officialUnits === false) return report;
          return { ...report, units: await ensureOfficialUnits(pgExecutor(client)) };
        } finally {
          client.release();
        }
      },
      ping: async () => void (await prisma.$queryRawUnsafe("SELECT 1")),
      close: async () => {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  const dir = options.pgliteDir ?? "memory://";
  let unlock = async () => {};
  if (!dir.startsWith("memory://")) {
    await mkdir(dir, { recursive: true });
    unlock = await lockDataDir(dir);
  }
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
  const pglite = new PGlite(dir.startsWith("memory://") ? dir : path.join(dir, "pgdata"), {
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
  });
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const sql = pgliteExecutor(pglite);
  return {
    prisma,
    sql,
    kind: "pglite",
    migrate: async () => {
      const report = await applyMigrations(sql, await readMigrations());
      if (options.officialUnits === false) return report;
      return { ...report, units: await ensureOfficialUnits(sql) };
    },
    ping: async () => void (await pglite.query("SELECT 1")),
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
      await unlock();
    },
  };
}
