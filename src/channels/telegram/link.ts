// The link a unit's QR code holds on Telegram: https://t.me/<bot>?start=<argument> (the deep link carries
// the unit). The bot's username is asked from the Bot API (getMe) unless given.
import { Api } from "grammy";
import type { Config } from "../../config/env.ts";
import type { QrLink } from "../../core/ports.ts";

export function telegramDeepLink(botUsername: string, startArgument: string): string {
  return `https://t.me/${botUsername.replace(/^@/, "")}?start=${startArgument}`;
}

async function telegramUsername(config: Config): Promise<string> {
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error("set TELEGRAM_BOT_TOKEN or pass --bot-username");
  const me = await new Api(config.TELEGRAM_BOT_TOKEN, { apiRoot: config.TELEGRAM_API_ROOT.replace(/\/+$/, "") }).getMe();
  return me.username;
}

export const qrLink: QrLink = async (config, { startArgument, botName }) => ({
  link: telegramDeepLink(botName || (await telegramUsername(config)), startArgument),
  carriesStart: true,
});
