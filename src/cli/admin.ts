// `npm run admin -- <command> [options]`: operator commands. Each command lives in src/admin/.
import { ConfigError, loadConfig } from "../config/env.ts";
import { openDatabase } from "../db/client.ts";
import { databaseOptions } from "../app.ts";
import { adminCommands } from "../admin/index.ts";
import { parseArgs } from "../admin/args.ts";
import { createLogger } from "../logging/logger.ts";

const [name, ...rest] = process.argv.slice(2);
const command = adminCommands.find((c) => c.name === name);

if (!command) {
  console.log("Usage: npm run admin -- <command> [options]\n");
  for (const c of adminCommands) console.log(`  ${c.usage.padEnd(60)} ${c.summary}`);
  process.exitCode = name && name !== "help" ? 2 : 0;
} else {
  try {
    const config = loadConfig();
    process.env.TZ = config.TZ;
    const log = createLogger(process.env.LOG_LEVEL ? config.LOG_LEVEL : "warn");
    const db = await openDatabase(databaseOptions(config));
    try {
      await db.migrate();
      process.exitCode = await command.run({ config, db, log, args: parseArgs(rest), out: (line) => console.log(line) });
    } finally {
      await db.close();
    }
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
