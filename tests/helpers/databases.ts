// Fresh, migrated databases for tests: in-memory PGlite, or a new database on the test PostgreSQL.
import { inject } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { createDatabaseOn } from "./postgres-server.ts";

export type DatabaseKind = "pglite" | "postgres";

/** Creates an empty PostgreSQL database on the test server and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  return createDatabaseOn(inject("postgresUrl"), "t");
}

/**
 * A fresh database. Without `officialUnits` it gets no official unit list: most tests bring a small unit
 * tree of their own (tests/helpers/units.ts).
 */
export async function openTestDatabase(kind: DatabaseKind, migrate = true, officialUnits = false): Promise<Database> {
  const db =
    kind === "pglite"
      ? await openDatabase({ pgliteDir: "memory://", officialUnits })
      : await openDatabase({ databaseUrl: await createPostgresDatabase(), officialUnits });
  if (migrate) await db.migrate();
  return db;
}
