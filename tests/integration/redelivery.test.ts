// Kill and re-deliver: an instance "crashes" in the middle of its turns (its promises never settle, as
// after SIGKILL), a second instance on the same Redis and database gets the same updates again once the
// crashed instance's leases have expired. Every update must be answered, and no message sent twice:
// - crash before the answer: the re-delivery is answered in full;
// - crash after the first message of a two-message answer: only the second one is sent;
// - crash after the whole answer, before the update was marked done: nothing is sent again;
// - answered and marked done: nothing is sent again.
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TelegramAdapter } from "../../src/channels/telegram/index.ts";
import { ZaloAdapter } from "../../src/channels/zalo/adapter.ts";
import type { Core } from "../../src/core/ports.ts";
import type { IncomingMessage } from "../../src/core/types.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

const LEASE_MS = 4_000;
const never = <T>() => new Promise<T>(() => undefined);

/**
 * A Redis connection whose `set` never returns for the keys `hang` picks (the process died there), and
 * whose lease renewals (`eval`) never arrive: a dead process renews nothing.
 */
function dyingRedis(real: Redis, hang: (key: string, value: string) => boolean): Redis {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "eval") return () => never();
      if (prop === "set") {
        return (...args: unknown[]) =>
          hang(String(args[0]), String(args[1])) ? never() : (target.set as (...a: unknown[]) => Promise<unknown>)(...args);
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The core with a pipeline that never answers the chats `hang` picks. */
function dyingCore(core: Core, hang: (incoming: IncomingMessage) => boolean): Core {
  const pipeline = {
    handle: (incoming: IncomingMessage) => (hang(incoming) ? never() : core.pipeline.handle(incoming)),
  } as unknown as Core["pipeline"];
  return { ...core, pipeline };
}

function twoPartCommand(core: TestCore): void {
  core.router.command({
    name: "hai_phan",
    description: "two messages",
    listedFor: "everyone",
    run: async () => [{ text: "Phần một của câu trả lời." }, { text: "Phần hai của câu trả lời." }],
  });
}

async function serve(register: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; url: string }> {
  // A dead instance never answers: closing must not wait for its requests.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(async (scope) => register(scope));
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

const ANSWER = ["Phần một của câu trả lời.", "Phần hai của câu trả lời."];

describe("Telegram webhook: kill and re-deliver", () => {
  let fake: FakeTelegram;
  let core: TestCore;
  let redis: Redis;
  const servers: FastifyInstance[] = [];
  const keyPrefix = `test:tg-redeliver:${randomBytes(4).toString("hex")}:`;
  const env = {
    TELEGRAM_BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_MODE: "webhook",
    TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
    RATE_LIMIT_PER_MINUTE: "1000",
  };

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    core = await createTestCore({ env: { ...env, TELEGRAM_API_ROOT: fake.url } });
    twoPartCommand(core);
    redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const app of servers) await app.close();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await fake.close();
    await core.close();
  });

  const instance = async (options: { core: Core; redis: Redis; webhookTimeoutMs: number }) => {
    const adapter = new TelegramAdapter({
      config: testConfig({ ...env, TELEGRAM_API_ROOT: fake.url }),
      core: options.core,
      redis: options.redis,
      log: createLogger("silent"),
      keyPrefix,
      leaseMs: LEASE_MS,
      // The webhook answers 503 when its turn is still running after this long.
      webhookTimeoutMs: options.webhookTimeoutMs,
    });
    const { app, url } = await serve((scope) => adapter.routes(scope));
    servers.push(app);
    return (update: Record<string, unknown>) =>
      fetch(`${url}/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
        body: JSON.stringify(update),
      });
  };

  it("answers every re-delivered update after a crash, and sends no message twice", async () => {
    const chats = { beforeAnswer: [201, 202, 203, 204], midAnswer: [205, 206, 207], beforeDone: [208, 209, 210], done: [211, 212] };
    const all = Object.values(chats).flat();
    const updates = new Map(all.map((chat) => [chat, withUpdateId(textUpdate("/hai_phan", chat))]));
    const updateOf = (key: string) => Number(key.split(":").at(-1)!.replace(/\D.*$/, ""));
    const chatOf = new Map([...updates].map(([chat, u]) => [u.update_id, chat]));
    const inGroup = (group: number[], key: string) => group.includes(chatOf.get(updateOf(key.replace(/:r\d+$/, ""))) ?? -1);

    // Instance A dies: before answering, between the two messages, or before marking the update done.
    const postA = await instance({
      core: dyingCore(core, (m) => chats.beforeAnswer.includes(Number(m.chatId))),
      redis: dyingRedis(redis, (key, value) =>
        (key.endsWith(":r1") && inGroup(chats.midAnswer, key)) || (value === "done" && inGroup(chats.beforeDone, key)),
      ),
      webhookTimeoutMs: 1_000,
    });
    await core.say("/hai_phan", "warm-up", "telegram"); // the first turn on a fresh database is slow
    for (const chat of chats.done) expect((await postA(updates.get(chat)!)).status).toBe(200);
    const crashed = all.filter((chat) => !chats.done.includes(chat));
    const first = await Promise.all(crashed.map((chat) => postA(updates.get(chat)!)));
    // Telegram is told to deliver again whatever did not finish.
    expect(first.map((r) => r.status)).toEqual(crashed.map(() => 503));
    const textsOf = (chat: number) => fake.ok("sendMessage").filter((c) => c.params.chat_id === chat).map((c) => String(c.params.text));
    // The dying turns got as far as they could.
    await fake.waitFor(
      () => chats.midAnswer.every((c) => textsOf(c).length === 1) && chats.beforeDone.every((c) => textsOf(c).length === 2),
    );
    for (const chat of chats.beforeAnswer) expect(textsOf(chat)).toEqual([]);
    for (const chat of chats.midAnswer) expect(textsOf(chat)).toEqual([ANSWER[0]]);
    for (const chat of [...chats.beforeDone, ...chats.done]) expect(textsOf(chat)).toEqual(ANSWER);

    // Instance B starts on the same Redis and database. While A's leases live, a re-delivery is refused
    // with 503 (Telegram tries again later) and nothing is sent.
    const postB = await instance({ core, redis, webhookTimeoutMs: 20_000 });
    const early = await postB(updates.get(chats.beforeAnswer[0]!)!);
    expect(early.status).toBe(503);
    expect(textsOf(chats.beforeAnswer[0]!)).toEqual([]);

    await new Promise((r) => setTimeout(r, LEASE_MS + 200));
    const again = await Promise.all(all.map((chat) => postB(updates.get(chat)!)));
    expect(again.map((r) => r.status)).toEqual(all.map(() => 200));
    // Each chat has its answer exactly once.
    for (const chat of all) expect(textsOf(chat), `chat ${chat}`).toEqual(ANSWER);

    // And a third delivery changes nothing.
    const third = await Promise.all(all.map((chat) => postB(updates.get(chat)!)));
    expect(third.map((r) => r.status)).toEqual(all.map(() => 200));
    expect(fake.ok("sendMessage")).toHaveLength(all.length * 2);
  });
});

describe("Zalo webhook: kill and re-deliver", () => {
  const TOKEN = "123456789:redelivery-test-token";
  const SECRET = "zalo-redelivery-secret-42";
  let fake: FakeZaloApi;
  let core: TestCore;
  let redis: Redis;
  const servers: FastifyInstance[] = [];
  const keyPrefix = `t-zalo-redeliver-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    fake = await FakeZaloApi.start(TOKEN);
    core = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    twoPartCommand(core);
    redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const app of servers) await app.close();
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await fake.close();
    await core.close();
  });

  const instance = async (options: { core: Core; redis: Redis }) => {
    const config = testConfig({ ZALO_BOT_TOKEN: TOKEN, ZALO_API_BASE: fake.url, ZALO_WEBHOOK_SECRET: SECRET, ZALO_MODE: "webhook" });
    const adapter = new ZaloAdapter(
      { config, core: options.core, redis: options.redis, log: createLogger("silent") },
      { keyPrefix, leaseMs: LEASE_MS, client: { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 100 } } },
    );
    const { app, url } = await serve((scope) => adapter.routes(scope));
    servers.push(app);
    return (update: Record<string, unknown>, timeoutMs = 20_000) =>
      fetch(`${url}/webhooks/zalo`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(timeoutMs),
      }).then(
        (r) => r.status,
        () => "no answer" as const, // the instance died while the platform waited
      );
  };

  it("answers every re-delivered event after a crash, and sends no message twice", async () => {
    const chats = {
      beforeAnswer: ["z201", "z202", "z203", "z204"],
      midAnswer: ["z205", "z206", "z207"],
      beforeDone: ["z208", "z209", "z210"],
      done: ["z211", "z212"],
    };
    const all = Object.values(chats).flat();
    const updates = new Map(all.map((chat) => [chat, zaloTextUpdate("/hai_phan", { chatId: chat, userId: chat, messageId: `msg-${chat}` })]));
    const inGroup = (group: string[], key: string) => group.some((chat) => key.includes(`:msg-${chat}`));

    await core.say("/hai_phan", "warm-up", "zalo");
    const postA = await instance({
      core: dyingCore(core, (m) => chats.beforeAnswer.includes(m.chatId)),
      redis: dyingRedis(redis, (key, value) =>
        (key.endsWith(":r1") && inGroup(chats.midAnswer, key)) || (value === "done" && inGroup(chats.beforeDone, key)),
      ),
    });
    for (const chat of chats.done) expect(await postA(updates.get(chat)!)).toBe(200);
    const crashed = all.filter((chat) => !chats.done.includes(chat));
    const first = await Promise.all(crashed.map((chat) => postA(updates.get(chat)!, 1_500)));
    expect(first).toEqual(crashed.map(() => "no answer"));
    await fake.waitFor(
      () => chats.midAnswer.every((c) => fake.texts(c).length === 1) && chats.beforeDone.every((c) => fake.texts(c).length === 2),
    );
    for (const chat of chats.beforeAnswer) expect(fake.texts(chat)).toEqual([]);
    for (const chat of chats.midAnswer) expect(fake.texts(chat)).toEqual([ANSWER[0]]);
    for (const chat of [...chats.beforeDone, ...chats.done]) expect(fake.texts(chat)).toEqual(ANSWER);

    const postB = await instance({ core, redis });
    expect(await postB(updates.get(chats.beforeAnswer[0]!)!)).toBe(503); // A's lease is still alive
    expect(fake.texts(chats.beforeAnswer[0]!)).toEqual([]);

    await new Promise((r) => setTimeout(r, LEASE_MS + 200));
    const again = await Promise.all(all.map((chat) => postB(updates.get(chat)!)));
    expect(again).toEqual(all.map(() => 200));
    for (const chat of all) expect(fake.texts(chat), chat).toEqual(ANSWER);
    expect(await Promise.all(all.map((chat) => postB(updates.get(chat)!)))).toEqual(all.map(() => 200));
    expect(fake.callsOf("sendMessage")).toHaveLength(all.length * 2);
  });
});
