// `npm run admin -- qr`: a PNG whose QR code holds the channel's link for the unit. The PNG is decoded
// here (zlib + PNG filters) and its modules compared with the QR matrix of the expected link.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { inflateSync } from "node:zlib";
import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../src/admin/args.ts";
import { adminCommands } from "../../src/admin/index.ts";
import type { Config } from "../../src/config/env.ts";
import type { Database } from "../../src/db/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { testConfig } from "../helpers/config.ts";
import { openTestDatabase } from "../helpers/databases.ts";
import { FakeTelegram, FAKE_BOT } from "../helpers/fake-telegram.ts";
import { seedUnits, TEST_TOKEN } from "../helpers/telegram-harness.ts";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes an 8-bit greyscale/RGB/RGBA, non-interlaced PNG into a "is this pixel dark" function. */
function decodePng(png: Buffer): { width: number; height: number; dark(x: number, y: number): boolean } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      expect(data[12]).toBe(0); // not interlaced
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[data[9]!]!;
    } else if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, dark: (x, y) => pixels[y * stride + x * channels]! < 128 };
}

/** The PNG holds exactly the QR code of `text` (scale 10, margin 4, error correction M). */
function expectQrOf(png: Buffer, text: string): void {
  const image = decodePng(png);
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  expect(image.width).toBe((size + 8) * 10);
  expect(image.height).toBe(image.width);
  let mismatches = 0;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const expected = Boolean(qr.modules.get(row, col));
      if (image.dark((col + 4) * 10 + 5, (row + 4) * 10 + 5) !== expected) mismatches++;
    }
  }
  expect(mismatches).toBe(0);
  expect(image.dark(5, 5)).toBe(false); // the quiet zone is light
}

describe("admin qr", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "troly06-qr-"));
  const qr = adminCommands.find((c) => c.name === "qr")!;
  let db: Database;
  let fake: FakeTelegram;
  let zalo: http.Server;
  let zaloUrl: string;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    await seedUnits(db.prisma);
    fake = await new FakeTelegram().start();
    zalo = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.url?.endsWith("/getMe") ? { ok: true, result: { id: "1", account_name: "bot.TroLy06", account_type: "BASIC" } } : { ok: false }));
    });
    await new Promise<void>((resolve) => zalo.listen(0, "127.0.0.1", resolve));
    zaloUrl = `http://127.0.0.1:${(zalo.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await db?.close();
    await fake?.close();
    await new Promise((resolve) => zalo?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(argv: string[], config: Config = testConfig()) {
    const lines: string[] = [];
    const code = await qr.run({ config, db, log: createLogger("silent"), args: parseArgs(argv), out: (line) => lines.push(line) });
    return { code, lines };
  }

  it("writes the Telegram deep link of the unit as a PNG QR code", async () => {
    const out = path.join(dir, "sen-thuy.png");
    const { code, lines } = await run(["--unit", "19123", "--channel", "telegram", "--bot-username", "@troly06_bot", "--out", out]);
    expect(code).toBe(0);
    expect(lines[0]).toBe("Đơn vị: Xã Sen Thủy (mã 19123)");
    expect(lines[1]).toBe("Liên kết: https://t.me/troly06_bot?start=u_19123");
    const png = readFileSync(out);
    expect(png.length).toBeGreaterThan(0);
    expectQrOf(png, "https://t.me/troly06_bot?start=u_19123");
  });

  it("asks Telegram for the bot's username when the token is set", async () => {
    const out = path.join(dir, "tg.png");
    const config = testConfig({ TELEGRAM_BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: fake.url });
    const { code, lines } = await run(["--unit", "09877", "--channel", "telegram", "--out", out], config);
    expect(code).toBe(0);
    expect(fake.ok("getMe")).toHaveLength(1);
    expect(lines).toContain(`Liên kết: https://t.me/${FAKE_BOT.username}?start=u_09877`);
    expectQrOf(readFileSync(out), `https://t.me/${FAKE_BOT.username}?start=u_09877`);
  });

  it("for Zalo encodes the bot's link and prints the code the citizen sends first", async () => {
    const out = path.join(dir, "zalo.png");
    const config = testConfig({ ZALO_BOT_TOKEN: "123456789:zalo-test-token", ZALO_API_BASE: zaloUrl });
    const { code, lines } = await run(["--unit", "19123", "--channel", "zalo", "--out", out], config);
    expect(code).toBe(0);
    expect(lines).toContain("Liên kết: https://zalo.me/bot.TroLy06");
    expect(lines.join("\n")).toMatch(/nhắn "DK 19123"/);
    expectQrOf(readFileSync(out), "https://zalo.me/bot.TroLy06");
  });

  it("for the web chat encodes <PUBLIC_URL>/chat?unit=CODE: no app needed", async () => {
    const out = path.join(dir, "web.png");
    const config = testConfig({ PUBLIC_URL: "https://troly06.quangbinh.gov.vn/" });
    const { code, lines } = await run(["--unit", "19123", "--channel", "web", "--out", out], config);
    expect(code).toBe(0);
    expect(lines).toContain("Liên kết: https://troly06.quangbinh.gov.vn/chat?unit=19123");
    expect(lines.join("\n")).toMatch(/nhận thông báo của Xã Sen Thủy qua trang web/);
    expectQrOf(readFileSync(out), "https://troly06.quangbinh.gov.vn/chat?unit=19123");
    // --base-url instead of PUBLIC_URL; without either the command says what to set.
    const other = await run(["--unit", "09877", "--channel", "web", "--base-url", "https://hoidap.example.vn/troly", "--out", path.join(dir, "web2.png")]);
    expect(other.lines).toContain("Liên kết: https://hoidap.example.vn/troly/chat?unit=09877");
    expect((await run(["--unit", "19123", "--channel", "web", "--out", path.join(dir, "web3.png")])).code).toBe(1);
  });

  it("refuses an unknown unit, a missing channel, and a missing bot name", async () => {
    expect((await run(["--unit", "99999", "--channel", "telegram", "--bot-username", "x_bot"])).code).toBe(1);
    expect((await run(["--unit", "19123"])).code).toBe(2);
    expect((await run(["--unit", "19123", "--channel", "telegram", "--out", path.join(dir, "none.png")])).code).toBe(1);
  });
});
