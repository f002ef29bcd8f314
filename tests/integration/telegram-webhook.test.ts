// The Telegram channel in webhook mode, over real HTTP: fastify ← test → grammY → fake Bot API server.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Router } from "../../src/core/router.ts";
import type { FakeCall } from "../helpers/fake-telegram.ts";
import { callbackUpdate, failures, FAKE_BOT, groupUpdate, memberUpdate, textUpdate } from "../helpers/fake-telegram.ts";
import { startTelegramHarness, TEST_SECRET, withUpdateId, type TelegramHarness } from "../helpers/telegram-harness.ts";

const LONG = Array.from({ length: 30 }, (_, i) => `Đoạn ${i + 1}. ${"Công dân cần chuẩn bị giấy tờ và làm theo hướng dẫn. ".repeat(6)}`.trim()).join("\n\n");

function registerTestCommands(router: Router): void {
  router.command({
    name: "test_buttons",
    description: "nút thử",
    listedFor: "everyone",
    run: async () => [{ text: "Chọn một", buttons: [[{ label: "A", payload: "test:a" }, { label: "B", payload: "test:b" }], [{ label: "C", payload: "test:c" }]] }],
  });
  router.payload({ prefix: "test", run: async (_ctx, value) => [{ text: `Bạn chọn ${value}` }] });
  router.command({ name: "test_long", description: "dài", listedFor: "everyone", run: async () => [{ text: LONG }] });
  router.command({
    name: "test_bad",
    description: "nút hỏng",
    listedFor: "everyone",
    run: async () => [{ text: "x", buttons: [[{ label: "quá dài", payload: `test:${"x".repeat(70)}` }]] }],
  });
  router.command({ name: "test_staff", description: "lệnh cán bộ", listedFor: "staff", run: async () => [{ text: "cán bộ" }] });
}

describe("Telegram channel, webhook mode", () => {
  let h: TelegramHarness;
  let startCalls: FakeCall[];

  beforeAll(async () => {
    h = await startTelegramHarness({
      mode: "webhook",
      env: { PUBLIC_URL: "https://troly06.example.gov.vn/" },
      prepare: async (core) => {
        registerTestCommands(core.router);
        // An officer known before start-up: their private chat gets the staff menu.
        await core.db.prisma.person.create({
          data: {
            displayName: "Cán bộ",
            identities: { create: { channel: "TELEGRAM", externalUserId: "555", chatId: "555" } },
            roles: { create: { role: "OFFICER", unitCode: "19123", grantedBy: "test" } },
          },
        });
      },
    });
    startCalls = [...h.fake.calls];
  });
  afterAll(() => h?.close());
  beforeEach(() => h.fake.reset());

  it("registers the webhook with the secret at start-up", () => {
    const setWebhook = startCalls.find((c) => c.method === "setWebhook");
    expect(setWebhook?.params).toMatchObject({
      url: "https://troly06.example.gov.vn/webhooks/telegram",
      secret_token: TEST_SECRET,
      allowed_updates: ["message", "callback_query", "my_chat_member"],
    });
    expect(startCalls.some((c) => c.method === "deleteWebhook")).toBe(false);
  });

  it("publishes citizen commands by default and staff commands in officers' private chats", () => {
    const menus = startCalls.filter((c) => c.method === "setMyCommands");
    const names = (call: FakeCall | undefined) => (call?.params.commands as Array<{ command: string }>).map((c) => c.command);
    const byDefault = menus.find((c) => (c.params.scope as { type: string }).type === "default");
    const officer = menus.find((c) => (c.params.scope as { type: string; chat_id?: number }).chat_id === 555);
    expect(names(byDefault)).toEqual(expect.arrayContaining(["start", "help", "dangky", "huy", "tieptuc"]));
    expect(names(byDefault)).not.toContain("test_staff");
    expect(names(officer)).toEqual(expect.arrayContaining(["start", "dangky", "test_staff"]));
  });

  it("answers an update delivered with the right secret", async () => {
    const response = await h.postUpdate(textUpdate("/help", 111));
    expect(response.status).toBe(200);
    expect(h.fake.ok("sendMessage")).toHaveLength(1);
    expect(h.fake.ok("sendMessage")[0]!.params).toMatchObject({ chat_id: 111 });
    expect(h.fake.texts()[0]).toMatch(/Bạn có thể/);
  });

  it("refuses a wrong or missing secret with 401 and processes nothing", async () => {
    const before = await h.core.db.prisma.channelIdentity.count();
    const wrong = await h.postUpdate(textUpdate("/help", 2001), "not-the-secret");
    const missing = await h.postUpdate(textUpdate("/help", 2002), null);
    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.fake.calls).toEqual([]);
    expect(await h.core.db.prisma.channelIdentity.count()).toBe(before);
  });

  it("rejects a malformed update with 400", async () => {
    const response = await h.postUpdate({ update_id: "nope", message: 42 });
    expect(response.status).toBe(400);
    const notJson = await fetch(`${h.url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TEST_SECRET },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect(h.fake.calls).toEqual([]);
  });

  it("processes the same update once when Telegram delivers it twice", async () => {
    const update = withUpdateId(textUpdate("/help", 112));
    expect((await h.postUpdate(update)).status).toBe(200);
    expect((await h.postUpdate(update)).status).toBe(200);
    expect(h.fake.ok("sendMessage")).toHaveLength(1);
  });

  it("waits out a 429 retry_after inside a turn, then answers", async () => {
    h.fake.failNext("sendMessage", failures.tooManyRequests(1));
    await h.postUpdate(textUpdate("/help", 113));
    const attempts = h.fake.calls.filter((c) => c.method === "sendMessage");
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("retries a 5xx inside a turn", async () => {
    h.fake.failNext("sendMessage", failures.badGateway());
    await h.postUpdate(textUpdate("/help", 114));
    const attempts = h.fake.calls.filter((c) => c.method === "sendMessage");
    expect(attempts.map((c) => c.status)).toEqual([502, 200]);
  });

  it("splits a long answer into messages of at most 4096 characters at paragraph boundaries", async () => {
    await h.postUpdate(textUpdate("/test_long", 115));
    const texts = h.fake.texts();
    expect(texts.length).toBeGreaterThan(1);
    for (const text of texts) {
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(text).toMatch(/^Đoạn \d+\./); // every message starts with a paragraph
      expect(text).toMatch(/\.$/);
    }
    expect(texts.join("\n\n")).toBe(LONG);
  });

  it("renders buttons as an inline keyboard, and a pressed button comes back as the payload", async () => {
    await h.postUpdate(textUpdate("/test_buttons", 116));
    const sent = h.fake.ok("sendMessage")[0]!;
    const keyboard = (sent.params.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard;
    expect(keyboard).toEqual([
      [{ text: "A", callback_data: "test:a" }, { text: "B", callback_data: "test:b" }],
      [{ text: "C", callback_data: "test:c" }],
    ]);
    for (const row of keyboard) for (const button of row) expect(Buffer.byteLength(button.callback_data)).toBeLessThanOrEqual(64);

    h.fake.reset();
    const press = callbackUpdate(keyboard[0]![1]!.callback_data, 116, Number(sent.params.chat_id));
    await h.postUpdate(press);
    expect(h.fake.ok("answerCallbackQuery")).toHaveLength(1);
    expect(h.fake.ok("answerCallbackQuery")[0]!.params.callback_query_id).toBe((press.callback_query as { id: string }).id);
    expect(h.fake.texts()).toEqual(["Bạn chọn b"]);
  });

  it("says sorry instead of sending a button whose payload exceeds 64 bytes", async () => {
    await h.postUpdate(textUpdate("/test_bad", 117));
    const texts = h.fake.texts();
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/trục trặc/);
    expect(h.fake.ok("sendMessage")[0]!.params.reply_markup).toBeUndefined();
  });

  it("in groups reacts only to commands and to replies to its own messages", async () => {
    const group = -100123;
    await h.postUpdate(groupUpdate("kich hoat vneid the nao", 118, group));
    await h.postUpdate(groupUpdate("/help@some_other_bot", 118, group));
    expect(h.fake.calls).toEqual([]);

    await h.postUpdate(groupUpdate(`/help@${FAKE_BOT.username}`, 118, group));
    await h.postUpdate(
      groupUpdate("cảm ơn", 118, group, { reply_to_message: { message_id: 77, date: 0, chat: { id: group, type: "supergroup" }, from: { id: FAKE_BOT.id, is_bot: true, first_name: "Bot" } } }),
    );
    const sent = h.fake.ok("sendMessage");
    expect(sent).toHaveLength(2);
    expect(sent.every((c) => c.params.chat_id === group)).toBe(true);
    // Answers in a group quote the question.
    expect(sent[0]!.params.reply_parameters).toMatchObject({ allow_sending_without_reply: true });
  });

  it("marks a citizen unreachable when they block the bot, and reachable when they unblock it", async () => {
    await h.postUpdate(textUpdate("/help", 119));
    const identity = () => h.core.db.prisma.channelIdentity.findUniqueOrThrow({ where: { channel_externalUserId: { channel: "TELEGRAM", externalUserId: "119" } } });
    expect((await identity()).unreachableAt).toBeNull();
    await h.postUpdate(memberUpdate("kicked", 119));
    expect((await identity()).unreachableAt).toBeInstanceOf(Date);
    await h.postUpdate(memberUpdate("member", 119));
    expect((await identity()).unreachableAt).toBeNull();
  });

  it("subscribes a citizen who opens the deep link /start u_CODE, and greets them", async () => {
    await h.postUpdate(textUpdate("/start u_19123", 120));
    const texts = h.fake.texts();
    expect(texts[0]).toBe("Bạn đã đăng ký nhận thông báo của Xã Sen Thủy. Gõ /huy nếu muốn ngừng nhận.");
    expect(texts[1]).toMatch(/Xin chào/);
    const subscription = await h.core.db.prisma.subscription.findFirstOrThrow({ where: { identity: { externalUserId: "120", channel: "TELEGRAM" } } });
    expect(subscription).toMatchObject({ unitCode: "19123", source: "QR", optedOutAt: null });
    expect(Date.now() - subscription.consentAt.getTime()).toBeLessThan(60_000);
  });

  it("stops and resumes announcements with /huy and /tieptuc", async () => {
    await h.postUpdate(textUpdate("/start u_19123", 121));
    const subscription = () => h.core.db.prisma.subscription.findFirstOrThrow({ where: { identity: { externalUserId: "121" } } });
    h.fake.reset();
    await h.postUpdate(textUpdate("/huy", 121));
    expect((await subscription()).optedOutAt).toBeInstanceOf(Date);
    expect(h.fake.texts()[0]).toMatch(/ngừng nhận thông báo của Xã Sen Thủy/);
    await h.postUpdate(textUpdate("/tieptuc", 121));
    expect((await subscription()).optedOutAt).toBeNull();
  });

  it("offers a button per commune when /dangky is ambiguous; pressing one subscribes", async () => {
    await h.postUpdate(textUpdate("/dangky tan lap", 122));
    const sent = h.fake.ok("sendMessage")[0]!;
    const keyboard = (sent.params.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard;
    expect(keyboard.map((row) => row[0]!.text)).toEqual(["Xã Tân Lập — Đan Phượng, Hà Nội", "Xã Tân Lập — Lệ Thủy, Quảng Bình"]);
    h.fake.reset();
    await h.postUpdate(callbackUpdate(keyboard[0]![0]!.callback_data, 122));
    expect(h.fake.texts()[0]).toMatch(/đăng ký nhận thông báo của Xã Tân Lập/);
    const subscription = await h.core.db.prisma.subscription.findFirstOrThrow({ where: { identity: { externalUserId: "122" } } });
    expect(subscription.unitCode).toBe("09877");
  });

  it("shows officers the staff menu after a role is granted, and hides it after it is revoked", async () => {
    await h.postUpdate(textUpdate("/help", 123));
    const identity = await h.core.db.prisma.channelIdentity.findFirstOrThrow({ where: { externalUserId: "123" } });
    const role = await h.core.db.prisma.roleAssignment.create({ data: { personId: identity.personId, role: "OFFICER", unitCode: "19123", grantedBy: "test" } });
    h.fake.reset();
    await h.adapter.refreshStaffCommands("123");
    const set = h.fake.ok("setMyCommands")[0]!;
    expect(set.params.scope).toEqual({ type: "chat", chat_id: 123 });
    expect((set.params.commands as Array<{ command: string }>).map((c) => c.command)).toContain("test_staff");

    await h.core.db.prisma.roleAssignment.update({ where: { id: role.id }, data: { revokedAt: new Date() } });
    await h.adapter.refreshStaffCommands("123");
    expect(h.fake.ok("deleteMyCommands")[0]!.params.scope).toEqual({ type: "chat", chat_id: 123 });
  });
});
