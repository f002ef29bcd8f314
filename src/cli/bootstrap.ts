// What every one-shot command (ask, admin, db:migrate) does first: configuration, logger, the migrated
// database; and what it does last: close the database, turn an error into one line and exit code 1.
import { loadConfig, type Config } from "../config/env.ts";
import { openDatabase, type Database } from "../db/client.ts";
import { databaseOptions } from "../app.ts";
import { createLogger, type Logger } from "../logging/logger.ts";

export async function withDatabase(run: (deps: { config: Config; db: Database; log: Logger }) => Promise<number | void>): Promise<void> {
  try {
    const config = loadConfig();
    process.env.TZ = config.TZ;
    // Keep the terminal for results: only warnings unless LOG_LEVEL asks for more.
    const log = createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : "warn");
    const db = await openDatabase(databaseOptions(config));
    let code: number | void = undefined;
    try {
      await db.migrate();
      code = await run({ config, db, log });
    } finally {
      await db.close();
    }
    // Set after close(): closing PGlite resets process.exitCode, which made rejected imports exit 0.
    if (typeof code === "number") process.exitCode = code;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
