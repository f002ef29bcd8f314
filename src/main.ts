// `npm start`: the HTTP server, enabled channels and queue workers, with embedded defaults.
import { ConfigError, loadConfig } from "./config/env.ts";
import { DatabaseInUseError } from "./db/client.ts";
import { MigrationError } from "./db/migrator.ts";
import { RedisUnavailableError } from "./queue/redis.ts";
import { createLogger } from "./logging/logger.ts";
import { STOP_SLACK_MS, startApp } from "./app.ts";

const expected = [ConfigError, RedisUnavailableError, DatabaseInUseError, MigrationError];

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  process.env.TZ = config.TZ;
  const log = createLogger(config.LOG_LEVEL);
  let app;
  try {
    app = await startApp(config, log);
  } catch (error) {
    if (expected.some((kind) => error instanceof kind)) {
      // Known start-up problems get one clear line, not a stack trace.
      console.error((error as Error).message);
      process.exit(1);
    }
    throw error;
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    // app.stop() bounds each step; this is the last word if something still holds the event loop.
    setTimeout(() => {
      log.error("shutdown took too long: exiting");
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + STOP_SLACK_MS + 3_000).unref();
    await app.stop();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  // A bug in one message's handling must never take the bot down for everyone.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
}

await main();
