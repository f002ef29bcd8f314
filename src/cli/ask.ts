// `npm run --silent ask -- [--json] [--user ID] [question]`
import { ConfigError, loadConfig } from "../config/env.ts";
import { openDatabase } from "../db/client.ts";
import { createCore, databaseOptions } from "../app.ts";
import { parseAskArgs, runAsk } from "../channels/cli/ask.ts";
import { createLogger } from "../logging/logger.ts";

try {
  const config = loadConfig();
  process.env.TZ = config.TZ;
  // Keep the terminal for answers: only warnings unless LOG_LEVEL asks for more.
  const log = createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : "warn");
  const db = await openDatabase(databaseOptions(config));
  try {
    await db.migrate();
    const core = createCore({ config, db, log });
    await runAsk(core.pipeline, parseAskArgs(process.argv.slice(2)), {
      input: process.stdin,
      write: (line) => process.stdout.write(`${line}\n`),
    });
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
