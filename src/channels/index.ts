// Builds the adapters of the channels whose tokens are set.
import type { ChannelAdapter, ChannelDeps } from "../core/ports.ts";
import { createTelegramAdapter } from "./telegram/index.ts";
import { createZaloAdapter } from "./zalo/adapter.ts";

export type { ChannelDeps };

export function createChannels(deps: ChannelDeps): ChannelAdapter[] {
  const adapters: ChannelAdapter[] = [];
  if (deps.config.TELEGRAM_BOT_TOKEN) adapters.push(createTelegramAdapter(deps));
  if (deps.config.ZALO_BOT_TOKEN) adapters.push(createZaloAdapter(deps));
  for (const [name, token, variable] of [
    ["Telegram", deps.config.TELEGRAM_BOT_TOKEN, "TELEGRAM_BOT_TOKEN"],
    ["Zalo", deps.config.ZALO_BOT_TOKEN, "ZALO_BOT_TOKEN"],
  ] as const) {
    if (!token) deps.log.info(`${name} channel is off (set ${variable} to turn it on)`);
  }
  return adapters;
}
