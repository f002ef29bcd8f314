// The Telegram adapter wired to a test core (PGlite), real Redis, a real fastify server and the fake
// Bot API server, for integration tests. Also seeds a small unit tree.
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { TelegramAdapter, type TelegramAdapterOptions } from "../../src/channels/telegram/index.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "./config.ts";
import { createTestCore, type TestCore } from "./core.ts";
import { FakeTelegram } from "./fake-telegram.ts";

export const TEST_TOKEN = "123456789:AAtestTOKENtestTOKENtestTOKEN_xyz";
export const TEST_SECRET = "webhook-secret-for-tests";

/** Province 44 → district 450 → communes; two communes named "Tân Lập" in different provinces. */
export async function seedUnits(prisma: PrismaClient): Promise<void> {
  const units = [
    { code: "44", name: "Quảng Bình", level: "PROVINCE", parentCode: null, path: "/44/" },
    { code: "450", name: "Lệ Thủy", level: "DISTRICT", parentCode: "44", path: "/44/450/" },
    { code: "19123", name: "Xã Sen Thủy", level: "COMMUNE", parentCode: "450", path: "/44/450/19123/" },
    { code: "19126", name: "Xã Tân Lập", level: "COMMUNE", parentCode: "450", path: "/44/450/19126/" },
    { code: "01", name: "Hà Nội", level: "PROVINCE", parentCode: null, path: "/01/" },
    { code: "273", name: "Đan Phượng", level: "DISTRICT", parentCode: "01", path: "/01/273/" },
    { code: "09877", name: "Xã Tân Lập", level: "COMMUNE", parentCode: "273", path: "/01/273/09877/" },
  ] as const;
  const fold = (s: string) =>
    s.toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/\p{M}+/gu, "").normalize("NFC");
  for (const u of units) {
    await prisma.adminUnit.create({ data: { ...u, nameFolded: fold(u.name) } });
  }
}

let nextUpdateId = 1 + Math.floor(Math.random() * 1_000_000);
/** Gives an update an update_id unless it has one. */
export function withUpdateId(update: Record<string, unknown>): Record<string, unknown> & { update_id: number } {
  return { update_id: nextUpdateId++, ...update } as Record<string, unknown> & { update_id: number };
}

export interface TelegramHarness {
  fake: FakeTelegram;
  core: TestCore;
  adapter: TelegramAdapter;
  http: FastifyInstance;
  /** Base URL of the fastify server. */
  url: string;
  redis: Redis;
  /** POSTs an update to the webhook with the given secret (the right one unless told otherwise). */
  postUpdate(update: Record<string, unknown>, secret?: string | null): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode: "webhook" | "polling";
  env?: Record<string, string>;
  adapter?: Partial<TelegramAdapterOptions>;
  /** Runs before the adapter starts (register test commands, seed data…). */
  prepare?(core: TestCore): Promise<void> | void;
  /** Start the adapter (getMe, menus, webhook or polling). Default true. */
  start?: boolean;
}

export async function startTelegramHarness(options: HarnessOptions): Promise<TelegramHarness> {
  const fake = await new FakeTelegram().start();
  const env = {
    TELEGRAM_BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_API_ROOT: fake.url,
    TELEGRAM_MODE: options.mode,
    TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
    RATE_LIMIT_PER_MINUTE: "1000",
    ...options.env,
  };
  const core = await createTestCore({ env });
  await seedUnits(core.db.prisma);
  await options.prepare?.(core);
  const redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
  const adapter = new TelegramAdapter({
    config: testConfig(env),
    core,
    redis,
    log: createLogger("silent"),
    keyPrefix: `test:tg:${randomBytes(4).toString("hex")}:`,
    pollTimeoutSec: 1,
    // Generous, so a POST returns only once its turn is done even on a loaded machine.
    webhookTimeoutMs: 25_000,
    ...options.adapter,
  });
  const http = Fastify();
  await http.register(async (scope) => adapter.routes(scope));
  await http.listen({ port: 0, host: "127.0.0.1" });
  const address = http.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  if (options.start !== false) await adapter.start();
  return {
    fake,
    core,
    adapter,
    http,
    url,
    redis,
    postUpdate(update, secret = TEST_SECRET) {
      return fetch(`${url}/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }) },
        body: JSON.stringify("update_id" in update ? update : withUpdateId(update)),
      });
    },
    async close() {
      await adapter.stop();
      await http.close();
      await fake.close();
      redis.disconnect();
      await core.close();
    },
  };
}
