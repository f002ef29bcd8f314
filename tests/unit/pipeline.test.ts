import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sanitizeText } from "../../src/core/pipeline.ts";
import { MemoryRateLimiter } from "../../src/core/rate-limit.ts";
import { parseCommand } from "../../src/core/router.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";

describe("core pipeline", () => {
  let bot: TestCore;
  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "3", MAX_MESSAGE_CHARS: "200" } });
  });
  afterAll(() => bot.close());

  it("greets on /start and lists help on /help", async () => {
    expect((await bot.say("/start")).replies[0]!.text).toMatch(/Xin chào/);
    expect((await bot.say("/HELP@tro_ly_06_bot", "u2")).replies[0]!.text).toMatch(/Bạn có thể/);
  });

  it("creates one person per channel account and reuses it", async () => {
    await bot.say("/start", "same-user", "telegram");
    await bot.say("/help", "same-user", "telegram");
    await bot.say("/help", "same-user", "zalo");
    expect(await bot.db.prisma.channelIdentity.count({ where: { externalUserId: "same-user" } })).toBe(2);
  });

  it("stores the conversation redacted", async () => {
    await bot.say("cccd 001203004567 sdt 0912345678", "privacy-user");
    const stored = await bot.db.prisma.conversationMessage.findMany({
      where: { identity: { externalUserId: "privacy-user" }, direction: "IN" },
    });
    expect(stored[0]!.text).toBe("cccd [số định danh] sdt [số điện thoại]");
  });

  it("slows down a user who sends too fast, politely, without affecting others", async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await bot.say("/help", "fast-user", "telegram"));
    expect(results.slice(0, 3).every((r) => /Bạn có thể/.test(r.replies[0]!.text))).toBe(true);
    expect(results[3]!.replies[0]!.text).toMatch(/gửi nhanh quá.*\d+ giây/);
    expect((await bot.say("/help", "calm-user", "telegram")).replies[0]!.text).toMatch(/Bạn có thể/);
  });

  it("answers every line of a 100-line batch from one CLI user (no per-user limit on the operator's CLI)", async () => {
    const results = [];
    for (let i = 0; i < 100; i++) results.push(await bot.say("/help", "batch-user", "cli"));
    expect(results.filter((r) => /Bạn có thể/.test(r.replies[0]!.text))).toHaveLength(100);
    expect(results.some((r) => /gửi nhanh quá/.test(r.replies[0]!.text))).toBe(false);
  });

  it("answers even when something inside fails, and never throws", async () => {
    const broken = await createTestCore();
    await broken.db.close(); // every query will now fail
    const result = await broken.say("/start");
    expect(result.replies[0]!.text).toMatch(/trục trặc/);
  });

  it("still answers when the rate limiter's store is down", async () => {
    const flaky = await createTestCore({ rateLimiter: { hit: async () => Promise.reject(new Error("redis down")) } });
    try {
      expect((await flaky.say("/help")).replies[0]!.text).toMatch(/Bạn có thể/);
    } finally {
      await flaky.close();
    }
  });

  it("cuts huge messages and strips control characters", () => {
    expect(sanitizeText("a".repeat(10_000), 200)).toHaveLength(200);
    expect(sanitizeText("xin\u0000chào\u200B", 200)).toBe("xin chào");
    expect(sanitizeText("😀".repeat(300), 200)).toBe("😀".repeat(200));
    expect(sanitizeText(undefined, 10)).toBe("");
  });

  it("parses commands with bot mentions and arguments", () => {
    expect(parseCommand("/tiendo  Lệ Thủy")).toEqual({ name: "tiendo", args: "Lệ Thủy" });
    expect(parseCommand("/start@tro_ly_06_bot unit_19123")).toEqual({ name: "start", args: "unit_19123" });
    expect(parseCommand("kich hoat vneid")).toBeNull();
    expect(parseCommand("/")).toBeNull();
  });
});

describe("memory rate limiter", () => {
  it("resets after a minute", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(2, () => now);
    expect((await limiter.hit("k")).allowed).toBe(true);
    expect((await limiter.hit("k")).allowed).toBe(true);
    const third = await limiter.hit("k");
    expect(third).toEqual({ allowed: false, retryAfterSec: 60 });
    now = 60_000;
    expect((await limiter.hit("k")).allowed).toBe(true);
  });
});

describe("logger", () => {
  it("never writes a full ID or phone number", () => {
    let out = "";
    const sink = new Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } });
    const log = createLogger("info", sink);
    log.info({ text: "cccd 001203004567", nested: { phone: "0912345678" } }, "user said 0987654321");
    log.error(new Error("lookup failed for 038190001234"));
    expect(out).not.toMatch(/001203004567|0912345678|0987654321|038190001234/);
    expect(out).toMatch(/\[số định danh\]/);
    expect(out).toMatch(/\[số điện thoại\]/);
  });
});

describe("identity addresses", () => {
  it("keeps a person's private chat when they write in a group", async () => {
    const bot = await createTestCore();
    try {
      const handle = bot.pipeline.handle.bind(bot.pipeline);
      await handle({ channel: "telegram", userId: "42", chatId: "42", text: "/start", receivedAt: new Date() });
      await handle({ channel: "telegram", userId: "42", chatId: "-1001", isGroup: true, text: "/help", receivedAt: new Date() });
      expect((await bot.db.prisma.channelIdentity.findFirstOrThrow({ where: { externalUserId: "42" } })).chatId).toBe("42");
      // Seen first in a group: the private address is the user id.
      await handle({ channel: "telegram", userId: "43", chatId: "-1001", isGroup: true, text: "/help", receivedAt: new Date() });
      expect((await bot.db.prisma.channelIdentity.findFirstOrThrow({ where: { externalUserId: "43" } })).chatId).toBe("43");
    } finally {
      await bot.close();
    }
  });
});
