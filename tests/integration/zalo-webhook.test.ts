// The Zalo channel in webhook mode: real HTTP into POST /webhooks/zalo, the real core on PGlite, real
// Redis, and a fake Zalo Bot API on loopback that records what the bot sends.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ZaloAdapter } from "../../src/channels/zalo/adapter.ts";
import { RateLimitedError, UnreachableError } from "../../src/channels/types.ts";
import { ZaloApiError } from "../../src/channels/zalo/client.ts";
import { buildHttpServer } from "../../src/http/server.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

const TOKEN = "123456789:webhook-test-token";
const SECRET = "zalo-webhook-secret-42";
const LONG_SENTENCES = [
  "Người dân có thể nộp hồ sơ cấp đổi thẻ căn cước trực tuyến trên Cổng dịch vụ công quốc gia hoặc ứng dụng VNeID.",
  "Hồ sơ cần ảnh chân dung rõ nét, thông tin cư trú chính xác và lệ phí theo quy định hiện hành.",
  "Sau khi nộp, bạn theo dõi trạng thái hồ sơ trong mục “Quản lý hồ sơ” và chờ thông báo lịch hẹn!",
  "Khi đến nhận thẻ, hãy mang theo thẻ cũ hoặc giấy hẹn để cán bộ đối chiếu?",
];
const LONG_TEXT = Array.from({ length: 45 }, (_, i) => LONG_SENTENCES[i % LONG_SENTENCES.length]).join(" ");

describe("Zalo channel, webhook mode", () => {
  let fake: FakeZaloApi;
  let bot: TestCore;
  let redis: Redis;
  let adapter: ZaloAdapter;
  let http: FastifyInstance;
  let url: string;
  const keyPrefix = `t-zalo-webhook-${randomBytes(4).toString("hex")}`;

  const post = (body: unknown, secret: string | null = SECRET) =>
    fetch(`${url}/webhooks/zalo`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-bot-api-secret-token": secret }) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const say = async (chatId: string, text: string, extra: { messageId?: string; bare?: boolean } = {}) => {
    const response = await post(zaloTextUpdate(text, { chatId, userId: chatId, ...extra }));
    expect(response.status).toBe(200);
    return fake.texts(chatId).at(-1) ?? "";
  };

  beforeAll(async () => {
    fake = await FakeZaloApi.start(TOKEN);
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    bot.router
      .command({
        name: "chude",
        description: "test menu",
        listedFor: "everyone",
        run: async () => [
          {
            text: "Bạn cần hỗ trợ về:",
            buttons: [
              [{ label: "VNeID", payload: "thu:vneid" }, { label: "Thẻ căn cước", payload: "thu:cccd" }],
              [{ label: "Hỏi cán bộ", payload: "thu:canbo" }],
            ],
          },
        ],
      })
      .command({ name: "dai", description: "long answer", listedFor: "everyone", run: async () => [{ text: LONG_TEXT }] })
      .payload({ prefix: "thu", run: async (_ctx, value) => [{ text: `Bạn đã chọn ${value}.` }] });
    redis = new Redis(inject("redisUrl"));
    const log = createLogger("silent");
    const config = testConfig({
      ZALO_BOT_TOKEN: TOKEN,
      ZALO_API_BASE: fake.url,
      ZALO_WEBHOOK_SECRET: SECRET,
      ZALO_MODE: "webhook",
      PUBLIC_URL: "https://bot.example.vn",
    });
    adapter = new ZaloAdapter(
      { config, core: bot, redis, log },
      { keyPrefix, client: { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 } } },
    );
    http = await buildHttpServer({ log, metrics: new Registry(), readiness: [], plugins: [(app) => adapter.routes(app)] });
    await http.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(http.server.address() as { port: number }).port}`;
    await adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    await http?.close();
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis?.disconnect();
    await bot?.close();
    await fake?.close();
  });

  it("registers the webhook at PUBLIC_URL with the secret on start", () => {
    expect(fake.callsOf("setWebhook").map((c) => c.body)).toEqual([
      { url: "https://bot.example.vn/webhooks/zalo", secret_token: SECRET },
    ]);
  });

  it("answers a text message with the right secret through sendMessage", async () => {
    const response = await post(zaloTextUpdate("/help", { chatId: "chat-help" }));
    expect(response.status).toBe(200);
    // The answer is sent before the webhook returns 200.
    expect(fake.texts("chat-help")).toHaveLength(1);
    expect(fake.texts("chat-help")[0]).toMatch(/Bạn có thể/);
    const stored = await bot.db.prisma.channelIdentity.findFirst({ where: { chatId: "chat-help" } });
    expect(stored).toMatchObject({ channel: "ZALO", displayName: "Ted" });
  });

  it("accepts the bare update as well as the wrapped one", async () => {
    expect(await say("chat-bare", "/start", { bare: true })).toMatch(/Xin chào/);
  });

  it("rejects a wrong or missing secret with 401 and processes nothing", async () => {
    const before = fake.calls.length;
    for (const secret of ["wrong-secret-000", "", null]) {
      const response = await post(zaloTextUpdate("/help", { chatId: "chat-intruder" }), secret);
      expect(response.status).toBe(401);
    }
    expect((await post("{not json", "wrong-secret-000")).status).toBe(401); // checked before the body
    expect(fake.calls.length).toBe(before);
    expect(await bot.db.prisma.channelIdentity.count({ where: { chatId: "chat-intruder" } })).toBe(0);
  });

  it("rejects a malformed body with 400", async () => {
    const before = fake.calls.length;
    for (const body of [
      { event_name: "message.text.received", message: { text: "thiếu người gửi" } },
      { ok: true, result: { message: {} } },
      [],
      "{not json",
    ]) {
      expect((await post(body)).status).toBe(400);
    }
    expect(fake.calls.length).toBe(before);
  });

  it("handles a re-delivered event once", async () => {
    const update = zaloTextUpdate("/help", { chatId: "chat-dup", messageId: "dup-1" });
    const first = await Promise.all([post(update), post(update)]);
    const again = await post(update);
    // A copy that arrives while the first is being answered gets 503 (Zalo may try again later); once
    // answered, every copy gets 200. The answer goes out once.
    expect(first.map((r) => r.status).sort()).toEqual([200, 503]);
    expect(again.status).toBe(200);
    expect(fake.texts("chat-dup")).toHaveLength(1);
  });

  it("asks politely for text when it gets an image or a sticker, and ignores other events", async () => {
    const image = zaloTextUpdate("", { chatId: "chat-img", event: "message.image.received" });
    expect((await post(image)).status).toBe(200);
    expect(fake.texts("chat-img")).toEqual([bot.services.messages.emptyMessage]);
    const follow = { ok: true, result: { event_name: "user.follow" } };
    const before = fake.calls.length;
    expect((await post(follow)).status).toBe(200);
    expect(fake.calls.length).toBe(before);
  });

  it("splits a long answer at 2000 characters on sentence boundaries", async () => {
    await say("chat-long", "/dai");
    const parts = fake.texts("chat-long");
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(part).toMatch(/[.!?]$/);
    }
    expect(parts.join(" ")).toBe(LONG_TEXT);
  });

  it("shows buttons as numbered options and turns a reply '2' into the button's payload", async () => {
    const menu = await say("chat-menu", "/chude");
    expect(menu).toBe("Bạn cần hỗ trợ về:\n\nGõ số để chọn:\n1. VNeID\n2. Thẻ căn cước\n3. Hỏi cán bộ");
    expect(await say("chat-menu", "2")).toBe("Bạn đã chọn cccd.");
    await say("chat-menu", "/chude");
    expect(await say("chat-menu", " số 3 ")).toBe("Bạn đã chọn canbo.");
    // The last answer had no options: "1" is just text now, handed to the FAQ, not a selection.
    expect(await say("chat-menu", "1")).not.toMatch(/Bạn đã chọn/);
    // Options belong to their chat.
    await say("chat-menu", "/chude");
    expect(await say("chat-other", "1")).not.toMatch(/Bạn đã chọn/);
    const logged = await bot.db.prisma.conversationMessage.findMany({
      where: { identity: { chatId: "chat-menu" }, direction: "IN" },
      orderBy: { id: "asc" },
    });
    expect(logged.map((m) => m.text)).toContain("[nút] thu:cccd");
  });

  it("answers 503 when the answer cannot be delivered, and handles the re-delivery", async () => {
    fake.script("sendMessage", { status: 502 }, { status: 502 }, { status: 502 });
    const update = zaloTextUpdate("/help", { chatId: "chat-retry", messageId: "retry-1" });
    expect((await post(update)).status).toBe(503);
    expect((await post(update)).status).toBe(200);
    expect(fake.texts("chat-retry").filter((t) => /Bạn có thể/.test(t)).length).toBeGreaterThanOrEqual(1);
  });

  describe("send() outside a conversation", () => {
    it("sends replies and returns the platform message id; buttons become numbered options", async () => {
      const sent = await adapter.send("chat-news", [
        { text: "Thông báo: xã tiếp dân thứ Bảy.", buttons: [[{ label: "Xem lịch", payload: "thu:lich" }]] },
      ]);
      expect(sent.messageRef).toMatch(/^sent-/);
      expect(fake.texts("chat-news")).toEqual(["Thông báo: xã tiếp dân thứ Bảy.\n\nGõ số để chọn:\n1. Xem lịch"]);
      expect(await say("chat-news", "1")).toBe("Bạn đã chọn lich.");
    });

    it("throws UnreachableError when the chat is gone or the user blocked the bot", async () => {
      fake.script("sendMessage", { body: { ok: false, error_code: 404, description: "Not found" } });
      await expect(adapter.send("chat-gone", [{ text: "Nhắc lịch" }])).rejects.toBeInstanceOf(UnreachableError);
      fake.script("sendMessage", { status: 403, body: { ok: false, error_code: 403, description: "User has blocked the bot" } });
      await expect(adapter.send("chat-gone", [{ text: "Nhắc lịch" }])).rejects.toBeInstanceOf(UnreachableError);
    });

    it("throws RateLimitedError with the platform's retry time, or 1 s", async () => {
      fake.script("sendMessage", { status: 429, body: { ok: false, error_code: 429, description: "Quota exceeded", parameters: { retry_after: 7 } } });
      const limited = await adapter.send("chat-busy", [{ text: "x" }]).catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(RateLimitedError);
      expect((limited as RateLimitedError).retryAfterSec).toBe(7);
      fake.script("sendMessage", { body: { ok: false, error_code: 429, description: "Quota exceeded" } });
      await expect(adapter.send("chat-busy", [{ text: "x" }])).rejects.toMatchObject({ name: "RateLimitedError", retryAfterSec: 1 });
      expect(fake.texts("chat-busy")).toHaveLength(2); // one try each: no waiting inside send()
    });

    it("lets other errors propagate", async () => {
      fake.script("sendMessage", { body: { ok: false, error_code: 400, description: "Bad request" } });
      await expect(adapter.send("chat-bad", [{ text: "x" }])).rejects.toBeInstanceOf(ZaloApiError);
    });
  });
});

