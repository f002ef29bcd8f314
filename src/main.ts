// `npm start`: the HTTP server, enabled channels and queue workers, with embedded defaults.
import { ConfigError, loadConfig } from "./config/env.ts";
import { DatabaseInUseError } from "./db/client.ts";
import { MigrationError } from "./db/migrator.ts";
import { RedisUnavailableError } from "./queue/redis.ts";
import { createLogger } from "./logging/logger.ts";
import { STOP_SLACK_MS, startApp, type RunningApp } from "./app.ts";

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
  const grace = config.SHUTDOWN_GRACE_MS;
  // The signal handlers are in place before the app starts: a stop asked for while it starts (a
  // supervisor, a benchmark that stops it once /readyz answers) waits for the start, then stops it
  // cleanly. Without them Node exits at once, leaving redis-server running and PGlite to recover its
  // files at the next start.
  let app: RunningApp | undefined;
  let stopping: string | undefined;
  const stop = async (running: RunningApp, signal: string) => {
    log.info({ signal }, "shutting down");
    // app.stop() bounds each step; this is the last word if something still holds the event loop.
    setTimeout(() => {
      log.error("shutdown took too long: exiting");
      process.exit(1);
    }, grace + STOP_SLACK_MS + 3_000).unref();
    await running.stop();
    log.info("stopped");
    process.exit(0);
  };
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    if (app) void stop(app, signal); // else: once it is up, below
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
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
  if (stopping) await stop(app, stopping);
  // A bug in one message's handling must never take the bot down for everyone.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
}

await main();
