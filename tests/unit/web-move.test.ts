// «Chuyển sang Zalo / Telegram» in the web chat: the links the unit's QR codes hold, from each enabled
// channel's own qrLink (bot names from fake Bot APIs), with their QR codes; nothing for a channel that is
// off or whose Bot API fails (asked again only after a while).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MoveLinks } from "../../src/channels/web/move.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { TEST_TOKEN } from "../helpers/telegram-harness.ts";
import { FakeZaloApi } from "../helpers/zalo-fake-api.ts";

const ZALO_TOKEN = "1234567890:zalo-test-token-abcdefghijklmnop";

describe("web chat: links to move to Zalo / Telegram", () => {
  let telegram: FakeTelegram;
  let zalo: FakeZaloApi;
  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    zalo = await FakeZaloApi.start(ZALO_TOKEN);
  });
  afterAll(async () => {
    await telegram?.close();
    await zalo?.close();
  });
  const log = createLogger("silent");

  it("Telegram's deep link carries the unit; Zalo's link comes with the DK message; each with its QR code", async () => {
    const moves = new MoveLinks(testConfig({ TELEGRAM_BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: telegram.url, ZALO_BOT_TOKEN: ZALO_TOKEN, ZALO_API_BASE: zalo.url }), log);
    const options = await moves.options("19123");
    expect(options.map(({ qr: _qr, ...rest }) => rest)).toEqual([
      { channel: "telegram", label: "Telegram", link: "https://t.me/troly06_test_bot?start=u_19123" },
      { channel: "zalo", label: "Zalo", link: "https://zalo.me/bot.TroLy06", firstMessage: "DK 19123" },
    ]);
    for (const o of options) {
      const png = Buffer.from(o.qr.replace(/^data:image\/png;base64,/, ""), "base64");
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    }
    // Without a unit: the bots themselves, no empty start argument and no DK line.
    expect((await moves.options(null)).map((o) => [o.link, o.firstMessage])).toEqual([
      ["https://t.me/troly06_test_bot", undefined],
      ["https://zalo.me/bot.TroLy06", undefined],
    ]);
    // Kept: the same unit again asks no Bot API.
    const asked = zalo.callsOf("getMe").length;
    await moves.options("19123");
    expect(zalo.callsOf("getMe").length).toBe(asked);
  });

  it("offers only the channels that are on, and leaves out one whose Bot API fails", async () => {
    expect(await new MoveLinks(testConfig({}), log).options("19123")).toEqual([]);
    zalo.script("getMe", { status: 500, body: { ok: false } });
    const options = await new MoveLinks(testConfig({ TELEGRAM_BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: telegram.url, ZALO_BOT_TOKEN: ZALO_TOKEN, ZALO_API_BASE: zalo.url }), log).options("19123");
    expect(options.map((o) => o.channel)).toEqual(["telegram"]);
  });
});
