// Fresh, migrated databases for tests: in-memory PGlite, or a new database on the test PostgreSQL.
import { inject } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createDatabaseOn } from "./postgres-server.ts";

export type DatabaseKind = "pglite" | "postgres";

/** Creates an empty PostgreSQL database on the test server and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  return createDatabaseOn(inject("postgresUrl"), "t");
}

export async function openTestDatabase(kind: DatabaseKind, migrate = true): Promise<Database> {
  const db =
    kind === "pglite"
      ? await openDatabase({ pgliteDir: "memory://" })
      : await openDatabase({ databaseUrl: await createPostgresDatabase() });
  if (migrate) await db.migrate();
  return db;
}
