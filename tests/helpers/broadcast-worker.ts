// A broadcast worker process, for kill-and-resume runs (tests/integration/broadcast-resume.test.ts and
// bench/broadcast.ts): the fan-out worker and the Telegram outbox worker, sending through the real Telegram
// adapter (grammY) to whatever Bot API address it is given. Started with `node --import tsx`, so a SIGKILL
// hits the worker itself. Prints "ready" on stdout once its workers run.
//
// Environment: BW_DATABASE_URL, BW_REDIS_URL, BW_PREFIX (queue key prefix), BW_API_ROOT (Bot API address),
// BW_RATE (messages/s), BW_CONCURRENCY, BW_LOCK_MS (worker lock: how soon a dead worker's jobs are taken
// over), BW_BATCH (fan-out page size), BW_ATTEMPTS, BW_BACKOFF_MS, BW_NO_SEND=1 (fan out only).
import { tmpdir } from "node:os";
import path from "node:path";
import type { Core } from "../../src/app.ts";
import type { ChannelAdapter } from "../../src/channels/types.ts";
import { createTelegramAdapter } from "../../src/channels/telegram/index.ts";
import { loadConfig } from "../../src/config/env.ts";
import { loadMessages } from "../../src/core/messages.ts";
import { MemoryWindowCounter } from "../../src/core/rate-limit.ts";
import { Router } from "../../src/core/router.ts";
import type { ChannelName } from "../../src/core/types.ts";
import { openDatabase } from "../../src/db/client.ts";
import { startBroadcasts } from "../../src/features/broadcast/service.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { Outbox } from "../../src/outbox/outbox.ts";
import { createQueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const rate = Number(env("BW_RATE", "100"));
const lockMs = Number(env("BW_LOCK_MS", "2000"));
const log = createLogger((process.env.BW_LOG_LEVEL as "warn" | undefined) ?? "warn");
const config = loadConfig({
  LOG_LEVEL: "warn",
  DATA_DIR: path.join(tmpdir(), "troly06-broadcast-worker"), // not written to: DATABASE_URL and REDIS_URL are set
  DATABASE_URL: env("BW_DATABASE_URL"),
  REDIS_URL: env("BW_REDIS_URL"),
  TELEGRAM_BOT_TOKEN: "123456789:broadcast-worker-test-token-abcdef",
  TELEGRAM_API_ROOT: env("BW_API_ROOT"),
  TELEGRAM_MODE: "polling",
  TELEGRAM_SEND_PER_SECOND: String(Math.min(1000, rate)),
});

const db = await openDatabase({ databaseUrl: config.DATABASE_URL });
const queues = createQueueSet(config.REDIS_URL!, log, env("BW_PREFIX"));
await redisReady(queues.redis);
const channels = new Map<ChannelName, ChannelAdapter>();
const outbox = new Outbox({
  queues,
  prisma: db.prisma,
  log,
  channels,
  rates: { telegram: { perSecond: rate, concurrency: Number(env("BW_CONCURRENCY", "10")) } },
  attempts: Number(env("BW_ATTEMPTS", "6")),
  backoffMs: Number(env("BW_BACKOFF_MS", "200")),
  lockDurationMs: lockMs,
});
const messages = loadMessages();
// The adapter is not started (no polling, no turns): only its send() is used. Its constructor wants a core
// (for the command menu), so it gets a minimal one rather than the whole bot (FAQ and all).
const core = {
  router: new Router(async () => []),
  services: { config, prisma: db.prisma, messages, log, counter: new MemoryWindowCounter(), outbox, queues },
} as unknown as Core;
channels.set("telegram", createTelegramAdapter({ config, core, queues, log }));
await startBroadcasts({
  queues,
  prisma: db.prisma,
  outbox,
  log,
  config,
  messages,
  batchSize: Number(env("BW_BATCH", "1000")),
  lockDurationMs: lockMs,
  sweepEveryMs: 2000,
});
// BW_NO_SEND=1: fan out only (the messages stay queued), to time the fan-out alone.
if (process.env.BW_NO_SEND !== "1") outbox.start();
process.stdout.write("ready\n");

const stop = async () => {
  await queues.close(2000);
  await db.close();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
