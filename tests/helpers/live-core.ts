// A core wired like the running app (real Redis queues and outbox) but with in-process fake channels,
// for end-to-end tests of features that send outside a turn.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createCore, type Core } from "../../src/app.ts";
import type { ChannelAdapter } from "../../src/channels/types.ts";
import type { ChannelName, IncomingMessage } from "../../src/core/types.ts";
import type { Database } from "../../src/db/client.ts";
import { createLogger, type Logger } from "../../src/logging/logger.ts";
import { Outbox } from "../../src/outbox/outbox.ts";
import { createQueueSet, type QueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { testConfig } from "./config.ts";
import { openTestDatabase } from "./databases.ts";
import { FakeChannel } from "./fake-channel.ts";

export interface LiveCore extends Core {
  db: Database;
  queues: QueueSet;
  outbox: Outbox;
  channels: Record<"telegram" | "zalo", FakeChannel>;
  /** The outbox's adapters by channel: a test may add a real adapter (e.g. the web chat's). */
  adapters: Map<ChannelName, ChannelAdapter>;
  send(message: Partial<IncomingMessage> & { userId: string; channel: ChannelName }): ReturnType<Core["pipeline"]["handle"]>;
  close(): Promise<void>;
}

export async function createLiveCore(
  options: { env?: Record<string, string>; start?: (core: LiveCore) => void | Promise<void>; log?: Logger } = {},
): Promise<LiveCore> {
  const db = await openTestDatabase("pglite");
  const log = options.log ?? createLogger("silent");
  const queues = createQueueSet(inject("redisUrl"), log, `test-${randomBytes(4).toString("hex")}`);
  await redisReady(queues.redis);
  const channels = { telegram: new FakeChannel("telegram"), zalo: new FakeChannel("zalo") };
  const adapters = new Map<ChannelName, ChannelAdapter>(Object.entries(channels) as Array<[ChannelName, ChannelAdapter]>);
  const outbox = new Outbox({
    queues,
    prisma: db.prisma,
    log,
    channels: adapters,
    rates: { telegram: { perSecond: 100 }, zalo: { perSecond: 100 } },
    backoffMs: 50,
  });
  const core = createCore({
    config: testConfig({ RATE_LIMIT_PER_MINUTE: "1000", ...options.env }),
    db,
    log,
    outbox,
    queues,
  });
  const live: LiveCore = {
    ...core,
    db,
    queues,
    outbox,
    channels,
    adapters,
    send: (message) => core.pipeline.handle({ chatId: message.userId, receivedAt: new Date(), ...message }),
    close: async () => {
      await queues.close(2000);
      await db.close();
    },
  };
  await options.start?.(live);
  outbox.start();
  return live;
}
