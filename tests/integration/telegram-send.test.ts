// TelegramAdapter.send(): used by reminders, broadcasts and handoff relays outside a turn. It never waits
// on a 429 (the caller's queue pauses) and tells an unreachable chat apart from a transient failure.
import { GrammyError } from "grammy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RenderError } from "../../src/channels/telegram/render.ts";
import { RateLimitedError, UnreachableError } from "../../src/channels/types.ts";
import { failures } from "../helpers/fake-telegram.ts";
import { startTelegramHarness, type TelegramHarness } from "../helpers/telegram-harness.ts";

// 1×1 transparent PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

describe("Telegram send()", () => {
  let h: TelegramHarness;
  beforeAll(async () => {
    h = await startTelegramHarness({ mode: "polling", start: false });
  });
  afterAll(() => h?.close());
  beforeEach(() => h.fake.reset());

  it("sends text and buttons and returns the id of the last message", async () => {
    const sent = await h.adapter.send("401", [{ text: "Nhắc việc", buttons: [[{ label: "Xong", payload: "task:done:1" }]] }]);
    const call = h.fake.ok("sendMessage")[0]!;
    expect(call.params).toMatchObject({ chat_id: 401, text: "Nhắc việc", reply_markup: { inline_keyboard: [[{ text: "Xong", callback_data: "task:done:1" }]] } });
    expect(sent.messageRef).toMatch(/^\d+$/);
  });

  it("throws RateLimitedError with retry_after on a 429, at once, without retrying", async () => {
    h.fake.failNext("sendMessage", failures.tooManyRequests(7));
    const started = Date.now();
    const error = await h.adapter.send("402", [{ text: "Thông báo" }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSec).toBe(7);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(h.fake.calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
  });

  it("throws UnreachableError when the user blocked the bot, is deactivated or the chat is gone", async () => {
    for (const failure of [failures.blocked(), failures.deactivated(), failures.chatNotFound()]) {
      h.fake.failNext("sendMessage", failure);
      await expect(h.adapter.send("403", [{ text: "x" }])).rejects.toBeInstanceOf(UnreachableError);
    }
  });

  it("lets other errors through unchanged (and does not retry a 5xx itself)", async () => {
    h.fake.failNext("sendMessage", failures.badRequest("message text is empty"));
    const bad = await h.adapter.send("404", [{ text: "x" }]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(GrammyError);
    expect(bad).not.toBeInstanceOf(UnreachableError);
    h.fake.failNext("sendMessage", failures.badGateway());
    const gateway = await h.adapter.send("404", [{ text: "x" }]).catch((e: unknown) => e);
    expect((gateway as GrammyError).error_code).toBe(502);
    expect(h.fake.calls.filter((c) => c.method === "sendMessage")).toHaveLength(2);
  });

  it("sends an image as a photo with its caption, cut to 1024 characters", async () => {
    await h.adapter.send("405", [{ text: "", image: { png: PNG, caption: "Mã QR của xã" } }]);
    const photo = h.fake.ok("sendPhoto")[0]!;
    expect(photo.params).toMatchObject({ chat_id: 405, caption: "Mã QR của xã" });
    const field = /^attach:\/\/(.+)$/.exec(String(photo.params.photo))?.[1];
    expect(photo.files[field!]).toBe(PNG.length);

    h.fake.reset();
    const caption = `${"Câu dài về thủ tục. ".repeat(80)}`.trim(); // ~1600 characters
    await h.adapter.send("405", [{ text: "Phần chữ", image: { png: PNG, caption } }]);
    const cut = String(h.fake.ok("sendPhoto")[0]!.params.caption);
    expect(cut.length).toBeLessThanOrEqual(1024);
    expect(cut.endsWith(".")).toBe(true);
    const texts = h.fake.texts();
    expect(`${cut} ${texts[0]}`).toBe(caption);
    expect(texts[1]).toBe("Phần chữ");
  });

  it("uses a short text as the photo's caption and hangs the buttons under it", async () => {
    await h.adapter.send("406", [{ text: "Quét mã này", image: { png: PNG }, buttons: [[{ label: "Menu", payload: "menu" }]] }]);
    expect(h.fake.ok("sendMessage")).toHaveLength(0);
    expect(h.fake.ok("sendPhoto")[0]!.params).toMatchObject({ caption: "Quét mã này", reply_markup: { inline_keyboard: [[{ text: "Menu", callback_data: "menu" }]] } });
  });

  it("refuses a button payload over 64 bytes before sending anything", async () => {
    const payload = `x:${"đ".repeat(32)}`; // 66 bytes, 34 characters
    await expect(h.adapter.send("407", [{ text: "ok" }, { text: "x", buttons: [[{ label: "x", payload }]] }])).rejects.toThrow(/66 bytes.*64/);
    expect(h.fake.calls).toEqual([]);
  });
});
