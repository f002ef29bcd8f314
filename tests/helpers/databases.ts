// Fresh, migrated databases for tests: in-memory PGlite, or a new database on the test PostgreSQL.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.ts";

export type DatabaseKind = "pglite" | "postgres";

/** Creates an empty PostgreSQL database on the test server and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const serverUrl = inject("postgresUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function openTestDatabase(kind: DatabaseKind, migrate = true): Promise<Database> {
  const db =
    kind === "pglite"
      ? await openDatabase({ pgliteDir: "memory://" })
      : await openDatabase({ databaseUrl: await createPostgresDatabase() });
  if (migrate) await db.migrate();
  return db;
}
