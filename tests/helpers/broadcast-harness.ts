// The broadcast feature wired like the running app (real Redis queues, outbox, fan-out worker, admin API)
// with in-process fake channels whose rate the test chooses, plus a small population over the sample tree.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { inject } from "vitest";
import { createCore, type Core } from "../../src/app.ts";
import type { ChannelAdapter } from "../../src/channels/types.ts";
import type { ChannelName, IncomingMessage } from "../../src/core/types.ts";
import type { Database } from "../../src/db/client.ts";
import { grantRole, personForAccount } from "../../src/features/access/service.ts";
import { broadcastApi } from "../../src/features/broadcast/api.ts";
import { startBroadcasts, type BroadcastWorker } from "../../src/features/broadcast/service.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { adminApi } from "../../src/http/admin-api.ts";
import { createMetrics } from "../../src/http/metrics.ts";
import { buildHttpServer } from "../../src/http/server.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { Outbox } from "../../src/outbox/outbox.ts";
import { createQueueSet, type QueueSet } from "../../src/queue/queues.ts";
import { redisReady } from "../../src/queue/redis.ts";
import { testConfig } from "./config.ts";
import { openTestDatabase, type DatabaseKind } from "./databases.ts";
import { FakeChannel } from "./fake-channel.ts";
import { seedUnits } from "./units.ts";

export const API_TOKEN = "broadcast-test-token-0123456789abcdef";

export interface BroadcastHarness extends Core {
  db: Database;
  prisma: PrismaClient;
  queues: QueueSet;
  outbox: Outbox;
  worker: BroadcastWorker;
  channels: Record<"telegram" | "zalo", FakeChannel>;
  http: FastifyInstance;
  url: string;
  send(message: Partial<IncomingMessage> & { userId: string; channel: ChannelName }): ReturnType<Core["pipeline"]["handle"]>;
  say(channel: ChannelName, userId: string, text: string): Promise<string>;
  press(channel: ChannelName, userId: string, payload: string): Promise<{ text: string; payloads: string[] }>;
  close(): Promise<void>;
}

export async function createBroadcastHarness(
  options: { db?: DatabaseKind; perSecond?: number; attempts?: number } = {},
): Promise<BroadcastHarness> {
  const db = await openTestDatabase(options.db ?? "pglite");
  const log = createLogger("silent");
  const queues = createQueueSet(inject("redisUrl"), log, `test-${randomBytes(4).toString("hex")}`);
  await redisReady(queues.redis);
  const channels = { telegram: new FakeChannel("telegram"), zalo: new FakeChannel("zalo") };
  const perSecond = options.perSecond ?? 100;
  const outbox = new Outbox({
    queues,
    prisma: db.prisma,
    log,
    channels: new Map<ChannelName, ChannelAdapter>(Object.entries(channels) as Array<[ChannelName, ChannelAdapter]>),
    rates: { telegram: { perSecond, concurrency: Math.min(10, perSecond) }, zalo: { perSecond, concurrency: Math.min(10, perSecond) } },
    attempts: options.attempts ?? 3,
    backoffMs: 50,
    lockDurationMs: 2000,
  });
  const config = testConfig({
    RATE_LIMIT_PER_MINUTE: "10000",
    TELEGRAM_SEND_PER_SECOND: String(perSecond),
    ZALO_SEND_PER_SECOND: String(perSecond),
  });
  const core = createCore({ config, db, log, outbox, queues });
  const worker = await startBroadcasts({
    queues,
    prisma: db.prisma,
    outbox,
    log,
    config,
    messages: core.services.messages,
    batchSize: 3,
    lockDurationMs: 2000,
    sweepEveryMs: 1000,
  });
  outbox.start();
  const http = await buildHttpServer({
    log,
    metrics: createMetrics().registry,
    readiness: [],
    plugins: [adminApi(API_TOKEN, { prisma: db.prisma }, [broadcastApi({ queues, outbox, rates: { telegram: perSecond, zalo: perSecond } })])],
  });
  await http.listen({ host: "127.0.0.1", port: 0 });
  const address = http.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const send: BroadcastHarness["send"] = (message) => core.pipeline.handle({ chatId: message.userId, receivedAt: new Date(), ...message });
  return {
    ...core,
    db,
    prisma: db.prisma,
    queues,
    outbox,
    worker,
    channels,
    http,
    url,
    send,
    say: async (channel, userId, text) => (await send({ channel, userId, text })).replies.map((r) => r.text).join("\n"),
    press: async (channel, userId, payload) => {
      const { replies } = await send({ channel, userId, payload });
      return { text: replies.map((r) => r.text).join("\n"), payloads: replies.flatMap((r) => (r.buttons ?? []).flat().map((b) => b.payload)) };
    },
    close: async () => {
      await http.close();
      await queues.close(2000);
      await db.close();
    },
  };
}

const op = { personId: null, label: "test" };

/** A channel identity (and its person) with a subscription, optionally opted out or unreachable. */
export async function citizen(
  prisma: PrismaClient,
  channel: "telegram" | "zalo" | "cli",
  userId: string,
  unitCode: string | null,
  extra: { optedOut?: boolean; unreachable?: boolean; personId?: number } = {},
): Promise<{ identityId: number; personId: number }> {
  const identity = await prisma.channelIdentity.create({
    data: {
      channel: channel.toUpperCase() as "TELEGRAM" | "ZALO" | "CLI",
      externalUserId: userId,
      chatId: userId,
      unreachableAt: extra.unreachable ? new Date() : null,
      ...(extra.personId ? { personId: extra.personId } : { person: { create: {} } }),
    },
  });
  if (unitCode) {
    await prisma.subscription.create({
      data: { identityId: identity.id, unitCode, source: "QR", optedOutAt: extra.optedOut ? new Date() : null },
    });
  }
  return { identityId: identity.id, personId: identity.personId };
}

/** Gives an account a role (creating the account), as `admin grant` does. */
export async function staff(prisma: PrismaClient, channel: "telegram" | "zalo", userId: string, role: "OFFICER" | "SUPERVISOR" | "ADMIN", unitCode: string) {
  const personId = await personForAccount(prisma, channel, userId);
  await grantRole(prisma, { personId, role, unitCode, by: op });
  return personId;
}

export { seedUnits };
