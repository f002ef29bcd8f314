// The reminder worker as its own process, for the kill test: PostgreSQL (DATABASE_URL), Redis
// (REDIS_URL), the outbox sending to a FakeChatServer (CHAT_URL). Prints "ready" once its start-up sync
// is done, then runs until killed.
import { loadConfig } from "../../src/config/env.ts";
import { openDatabase } from "../../src/db/client.ts";
import { startReminders } from "../../src/features/reminders/runtime.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { Outbox } from "../../src/outbox/outbox.ts";
import { createQueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { HttpChannelAdapter } from "./http-channel.ts";

const config = loadConfig({
  ...process.env,
  LOG_LEVEL: "silent",
  QUIET_HOURS_START: "00:00",
  QUIET_HOURS_END: "00:00",
  BRIEFING_CRON: "",
});
const log = createLogger("silent");
const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL! });
const queues = createQueueSet(process.env.REDIS_URL!, log);
await redisReady(queues.redis);
const channel = new HttpChannelAdapter(process.env.CHAT_URL!, "telegram");
const lockDurationMs = Number(process.env.LOCK_MS ?? 1500);
const outbox = new Outbox({
  queues,
  prisma: db.prisma,
  log,
  channels: new Map([["telegram", channel]]),
  rates: { telegram: { perSecond: 1000, concurrency: Number(process.env.SEND_CONCURRENCY ?? 5) } },
  lockDurationMs,
  backoffMs: 100,
});
outbox.start();
await startReminders({ queues, prisma: db.prisma, outbox, log, config, channels: new Map([["telegram", channel]]), syncEveryMs: 0, catchUp: false, lockDurationMs });
process.stdout.write("ready\n");
setInterval(() => {}, 60_000);
