// qr --unit CODE --channel <name>: a PNG QR code for a unit's one-stop desk. Scanning it opens the bot;
// the citizen is subscribed to the unit's announcements and greeted with the topic menu. Each channel's
// adapter module says what the code holds (its `qrLink`, see channels/<name>/link.ts):
// - Telegram: https://t.me/<bot>?start=u_<CODE> (the deep link carries the unit).
// - Zalo: https://zalo.me/<bot account> — Zalo bots take no start parameter, so the citizen sends
//   "DK <CODE>" first; the command prints that line to put under the code.
// - Web: <PUBLIC_URL or --base-url>/chat?unit=<CODE> — the chat opens in the phone's browser, no app needed.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import QRCode from "qrcode";
import { loadQrLink } from "../channels/index.ts";
import { channelRegistry } from "../channels/registry.ts";
import { startArgumentFor, subscribeMessageFor, unitLabel } from "../features/subscription.ts";
import type { AdminCommand } from "./types.ts";

/** PNG bytes of a QR code for `text` (error correction M, a quiet zone of 4 modules, 10 px per module). */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: "png", errorCorrectionLevel: "M", margin: 4, scale: 10 });
}

/** Channels whose adapter the app serves (the CLI has none, so no QR code). */
const served = channelRegistry.specs.filter((s) => s.load).map((s) => s.name);

export const qrCommand: AdminCommand = {
  name: "qr",
  usage: `qr --unit CODE --channel ${served.join("|")} [--out FILE.png] [--bot-username NAME] [--base-url URL]`,
  summary: "QR code (PNG) that opens the bot and subscribes the citizen to the unit",
  async run(ctx) {
    const { args } = ctx;
    const unitCode = typeof args.options.unit === "string" ? args.options.unit.trim() : "";
    const channel = args.options.channel;
    if (!unitCode || typeof channel !== "string" || !served.includes(channel)) {
      console.error(`usage: npm run admin -- ${qrCommand.usage}`);
      return 2;
    }
    const unit = await ctx.db.prisma.adminUnit.findUnique({ where: { code: unitCode } });
    if (!unit) {
      console.error(`Không có đơn vị mã ${unitCode} (nhập danh sách đơn vị bằng import-units).`);
      return 1;
    }
    const given = typeof args.options["bot-username"] === "string" ? args.options["bot-username"].trim() : "";
    const baseUrl = typeof args.options["base-url"] === "string" ? args.options["base-url"].trim() : "";
    const spec = channelRegistry.get(channel);
    const qrLink = await loadQrLink(spec);
    if (!qrLink) {
      console.error(`${spec.label} has no QR link`);
      return 1;
    }
    let made: Awaited<ReturnType<typeof qrLink>>;
    try {
      made = await qrLink(ctx.config, { startArgument: startArgumentFor(unit.code), botName: given || undefined, baseUrl: baseUrl || undefined });
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return 1;
    }
    const { link } = made;
    const out = path.resolve(typeof args.options.out === "string" ? args.options.out : `qr-${channel}-${unit.code}.png`);
    await writeFile(out, await qrPng(link));
    ctx.out(`Đơn vị: ${unitLabel(unit)} (mã ${unit.code})`);
    ctx.out(`Liên kết: ${link}`);
    if (made.carriesStart) {
      ctx.out(`In dưới mã QR: Quét mã bằng điện thoại để nhận thông báo của ${unitLabel(unit)} qua ${spec.label}.`);
    } else {
      ctx.out(`In dưới mã QR: Quét mã, rồi nhắn "${subscribeMessageFor(unit.code)}" để nhận thông báo của ${unitLabel(unit)}.`);
    }
    ctx.out(`Đã ghi ${out}`);
    return 0;
  },
};
