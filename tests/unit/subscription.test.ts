// Subscriptions through the core, whatever the channel: deep link, /dangky, "DK <CODE>", /huy, /tieptuc.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSubscribeMessage, unitLabel } from "../../src/features/subscription.ts";
import { createTestCore, type TestCore } from "../helpers/core.ts";
import { seedUnits } from "../helpers/telegram-harness.ts";

describe("subscriptions", () => {
  let bot: TestCore;
  const subscription = (user: string, channel = "CLI" as "CLI" | "ZALO" | "TELEGRAM" | "WEB") =>
    bot.db.prisma.subscription.findFirst({ where: { identity: { externalUserId: user, channel } } });

  beforeAll(async () => {
    bot = await createTestCore({ env: { RATE_LIMIT_PER_MINUTE: "1000" } });
    await seedUnits(bot.db.prisma);
  });
  afterAll(() => bot.close());

  it("/start u_CODE subscribes to the unit (source QR) and still greets", async () => {
    const { replies } = await bot.say("/start u_19123", "s1");
    expect(replies.map((r) => r.text)).toEqual([
      "Bạn đã đăng ký nhận thông báo của Xã Sen Thủy. Gõ /huy nếu muốn ngừng nhận.",
      expect.stringMatching(/^Xin chào/),
    ]);
    expect(await subscription("s1")).toMatchObject({ unitCode: "19123", source: "QR", optedOutAt: null });
  });

  it("on the web chat /start u_CODE only notes the unit (opted out) until «Nhận thông báo» presses sub:CODE", async () => {
    const { replies } = await bot.say("/start u_19123", "w1", "web");
    expect(replies[0]!.text).toMatch(/^Bạn đang hỏi Trợ lý 06 của Xã Sen Thủy\. .*«Nhận thông báo»/);
    expect(replies[1]!.text).toMatch(/^Xin chào/);
    const noted = await subscription("w1", "WEB");
    expect(noted).toMatchObject({ unitCode: "19123", source: "QR" });
    expect(noted!.optedOutAt).not.toBeNull();
    await bot.press("sub:19123", "w1", "web");
    expect(await subscription("w1", "WEB")).toMatchObject({ unitCode: "19123", source: "COMMAND", optedOutAt: null });
    // Subscribed: another QR visit neither changes the unit nor drops the consent.
    const again = await bot.say("/start u_09877", "w1", "web");
    expect(again.replies[0]!.text).toMatch(/đã đăng ký nhận thông báo của Xã Sen Thủy/);
    expect(await subscription("w1", "WEB")).toMatchObject({ unitCode: "19123", optedOutAt: null });
    // Opted out again: a QR of another commune moves the noted unit, still without consent.
    await bot.say("/huy", "w1", "web");
    await bot.say("/start u_09877", "w1", "web");
    const moved = await subscription("w1", "WEB");
    expect(moved!.unitCode).toBe("09877");
    expect(moved!.optedOutAt).not.toBeNull();
  });

  it("/start with an unknown unit says so politely, greets, and subscribes to nothing", async () => {
    const { replies } = await bot.say("/start u_99999", "s2");
    expect(replies[0]!.text).toMatch(/mã đơn vị 99999 không có/);
    expect(replies[1]!.text).toMatch(/^Xin chào/);
    expect(await subscription("s2")).toBeNull();
    // Other start arguments are not ours: just the greeting.
    expect((await bot.say("/start something_else", "s2")).replies.map((r) => r.text)).toEqual([expect.stringMatching(/^Xin chào/)]);
  });

  it("a second QR replaces the first subscription and says so", async () => {
    await bot.say("/start u_19123", "s3");
    const { replies } = await bot.say("/start u_09877", "s3");
    expect(replies[0]!.text).toBe("Bạn đã đăng ký nhận thông báo của Xã Tân Lập (thay cho Xã Sen Thủy). Gõ /huy nếu muốn ngừng nhận.");
    expect(await bot.db.prisma.subscription.count({ where: { identity: { externalUserId: "s3" } } })).toBe(1);
    expect((await subscription("s3"))!.unitCode).toBe("09877");
  });

  it("/dangky finds a commune by name without diacritics, prefix or case", async () => {
    for (const [user, query] of [["s4", "sen thuy"], ["s5", "XÃ SEN THỦY"], ["s6", "19123"]] as const) {
      const { replies } = await bot.say(`/dangky ${query}`, user);
      expect(replies[0]!.text).toMatch(/đăng ký nhận thông báo của Xã Sen Thủy/);
      expect(await subscription(user)).toMatchObject({ unitCode: "19123", source: "COMMAND" });
    }
  });

  it("/dangky with an ambiguous name offers one button per commune; a district after a comma settles it", async () => {
    const { replies } = await bot.say("/dangky Tân Lập", "s7");
    expect(replies[0]!.buttons).toEqual([
      [{ label: "Xã Tân Lập — Đan Phượng, Hà Nội", payload: "sub:09877" }],
      [{ label: "Xã Tân Lập — Lệ Thủy, Quảng Bình", payload: "sub:19126" }],
    ]);
    expect(await subscription("s7")).toBeNull();
    await bot.press("sub:19126", "s7");
    expect((await subscription("s7"))!.unitCode).toBe("19126");

    await bot.say("/dangky tan lap, dan phuong", "s8");
    expect((await subscription("s8"))!.unitCode).toBe("09877");
  });

  it("/dangky without a name explains how; an unknown name says it was not found", async () => {
    expect((await bot.say("/dangky", "s9")).replies[0]!.text).toMatch(/Gõ \/dangky kèm tên/);
    expect((await bot.say("/dangky Xã Không Có", "s9")).replies[0]!.text).toMatch(/chưa tìm thấy/);
    expect(await subscription("s9")).toBeNull();
  });

  it("/huy stops and /tieptuc resumes announcements, recording the moments", async () => {
    expect((await bot.say("/huy", "s10")).replies[0]!.text).toMatch(/chưa đăng ký/);
    await bot.say("/start u_19123", "s10");
    const before = (await subscription("s10"))!.consentAt;

    expect((await bot.say("/huy", "s10")).replies[0]!.text).toBe("Bạn đã ngừng nhận thông báo của Xã Sen Thủy. Gõ /tieptuc khi muốn nhận lại.");
    const stopped = (await subscription("s10"))!;
    expect(stopped.optedOutAt).toBeInstanceOf(Date);
    expect((await bot.say("/huy", "s10")).replies[0]!.text).toMatch(/đang không nhận/);

    await new Promise((r) => setTimeout(r, 5));
    expect((await bot.say("/tieptuc", "s10")).replies[0]!.text).toMatch(/tiếp tục nhận thông báo của Xã Sen Thủy/);
    const resumed = (await subscription("s10"))!;
    expect(resumed.optedOutAt).toBeNull();
    expect(resumed.consentAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it("'DK <CODE>' (the Zalo QR's first message) subscribes like the deep link, forgiving case and diacritics", async () => {
    for (const [user, text] of [["z1", "DK 19123"], ["z2", "đk 19123"], ["z3", "Đăng ký u_19123"], ["z4", "dk: 19123"]] as const) {
      const { replies } = await bot.say(text, user, "zalo");
      expect(replies[0]!.text).toMatch(/đăng ký nhận thông báo của Xã Sen Thủy/);
      expect(replies.at(-1)!.text).toMatch(/^Xin chào/);
      expect(await subscription(user, "ZALO")).toMatchObject({ unitCode: "19123", source: "QR" });
    }
    // Unknown numeric code: polite refusal, nothing stored.
    expect((await bot.say("DK 12345", "z5", "zalo")).replies[0]!.text).toMatch(/mã đơn vị 12345 không có/);
    expect(await subscription("z5", "ZALO")).toBeNull();
    // "dk" is also how people abbreviate "đăng ký": a question stays a question.
    const question = await bot.say("dk vneid", "z6", "zalo");
    expect(question.replies[0]!.text).not.toMatch(/đăng ký nhận thông báo/);
    expect(await subscription("z6", "ZALO")).toBeNull();
  });

  it("parses the subscribe message", () => {
    expect(parseSubscribeMessage("DK 19123")).toBe("19123");
    expect(parseSubscribeMessage("  dk   u_19123 ")).toBe("19123");
    expect(parseSubscribeMessage("Đăng Ký 19123")).toBe("19123");
    expect(parseSubscribeMessage("dk vneid muc 2")).toBeNull();
    expect(parseSubscribeMessage("dang ky the can cuoc")).toBeNull();
    expect(parseSubscribeMessage("19123")).toBeNull();
  });

  it("names units with their level word", () => {
    expect(unitLabel({ name: "Xã Sen Thủy", level: "COMMUNE" })).toBe("Xã Sen Thủy");
    expect(unitLabel({ name: "Phường 1", level: "COMMUNE" })).toBe("Phường 1");
    expect(unitLabel({ name: "Lệ Thủy", level: "DISTRICT" })).toBe("huyện Lệ Thủy");
  });
});
