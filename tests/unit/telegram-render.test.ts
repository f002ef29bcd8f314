import { GrammyError } from "grammy";
import { describe, expect, it } from "vitest";
import { commandMenus, toBotCommands } from "../../src/channels/telegram/commands.ts";
import { mapSendError } from "../../src/channels/telegram/errors.ts";
import { assertRenderable, CALLBACK_DATA_LIMIT, inlineKeyboard, RenderError, splitText } from "../../src/channels/telegram/render.ts";
import { callbackToIncoming, isForBotInGroup, messageToIncoming, updateSchema, type TelegramMessage } from "../../src/channels/telegram/updates.ts";
import { Router } from "../../src/core/router.ts";
import { RateLimitedError, UnreachableError } from "../../src/channels/types.ts";
import { registerBasicCommands } from "../../src/features/basic.ts";
import { registerSubscription, SUBSCRIBE_PAYLOAD } from "../../src/features/subscription.ts";

const grammyError = (error_code: number, description: string, parameters = {}) =>
  new GrammyError("failed", { ok: false, error_code, description, parameters }, "sendMessage", {});

describe("splitText", () => {
  it("keeps short text whole", () => {
    expect(splitText("Xin chào")).toEqual(["Xin chào"]);
    expect(splitText("   ")).toEqual([]);
  });

  it("cuts at paragraphs, then sentences, then words, never above the limit", () => {
    const paragraphs = ["a".repeat(60), "b".repeat(60), "c".repeat(60)].join("\n\n");
    expect(splitText(paragraphs, 130)).toEqual(["a".repeat(60) + "\n\n" + "b".repeat(60), "c".repeat(60)]);

    const sentences = "Câu một khá dài. Câu hai cũng dài! Câu ba? Câu bốn kết thúc.";
    const chunks = splitText(sentences, 40);
    expect(chunks).toEqual(["Câu một khá dài. Câu hai cũng dài!", "Câu ba? Câu bốn kết thúc."]);

    const words = "một hai ba bốn năm sáu bảy tám chín mười";
    for (const chunk of splitText(words, 12)) expect(chunk.length).toBeLessThanOrEqual(12);
    expect(splitText(words, 12).join(" ")).toBe(words);
  });

  it("cuts text without any boundary hard, without splitting an emoji", () => {
    const text = "x" + "😀".repeat(10); // 21 UTF-16 units
    const chunks = splitText(text, 4);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(4);
      expect(chunk).not.toMatch(/[\uD800-\uDBFF]$/);
    }
    expect(chunks.join("")).toBe(text);
  });

  it("fits Telegram's 4096 characters", () => {
    const text = Array.from({ length: 200 }, (_, i) => `Bước ${i}: làm theo hướng dẫn trên ứng dụng VNeID.`).join("\n");
    const chunks = splitText(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(4096);
    expect(chunks.join("\n")).toBe(text);
  });
});

describe("buttons", () => {
  it("become an inline keyboard, row by row", () => {
    expect(inlineKeyboard([[{ label: "A", payload: "a" }], [], [{ label: "B", payload: "b" }, { label: "C", payload: "c" }]])).toEqual({
      inline_keyboard: [[{ text: "A", callback_data: "a" }], [{ text: "B", callback_data: "b" }, { text: "C", callback_data: "c" }]],
    });
    expect(inlineKeyboard(undefined)).toBeUndefined();
    expect(inlineKeyboard([[]])).toBeUndefined();
  });

  it("must carry at most 64 bytes of callback data (bytes, not characters)", () => {
    expect(CALLBACK_DATA_LIMIT).toBe(64);
    expect(() => assertRenderable([{ text: "x", buttons: [[{ label: "ok", payload: "p".repeat(64) }]] }])).not.toThrow();
    expect(() => assertRenderable([{ text: "x", buttons: [[{ label: "long", payload: "p".repeat(65) }]] }])).toThrow(RenderError);
    // 30 characters, but 60 + 6 bytes in UTF-8.
    expect(() => assertRenderable([{ text: "x", buttons: [[{ label: "vn", payload: `faq:${"đ".repeat(31)}` }]] }])).toThrow(/66 bytes/);
    expect(() => assertRenderable([{ text: "x", buttons: [[{ label: "empty", payload: "" }]] }])).toThrow(RenderError);
  });

  it("the core's own payloads fit: subscription choices carry a unit code", () => {
    const code = "A".repeat(32); // the longest unit code import accepts
    expect(Buffer.byteLength(`${SUBSCRIBE_PAYLOAD}:${code}`)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
  });
});

describe("command menus", () => {
  it("list citizens' commands by default and add staff commands for officers", () => {
    const router = new Router(async () => []);
    registerBasicCommands(router, { onStartArgument: registerSubscription(router) });
    router.command({ name: "tiendo", description: "Tiến độ", listedFor: "staff", run: async () => [] });
    router.command({ name: "thử_dấu", description: "không hợp lệ trên Telegram", listedFor: "everyone", run: async () => [] });
    const { everyone, staff } = commandMenus(router);
    expect(everyone.map((c) => c.command)).toEqual(["start", "help", "dangky", "huy", "tieptuc"]);
    expect(staff.map((c) => c.command)).toEqual(["start", "help", "dangky", "huy", "tieptuc", "tiendo"]);
    expect(toBotCommands(router.listCommands()).every((c) => /^[a-z0-9_]{1,32}$/.test(c.command))).toBe(true);
  });
});

describe("updates", () => {
  const me = { id: 99, username: "troly06_bot" };
  const message = (text: string, chatType = "private", extra: Partial<TelegramMessage> = {}): TelegramMessage => ({
    message_id: 5,
    date: 1_700_000_000,
    chat: { id: chatType === "private" ? 10 : -100, type: chatType },
    from: { id: 10, is_bot: false, first_name: "Lan", last_name: "Nguyễn" },
    text,
    ...extra,
  });

  it("turns a private message into an IncomingMessage", () => {
    const decision = messageToIncoming(message("kich hoat vneid"), me);
    expect(decision).toEqual({
      kind: "turn",
      message: {
        channel: "telegram",
        userId: "10",
        chatId: "10",
        isGroup: false,
        displayName: "Lan Nguyễn",
        text: "kich hoat vneid",
        receivedAt: new Date(1_700_000_000_000),
        messageRef: "5",
        replyToRef: undefined,
      },
    });
  });

  it("in groups takes only commands for this bot (or any bot) and replies to the bot", () => {
    expect(isForBotInGroup(message("/help", "group"), me)).toBe(true);
    expect(isForBotInGroup(message("/help@TroLy06_Bot", "group"), me)).toBe(true);
    expect(isForBotInGroup(message("/help@other_bot", "group"), me)).toBe(false);
    expect(isForBotInGroup(message("chào cả nhà", "supergroup"), me)).toBe(false);
    expect(isForBotInGroup(message("ok", "supergroup", { reply_to_message: { message_id: 1, from: { id: 99, is_bot: true, first_name: "b" } } }), me)).toBe(true);
    expect(isForBotInGroup(message("ok", "supergroup", { reply_to_message: { message_id: 1, from: { id: 11, is_bot: false, first_name: "c" } } }), me)).toBe(false);
    const decision = messageToIncoming(message("/help", "supergroup"), me);
    expect(decision).toMatchObject({ kind: "turn", replyTo: 5, message: { chatId: "-100", userId: "10" } });
    expect(messageToIncoming(message("hi", "channel"), me).kind).toBe("ignore");
    expect(messageToIncoming({ ...message("hi"), from: { id: 3, is_bot: true, first_name: "bot" } }, me).kind).toBe("ignore");
  });

  it("turns a button press into a payload", () => {
    const incoming = callbackToIncoming({
      id: "q1",
      from: { id: 10, is_bot: false, first_name: "Lan" },
      data: "faq:vneid",
      message: { message_id: 8, chat: { id: 10, type: "private" } },
    });
    expect(incoming).toMatchObject({ channel: "telegram", userId: "10", chatId: "10", payload: "faq:vneid", messageRef: "8" });
    expect(callbackToIncoming({ id: "q2", from: { id: 10, is_bot: false, first_name: "Lan" } })).toBeNull();
  });

  it("validates updates", () => {
    expect(updateSchema.safeParse({ update_id: 1, message: message("x") }).success).toBe(true);
    expect(updateSchema.safeParse({ update_id: 1, some_new_kind: { x: 1 } }).success).toBe(true);
    expect(updateSchema.safeParse({ update_id: -1 }).success).toBe(false);
    expect(updateSchema.safeParse({ update_id: 1, message: { text: "no chat" } }).success).toBe(false);
    expect(updateSchema.safeParse("x").success).toBe(false);
  });
});

describe("send errors", () => {
  it("map to RateLimitedError, UnreachableError or stay as they are", () => {
    const limited = mapSendError(grammyError(429, "Too Many Requests: retry after 12", { retry_after: 12 }));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterSec).toBe(12);
    expect(mapSendError(grammyError(403, "Forbidden: bot was blocked by the user"))).toBeInstanceOf(UnreachableError);
    expect(mapSendError(grammyError(403, "Forbidden: user is deactivated"))).toBeInstanceOf(UnreachableError);
    expect(mapSendError(grammyError(400, "Bad Request: chat not found"))).toBeInstanceOf(UnreachableError);
    const other = grammyError(400, "Bad Request: message is too long");
    expect(mapSendError(other)).toBe(other);
    const network = new Error("socket hang up");
    expect(mapSendError(network)).toBe(network);
  });
});
