// Authenticate before you count: a flood of webhook calls with a wrong secret never locks out the
// platform's own calls; strangers get cheap 401s under their own per-IP limit, logged sampled; behind a
// trusted proxy (TRUST_PROXY) each client is counted by its forwarded address.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TelegramAdapter } from "../../src/channels/telegram/index.ts";
import { buildHttpServer } from "../../src/http/server.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { TEST_SECRET, TEST_TOKEN, withUpdateId } from "../helpers/telegram-harness.ts";

describe("webhook: authenticate before you count", () => {
  let fake: FakeTelegram;
  let core: TestCore;
  let redis: Redis;
  let http: FastifyInstance;
  let url: string;
  const logLines: string[] = [];
  const env = { TELEGRAM_BOT_TOKEN: TEST_TOKEN, TELEGRAM_MODE: "webhook", TELEGRAM_WEBHOOK_SECRET: TEST_SECRET, RATE_LIMIT_PER_MINUTE: "1000" };

  beforeAll(async () => {
    fake = await new FakeTelegram().start();
    core = await createTestCore({ env: { ...env, TELEGRAM_API_ROOT: fake.url } });
    redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
    const log = createLogger("warn", { write: (line: string) => void logLines.push(line) });
    const adapter = new TelegramAdapter({
      config: testConfig({ ...env, TELEGRAM_API_ROOT: fake.url }),
      core,
      redis,
      log,
      keyPrefix: `test:tg-auth:${randomBytes(4).toString("hex")}:`,
      webhookTimeoutMs: 20_000,
    });
    http = await buildHttpServer({
      log,
      metrics: new Registry(),
      readiness: [],
      perIpPerMinute: 30,
      unauthenticatedPerIpPerMinute: 20,
      trustProxy: ["127.0.0.1"],
      plugins: [(app) => adapter.routes(app)],
    });
    await http.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await http?.close();
    redis?.disconnect();
    await fake?.close();
    await core?.close();
  });

  const post = (update: Record<string, unknown>, secret: string, clientIp: string) =>
    fetch(`${url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret, "x-forwarded-for": clientIp },
      body: JSON.stringify(withUpdateId(update)),
    });

  it("answers Telegram's next update after a flood with a wrong secret from the same address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) statuses.push((await post(textUpdate("/help", 700), "wrong-secret", "203.0.113.7")).status);
    expect(statuses.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => 401));
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    expect(fake.ok("sendMessage")).toHaveLength(0);
    // Sampled: a few lines, not one per refused call.
    const refusedLines = logLines.filter((l) => l.includes("without valid credentials"));
    expect(refusedLines.length).toBeGreaterThan(0);
    expect(refusedLines.length).toBeLessThanOrEqual(6);

    // The same address with the right secret: answered, not 429.
    const real = await post(textUpdate("/help", 701), TEST_SECRET, "203.0.113.7");
    expect(real.status).toBe(200);
    expect(fake.ok("sendMessage").filter((c) => c.params.chat_id === 701)).toHaveLength(1);
  });

  it("counts each client behind the trusted proxy by its forwarded address", async () => {
    // Another stranger behind the same proxy is not punished for the first one's flood.
    expect((await post(textUpdate("/help", 702), "wrong-secret", "198.51.100.9")).status).toBe(401);
    // Authenticated calls have their own per-IP limit (30 a minute here).
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await post(textUpdate("/help", 703), TEST_SECRET, "192.0.2.1")).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.slice(30)).toEqual([429, 429]);
    expect((await post(textUpdate("/help", 704), TEST_SECRET, "192.0.2.2")).status).toBe(200);
  });
});
