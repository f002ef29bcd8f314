// The Zalo channel in polling mode: a getUpdates loop against a fake Zalo Bot API on loopback.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp } from "../../src/app.ts";
import { ZaloAdapter } from "../../src/channels/zalo/adapter.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

const TOKEN = "123456789:polling-test-token";

describe("Zalo channel, polling mode", () => {
  let fake: FakeZaloApi;
  let bot: TestCore;
  let redis: Redis;
  let adapter: ZaloAdapter;
  const keyPrefix = `t-zalo-polling-${randomBytes(4).toString("hex")}`;

  const push = (text: string, chatId: string, messageId?: string) =>
    fake.pushUpdate(zaloTextUpdate(text, { chatId, userId: chatId, bare: true, ...(messageId ? { messageId } : {}) }));
  const answers = (chatId: string, count: number) =>
    fake.waitFor(() => fake.texts(chatId).length >= count, 5000, `${count} answer(s) to ${chatId}`);

  beforeAll(async () => {
    fake = await FakeZaloApi.start(TOKEN);
    fake.webhookUrl = "https://old.example.vn/webhooks/zalo"; // left over from webhook mode
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    bot.router
      .command({
        name: "chude",
        description: "test menu",
        listedFor: "everyone",
        run: async () => [{ text: "Chủ đề:", buttons: [[{ label: "VNeID", payload: "thu:vneid" }, { label: "Căn cước", payload: "thu:cccd" }]] }],
      })
      .payload({ prefix: "thu", run: async (_ctx, value) => [{ text: `Bạn đã chọn ${value}.` }] });
    redis = new Redis(inject("redisUrl"));
    const config = testConfig({ ZALO_BOT_TOKEN: TOKEN, ZALO_API_BASE: fake.url, ZALO_MODE: "polling" });
    adapter = new ZaloAdapter(
      { config, core: bot, redis, log: createLogger("silent") },
      {
        keyPrefix,
        pollTimeoutSec: 5, // polls end early whenever an update is pushed
        pollBackoff: { baseMs: 20, maxMs: 100 },
        client: { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } },
      },
    );
    await adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis?.disconnect();
    await bot?.close();
    await fake?.close();
  });

  it("removes a leftover webhook, then long-polls with the configured timeout", async () => {
    await fake.waitFor(() => fake.callsOf("getUpdates").length > 0, 5000, "the first getUpdates");
    expect(fake.calls.slice(0, 3).map((c) => c.method)).toEqual(["getWebhookInfo", "deleteWebhook", "getUpdates"]);
    expect(fake.webhookUrl).toBe("");
    expect(fake.callsOf("getUpdates")[0]!.body).toEqual({ timeout: "5" });
  });

  it("picks up messages and answers them, in order", async () => {
    push("/help", "poll-a");
    await answers("poll-a", 1);
    expect(fake.texts("poll-a")[0]).toMatch(/Bạn có thể/);
    push("/start", "poll-b");
    push("/help", "poll-b");
    await answers("poll-b", 2);
    expect(fake.texts("poll-b")[0]).toMatch(/Xin chào/);
    expect(fake.texts("poll-b")[1]).toMatch(/Bạn có thể/);
  });

  it("selects numbered options by number", async () => {
    push("/chude", "poll-menu");
    await answers("poll-menu", 1);
    expect(fake.texts("poll-menu")[0]).toBe("Chủ đề:\n\nGõ số để chọn:\n1. VNeID\n2. Căn cước");
    push("2", "poll-menu");
    await answers("poll-menu", 2);
    expect(fake.texts("poll-menu")[1]).toBe("Bạn đã chọn cccd.");
  });

  it("handles the same event once", async () => {
    push("/help", "poll-dup", "poll-dup-1");
    push("/help", "poll-dup", "poll-dup-1");
    push("/start", "poll-dup", "poll-dup-2");
    await answers("poll-dup", 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.texts("poll-dup")).toHaveLength(2);
  });

  it("backs off after errors and malformed answers, and keeps polling", async () => {
    // The current poll is already waiting; the scripted answers apply to the following ones.
    const pollsBefore = fake.callsOf("getUpdates").length;
    fake.script(
      "getUpdates",
      { status: 500, body: { ok: false, error_code: 500, description: "Internal error" } },
      { drop: true },
      { body: { ok: "maybe" } },
      { body: { ok: true, result: { event_name: "message.text.received", message: { text: "no sender" } } } },
    );
    push("/help", "poll-recover"); // answered by the poll in flight
    await answers("poll-recover", 1);
    push("/start", "poll-recover"); // queued until the loop has gone through the errors
    await answers("poll-recover", 2);
    expect(fake.texts("poll-recover")[1]).toMatch(/Xin chào/);
    expect(fake.callsOf("getUpdates").length).toBeGreaterThanOrEqual(pollsBefore + 5);
  });

  it("stops cleanly, cancelling the poll in flight", async () => {
    await fake.waitFor(() => fake.pendingPolls === 1, 3000, "a poll in flight");
    const started = Date.now();
    await adapter.stop();
    expect(Date.now() - started).toBeLessThan(2000); // well before the 5 s poll would end
    const polls = fake.callsOf("getUpdates").length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.callsOf("getUpdates").length).toBe(polls);
    await fake.waitFor(() => fake.pendingPolls === 0, 1000, "the fake to notice the cancelled poll");
  });
});

describe("Zalo channel wired into the app", () => {
  it("starts with the app when ZALO_BOT_TOKEN is set, answers, and stops with it", async () => {
    const fake = await FakeZaloApi.start(TOKEN);
    const dir = mkdtempSync(path.join(tmpdir(), "troly06-zalo-app-"));
    const app = await startApp(
      testConfig({
        DATA_DIR: dir,
        REDIS_URL: inject("redisUrl"),
        DATABASE_URL: await createPostgresDatabase(),
        ZALO_BOT_TOKEN: TOKEN,
        ZALO_API_BASE: fake.url,
        ZALO_MODE: "polling",
        SHUTDOWN_GRACE_MS: "1000",
      }),
      createLogger("silent"),
    );
    try {
      expect(app.channels.get("zalo")).toBeInstanceOf(ZaloAdapter);
      fake.pushUpdate(zaloTextUpdate("/help", { chatId: "app-chat", messageId: `app-${randomBytes(4).toString("hex")}`, bare: true }));
      await fake.waitFor(() => fake.texts("app-chat").length === 1, 10_000, "the app's answer");
      expect(fake.texts("app-chat")[0]).toMatch(/Bạn có thể/);
    } finally {
      await app.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
