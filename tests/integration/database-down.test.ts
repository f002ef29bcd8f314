// The database goes away (a TCP proxy in front of the test PostgreSQL is cut): a webhook message gets
// 503 and nothing is sent — not "please try again" with 200, after which the platform would never deliver
// it again — and the update is not marked done, so the platform's re-delivery once the database is back
// is answered, exactly once. For Telegram and Zalo webhooks.
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TelegramAdapter } from "../../src/channels/telegram/index.ts";
import { ZaloAdapter } from "../../src/channels/zalo/adapter.ts";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { isDatabaseUnavailable } from "../../src/db/errors.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TcpProxy } from "../helpers/tcp-proxy.ts";
import { TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

async function serve(register: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(async (scope) => register(scope));
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

/** POSTs an update to a webhook and gives the HTTP status. */
function poster(url: string, headers: Record<string, string>): (update: Record<string, unknown>) => Promise<number> {
  return async (update) =>
    (await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(update) })).status;
}

/** Stops everything a test started; the database comes back up first so the core can close cleanly. */
async function teardown(parts: { server?: FastifyInstance; redis?: Redis; fake?: { close(): Promise<unknown> }; proxy?: TcpProxy; core?: TestCore }) {
  await parts.server?.close();
  parts.redis?.disconnect();
  await parts.fake?.close();
  await parts.proxy?.up();
  await parts.core?.close();
  await parts.proxy?.down();
}

/** A migrated PostgreSQL database reached through a proxy the test can cut. */
async function databaseBehindProxy(): Promise<{ db: Database; proxy: TcpProxy }> {
  const proxy = await TcpProxy.forUrl(inject("postgresUrl")).up();
  const db = await openDatabase({ databaseUrl: proxy.url(await createPostgresDatabase()), officialUnits: false });
  await db.migrate();
  return { db, proxy };
}

describe("Telegram webhook with the database down", () => {
  let fake: FakeTelegram;
  let core: TestCore;
  let proxy: TcpProxy;
  let redis: Redis;
  let server: FastifyInstance;
  let post: (update: Record<string, unknown>) => Promise<number>;

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    const env = { TELEGRAM_BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: fake.url, TELEGRAM_MODE: "webhook", TELEGRAM_WEBHOOK_SECRET: TEST_SECRET, RATE_LIMIT_PER_MINUTE: "1000" };
    const behind = await databaseBehindProxy();
    proxy = behind.proxy;
    core = await createTestCore({ env, db: behind.db });
    redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
    const adapter = new TelegramAdapter({
      config: testConfig(env),
      core,
      redis,
      log: createLogger("silent"),
      keyPrefix: `test:tg-dbdown:${randomBytes(4).toString("hex")}:`,
      webhookTimeoutMs: 20_000,
    });
    const served = await serve((scope) => adapter.routes(scope));
    server = served.app;
    post = poster(`${served.url}/webhooks/telegram`, { "x-telegram-bot-api-secret-token": TEST_SECRET });
  }, 60_000);
  afterAll(() => teardown({ server, redis, fake, proxy, core }));

  it("answers 503 and sends nothing while the database is down, and answers the re-delivery once after", async () => {
    const sentTo = (chat: number) => fake.ok("sendMessage").filter((c) => c.params.chat_id === chat).length;
    expect(await post(withUpdateId(textUpdate("/start", 7101)))).toBe(200);
    expect(sentTo(7101)).toBeGreaterThan(0);

    await proxy.down();
    const update = withUpdateId(textUpdate("/start", 7102));
    expect(await post(update)).toBe(503);
    // Delivered again while still down: still 503 (not marked done, not a "duplicate"), still nothing sent.
    expect(await post(update)).toBe(503);
    expect(sentTo(7102)).toBe(0);

    await proxy.up();
    expect(await post(update)).toBe(200);
    const answered = sentTo(7102);
    expect(answered).toBe(sentTo(7101));
    // A later copy changes nothing.
    expect(await post(update)).toBe(200);
    expect(sentTo(7102)).toBe(answered);
  }, 60_000);
});

describe("Zalo webhook with the database down", () => {
  const TOKEN = "123456789:database-down-token";
  const SECRET = "zalo-database-down-secret";
  let fake: FakeZaloApi;
  let core: TestCore;
  let proxy: TcpProxy;
  let redis: Redis;
  let server: FastifyInstance;
  let post: (update: Record<string, unknown>) => Promise<number>;

  beforeAll(async () => {
    fake = await FakeZaloApi.start(TOKEN);
    const behind = await databaseBehindProxy();
    proxy = behind.proxy;
    core = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" }, db: behind.db });
    redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
    const config = testConfig({ ZALO_BOT_TOKEN: TOKEN, ZALO_API_BASE: fake.url, ZALO_WEBHOOK_SECRET: SECRET, ZALO_MODE: "webhook" });
    const adapter = new ZaloAdapter(
      { config, core, redis, log: createLogger("silent") },
      { keyPrefix: `t-zalo-dbdown-${randomBytes(4).toString("hex")}`, client: { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 100 } } },
    );
    const served = await serve((scope) => adapter.routes(scope));
    server = served.app;
    post = poster(`${served.url}/webhooks/zalo`, { "x-bot-api-secret-token": SECRET });
  }, 60_000);
  afterAll(() => teardown({ server, redis, fake, proxy, core }));

  it("answers 503 and sends nothing while the database is down, and answers the re-delivery once after", async () => {
    expect(await post(zaloTextUpdate("/start", { chatId: "zd1", userId: "zd1", messageId: "m-zd1" }))).toBe(200);
    const expected = fake.texts("zd1").length;
    expect(expected).toBeGreaterThan(0);

    await proxy.down();
    const update = zaloTextUpdate("/start", { chatId: "zd2", userId: "zd2", messageId: "m-zd2" });
    expect(await post(update)).toBe(503);
    expect(await post(update)).toBe(503);
    expect(fake.texts("zd2")).toEqual([]);

    await proxy.up();
    expect(await post(update)).toBe(200);
    expect(fake.texts("zd2")).toHaveLength(expected);
    expect(await post(update)).toBe(200);
    expect(fake.texts("zd2")).toHaveLength(expected);
  }, 60_000);
});

describe("isDatabaseUnavailable", () => {
  it("knows connection failures from other errors", () => {
    const prismaLike = (code: string, meta?: unknown) => Object.assign(new Error("Invalid invocation"), { code, meta });
    expect(isDatabaseUnavailable(prismaLike("P1001"))).toBe(true);
    expect(isDatabaseUnavailable(prismaLike("P1017"))).toBe(true);
    expect(isDatabaseUnavailable(prismaLike("P2024"))).toBe(true);
    expect(isDatabaseUnavailable(prismaLike("P2010", { driverAdapterError: { name: "DriverAdapterError", cause: { kind: "ConnectionClosed" } } }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("wrapped", { cause: new Error("PGlite is closed") }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    // Not a connection problem: a unique violation, a bug, a missing row.
    expect(isDatabaseUnavailable(prismaLike("P2002"))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("cannot read properties of undefined"))).toBe(false);
    expect(isDatabaseUnavailable(prismaLike("P2025"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
