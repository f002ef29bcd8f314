// qr --unit CODE --channel telegram|zalo: a PNG QR code for a unit's one-stop desk. Scanning it opens
// the bot; the citizen is subscribed to the unit's announcements and greeted with the topic menu.
// - Telegram: https://t.me/<bot>?start=u_<CODE> (the deep link carries the unit).
// - Zalo: https://zalo.me/<bot account> — Zalo bots take no start parameter, so the citizen sends
//   "DK <CODE>" first; the command prints that line to put under the code.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Api } from "grammy";
import QRCode from "qrcode";
import { z } from "zod";
import type { Config } from "../config/env.ts";
import { startArgumentFor, subscribeMessageFor, unitLabel } from "../features/subscription.ts";
import type { AdminCommand } from "./types.ts";

export type QrChannel = "telegram" | "zalo";

export function telegramDeepLink(botUsername: string, unitCode: string): string {
  return `https://t.me/${botUsername.replace(/^@/, "")}?start=${startArgumentFor(unitCode)}`;
}

export function zaloBotLink(botAccount: string): string {
  return `https://zalo.me/${botAccount.replace(/^@/, "")}`;
}

/** PNG bytes of a QR code for `text` (error correction M, a quiet zone of 4 modules, 10 px per module). */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: "png", errorCorrectionLevel: "M", margin: 4, scale: 10 });
}

async function telegramUsername(config: Config): Promise<string> {
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error("set TELEGRAM_BOT_TOKEN or pass --bot-username");
  const me = await new Api(config.TELEGRAM_BOT_TOKEN, { apiRoot: config.TELEGRAM_API_ROOT.replace(/\/+$/, "") }).getMe();
  return me.username;
}

const zaloGetMe = z.object({ ok: z.literal(true), result: z.looseObject({ account_name: z.string().min(1) }) });

async function zaloAccount(config: Config): Promise<string> {
  if (!config.ZALO_BOT_TOKEN) throw new Error("set ZALO_BOT_TOKEN or pass --bot-username (the bot's account name, e.g. bot.AbCdEf)");
  const response = await fetch(`${config.ZALO_API_BASE.replace(/\/+$/, "")}/bot${config.ZALO_BOT_TOKEN}/getMe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(10_000),
  });
  const parsed = zaloGetMe.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw new Error(`Zalo getMe failed (HTTP ${response.status}); pass --bot-username instead`);
  return parsed.data.result.account_name;
}

export const qrCommand: AdminCommand = {
  name: "qr",
  usage: "qr --unit CODE --channel telegram|zalo [--out FILE.png] [--bot-username NAME]",
  summary: "QR code (PNG) that opens the bot and subscribes the citizen to the unit",
  async run(ctx) {
    const { args } = ctx;
    const unitCode = typeof args.options.unit === "string" ? args.options.unit.trim() : "";
    const channel = args.options.channel;
    if (!unitCode || (channel !== "telegram" && channel !== "zalo")) {
      console.error(`usage: npm run admin -- ${qrCommand.usage}`);
      return 2;
    }
    const unit = await ctx.db.prisma.adminUnit.findUnique({ where: { code: unitCode } });
    if (!unit) {
      console.error(`Không có đơn vị mã ${unitCode} (nhập danh sách đơn vị bằng import-units).`);
      return 1;
    }
    const given = typeof args.options["bot-username"] === "string" ? args.options["bot-username"].trim() : "";
    let link: string;
    try {
      link =
        channel === "telegram"
          ? telegramDeepLink(given || (await telegramUsername(ctx.config)), unit.code)
          : zaloBotLink(given || (await zaloAccount(ctx.config)));
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return 1;
    }
    const out = path.resolve(typeof args.options.out === "string" ? args.options.out : `qr-${channel}-${unit.code}.png`);
    await writeFile(out, await qrPng(link));
    ctx.out(`Đơn vị: ${unitLabel(unit)} (mã ${unit.code})`);
    ctx.out(`Liên kết: ${link}`);
    if (channel === "zalo") {
      ctx.out(`In dưới mã QR: Quét mã, rồi nhắn "${subscribeMessageFor(unit.code)}" để nhận thông báo của ${unitLabel(unit)}.`);
    } else {
      ctx.out(`In dưới mã QR: Quét mã bằng điện thoại để nhận thông báo của ${unitLabel(unit)} qua Telegram.`);
    }
    ctx.out(`Đã ghi ${out}`);
    return 0;
  },
};
