// The open internet at the webhooks: thousands of random, malformed and hostile bodies POSTed to the whole
// app (Telegram and Zalo channels on, fake platform APIs on loopback). Every request gets a 2xx or a 4xx,
// never a 5xx; every well-formed message is answered; the process stays up and still serves afterwards.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startApp, type RunningApp } from "../../src/app.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { createPostgresDatabase } from "../helpers/databases.ts";
import { callbackUpdate, FakeTelegram, textUpdate } from "../helpers/fake-telegram.ts";
import { randomText, rng } from "../helpers/fuzz.ts";
import { seedUnits, TEST_SECRET, TEST_TOKEN } from "../helpers/telegram-harness.ts";
import { FakeZaloApi, zaloTextUpdate } from "../helpers/zalo-fake-api.ts";

const ZALO_TOKEN = "987654321:fuzz-test-token";
const ZALO_SECRET = "zalo-fuzz-secret-123";
const REQUESTS = 2400;

type Next = () => number;
const pick = <T>(next: Next, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

const KEYS = ["update_id", "message", "text", "chat", "id", "from", "callback_query", "data", "event_name", "result", "ok", "message_id", "date", "type", "entities", "__proto__", "constructor"];

/** Any JSON value, biased towards the shapes of real updates. */
function randomJson(next: Next, depth: number): unknown {
  const r = next();
  if (depth <= 0 || r < 0.35) {
    return pick(next, [null, true, false, 0, -1, 1e308, -1e-308, 2 ** 53 + 1, "", randomText(next).slice(0, 200), Math.floor(next() * 1e12)]);
  }
  if (r < 0.5) return Array.from({ length: Math.floor(next() * 4) }, () => randomJson(next, depth - 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) out[pick(next, KEYS)] = randomJson(next, depth - 1);
  return out;
}

/** A body no platform would send: broken JSON, wrong types, deep nesting, prototype tricks, plain text. */
function malformedBody(next: Next, updateId: number): string {
  const valid = textUpdate("xin chào", 4242) as { message: Record<string, unknown> };
  return pick(next, [
    () => "",
    () => "{",
    () => '{"update_id": 1,,}',
    () => "null",
    () => "[]",
    () => "12345",
    () => '"just a string"',
    () => randomText(next),
    () => JSON.stringify(randomJson(next, 5)),
    () => JSON.stringify({ update_id: "abc", message: valid.message }),
    () => JSON.stringify({ update_id: updateId, message: { ...valid.message, text: 42 } }),
    () => JSON.stringify({ update_id: updateId, message: { ...valid.message, chat: { id: "not-a-number", type: "private" } } }),
    () => JSON.stringify({ update_id: updateId, message: { ...valid.message, chat: { id: 1e308, type: "private" }, from: { id: -1e308 } } }),
    () => JSON.stringify({ update_id: updateId, message: { ...valid.message, from: null } }),
    () => JSON.stringify({ update_id: updateId, callback_query: { id: 7, data: { nested: true } } }),
    () => JSON.stringify({ update_id: updateId, edited_message: valid.message }),
    () => `{"update_id":${updateId},"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`,
    () => "[".repeat(5000) + "]".repeat(5000),
    () => `{"update_id":${updateId},"message":${"{\"a\":".repeat(2000)}1${"}".repeat(2000)}}`,
    () => JSON.stringify({ ok: true, result: { event_name: "message.text.received", message: { text: randomText(next) } } }),
    () => JSON.stringify({ ok: true, result: { event_name: pick(next, ["", "message.sticker.received", "x".repeat(500)]), message: randomJson(next, 3) } }),
    () => JSON.stringify({ ok: "yes", result: [] }),
    () => JSON.stringify(zaloTextUpdate(randomText(next), { chatId: "", userId: "" })),
  ])();
}

describe("webhooks under random and malformed input", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-webhook-fuzz-"));
  let telegram: FakeTelegram;
  let zalo: FakeZaloApi;
  let app: RunningApp;

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    zalo = await FakeZaloApi.start(ZALO_TOKEN);
    const config = testConfig({
      DATA_DIR: dir,
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      PUBLIC_URL: "https://troly06.example.gov.vn",
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
      ZALO_BOT_TOKEN: ZALO_TOKEN,
      ZALO_API_BASE: zalo.url,
      ZALO_WEBHOOK_SECRET: ZALO_SECRET,
      ZALO_MODE: "webhook",
      // The limits have their own tests; here every request must reach the parsers and the bot.
      RATE_LIMIT_PER_MINUTE: "10000",
      HTTP_RATE_LIMIT_PER_MINUTE: "1000000",
      SHUTDOWN_GRACE_MS: "1000",
    });
    app = await startApp(config, createLogger("silent"));
    await seedUnits(app.db.prisma);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await telegram?.close();
    await zalo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`gives ${REQUESTS.toLocaleString("en")} random and malformed requests a 2xx or 4xx, and answers every well-formed message`, async () => {
    const next = rng(5_2026_11);
    const statuses = new Map<number, number>();
    const unanswered: string[] = [];
    let updateId = 900_000;
    let wellFormed = 0;

    const post = (channel: "telegram" | "zalo", body: string, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/webhooks/${channel}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(channel === "telegram" ? { "x-telegram-bot-api-secret-token": TEST_SECRET } : { "x-bot-api-secret-token": ZALO_SECRET }),
          ...headers,
        },
        body,
      });

    const sentTo = (user: number) => telegram.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === String(user)).length;

    const one = async (i: number): Promise<void> => {
      const kind = next();
      const id = ++updateId;
      let response: Response;
      let expectReply: (() => boolean) | undefined;
      if (kind < 0.3) {
        // A real-looking Telegram text message with random content from one of 40 people (the eight
        // requests in flight together always come from eight different people).
        const user = 10_000 + (i % 40);
        const text = randomText(next);
        const before = sentTo(user);
        response = await post("telegram", JSON.stringify({ update_id: id, ...textUpdate(text, user) }));
        if (text.trim().length > 0) expectReply = () => sentTo(user) > before;
      } else if (kind < 0.4) {
        const user = 10_000 + (i % 40);
        const data = randomText(next).slice(0, 64);
        response = await post("telegram", JSON.stringify({ update_id: id, ...callbackUpdate(data, user) }));
      } else if (kind < 0.65) {
        const chatId = `z-${i % 40}`;
        const text = randomText(next);
        const before = zalo.texts(chatId).length;
        response = await post("zalo", JSON.stringify(zaloTextUpdate(text, { chatId, userId: chatId, messageId: `fz-${id}`, bare: next() < 0.5 })));
        if (text.trim().length > 0) expectReply = () => zalo.texts(chatId).length > before;
      } else if (kind < 0.97) {
        response = await post(next() < 0.5 ? "telegram" : "zalo", malformedBody(next, id), next() < 0.1 ? { "content-type": pick(next, ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "image/png"]) } : {});
      } else {
        // Over the body limit.
        response = await post(next() < 0.5 ? "telegram" : "zalo", JSON.stringify({ update_id: id, message: { text: "x".repeat(2_000_000) } }));
      }
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) unanswered.push(`request ${i}: HTTP ${response.status}`);
      if (expectReply) {
        wellFormed++;
        // The webhook returns once the turn is done; allow a moment for the send to be recorded.
        const deadline = Date.now() + 5000;
        while (!expectReply() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        if (!expectReply()) unanswered.push(`request ${i}: well-formed message got no reply`);
      }
    };

    // Eight at a time, like a platform delivering to several chats at once.
    for (let i = 0; i < REQUESTS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, REQUESTS - i) }, (_, k) => one(i + k)),
      );
    }

    console.log(`webhook fuzz: ${REQUESTS} requests, ${wellFormed} well-formed messages; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(unanswered).toEqual([]);
    expect([...statuses.keys()].every((s) => (s >= 200 && s < 300) || (s >= 400 && s < 500))).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100); // the malformed ones were refused, not swallowed
    expect(statuses.get(413) ?? 0).toBeGreaterThan(10);
    expect(wellFormed).toBeGreaterThan(REQUESTS / 3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Still up and serving: health, and a normal question on each channel.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect((await post("telegram", JSON.stringify({ update_id: ++updateId, ...textUpdate("kich hoat vneid", 77_777) }))).status).toBe(200);
    expect(telegram.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === "77777").at(-1)?.params.text).toMatch(/VNeID/);
    expect((await post("zalo", JSON.stringify(zaloTextUpdate("ko nhan dc ma otp", { chatId: "z-final", messageId: "fz-final" })))).status).toBe(200);
    expect(zalo.texts("z-final").at(-1)).toMatch(/OTP|mã/);
  }, 600_000);
});
