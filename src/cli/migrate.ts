// `npm run db:migrate`: applies pending migrations to the configured database and says what it did.
import { loadConfig } from "../config/env.ts";
import { openDatabase } from "../db/client.ts";
import { databaseOptions } from "../app.ts";

try {
  const db = await openDatabase(databaseOptions(loadConfig()));
  try {
    const report = await db.migrate();
    console.log(
      report.applied.length
        ? `Applied ${report.applied.length} migration(s) to the ${db.kind} database: ${report.applied.join(", ")}`
        : `The ${db.kind} database is up to date (${report.alreadyApplied.length} migration(s)).`,
    );
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
