// The link a unit's QR code holds on Zalo: https://zalo.me/<bot account>. Zalo bots take no start
// parameter, so the citizen sends the unit's code first (printed under the QR). The account name is asked
// from the Bot API (getMe) unless given.
import { z } from "zod";
import type { Config } from "../../config/env.ts";
import type { QrLink } from "../../core/ports.ts";

export function zaloBotLink(botAccount: string): string {
  return `https://zalo.me/${botAccount.replace(/^@/, "")}`;
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

export const qrLink: QrLink = async (config, { botName }) => ({ link: zaloBotLink(botName || (await zaloAccount(config))), carriesStart: false });
